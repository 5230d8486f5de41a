"""Moving staged shards in place: a final file with the same bytes stays untouched (a rerun rewrites nothing),
one with other bytes is replaced, and a missing one arrives whole."""

from __future__ import annotations

import hashlib

from corpussieve.format.files import delete_dir, file_sha256, list_dirs, move_in_place


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_staged_file_moves_in_unless_the_same_bytes_are_there(tmp_path):
    staged, final = tmp_path / "staging" / "s.bin", tmp_path / "shards" / "run" / "s.bin"
    staged.parent.mkdir()
    staged.write_bytes(b"tokens")
    assert move_in_place(str(staged), str(final), sha(b"tokens")) is True
    assert final.read_bytes() == b"tokens" and not staged.exists()
    assert file_sha256(str(final)) == (6, sha(b"tokens"))

    before = final.stat().st_mtime_ns
    staged.write_bytes(b"tokens")
    assert move_in_place(str(staged), str(final), sha(b"tokens")) is False
    assert final.stat().st_mtime_ns == before and not staged.exists()

    staged.write_bytes(b"other tokens")
    assert move_in_place(str(staged), str(final), sha(b"other tokens")) is True
    assert final.read_bytes() == b"other tokens"


def test_folders_are_listed_and_deleted(tmp_path):
    (tmp_path / "a" / "x").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "f").write_text("")
    assert list_dirs(str(tmp_path)) == ["a", "b"] and list_dirs(str(tmp_path / "nope")) == []
    delete_dir(str(tmp_path / "a"))
    assert list_dirs(str(tmp_path)) == ["b"] and file_sha256(str(tmp_path / "nope")) is None
