"""Which rows a table gained between two versions, decided from the commits' actions (pure)."""

from __future__ import annotations

import json

import pytest

from corpussieve.errors import InputError
from corpussieve.tables.changes import Commit, appended_files


def commit(version, operation, adds=(), removes=(), data_change=True, dv=False):
    lines = [json.dumps({"commitInfo": {"operation": operation}})]
    for path in adds:
        add = {"path": path, "dataChange": data_change}
        if dv:
            add["deletionVector"] = {"storageType": "u", "pathOrInlineDv": "x", "sizeInBytes": 1, "cardinality": 1}
        lines.append(json.dumps({"add": add}))
    for path in removes:
        lines.append(json.dumps({"remove": {"path": path, "dataChange": data_change}}))
    return Commit.parse(version, "\n".join(lines) + "\n")


def test_appends_contribute_their_files_in_version_order():
    commits = [commit(2, "WRITE", ["c"]), commit(1, "WRITE", ["a", "b"])]
    assert appended_files("t", commits) == ["a", "b", "c"]


def test_compaction_of_consumed_files_adds_nothing():
    commits = [commit(3, "OPTIMIZE", ["big"], ["old1", "old2"], data_change=False), commit(4, "WRITE", ["new"])]
    assert appended_files("t", commits) == ["new"]


def test_a_delete_of_consumed_rows_adds_nothing():
    # forget rewrote an old file: its surviving rows are not new
    commits = [commit(5, "DELETE", ["rewritten"], ["old"]), commit(6, "WRITE", ["new"])]
    assert appended_files("t", commits) == ["new"]


def test_rewriting_a_file_nobody_consumed_is_refused():
    for later in (commit(2, "DELETE", ["rewritten"], ["a"]), commit(2, "OPTIMIZE", ["big"], ["a"], data_change=False)):
        with pytest.raises(InputError, match="no refresh has consumed yet") as info:
            appended_files("lake/raw", [commit(1, "WRITE", ["a"]), later])
        assert "table lake/raw" in str(info.value)


def test_an_overwrite_or_merge_is_refused():
    for operation in ("WRITE", "MERGE", "UPDATE", None):
        with pytest.raises(InputError, match="replaced rows"):
            appended_files("t", [commit(3, operation, ["x"], ["old"])])


def test_files_with_deletion_vectors_are_refused():
    with pytest.raises(InputError, match="deletion vector"):
        appended_files("t", [commit(1, "WRITE", ["a"], dv=True)])


def test_no_commits_no_files():
    assert appended_files("t", []) == []
    assert appended_files("t", [commit(1, "SET TBLPROPERTIES")]) == []


def test_parse_reads_every_action_kind():
    c = commit(9, "DELETE", ["a"], ["b"])
    assert (c.version, c.operation, [a["path"] for a in c.adds], [r["path"] for r in c.removes]) == (9, "DELETE", ["a"], ["b"])
