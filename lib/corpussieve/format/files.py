"""Writing, moving and hashing shard files on a local path or any filesystem URI pyarrow opens (s3://, gs://,
hdfs://): executors write shards to the shared output path themselves, the driver moves them in place."""

from __future__ import annotations

import hashlib
import os
import re

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_CHUNK = 8 << 20


def filesystem(path: str):
    """(pyarrow filesystem, path inside it) for a local path, a ``file:`` URI or any URI pyarrow knows."""
    import pyarrow.fs as pafs

    if path.startswith("file:"):
        path = path[len("file://"):] if path.startswith("file://") else path[len("file:"):]
    if _SCHEME.match(path) and not re.match(r"^[a-zA-Z]:[\\/]", path):
        # Hadoop's s3a:// (what Spark on a cluster is given) is plain s3:// to pyarrow.
        return pafs.FileSystem.from_uri(re.sub(r"^s3a://", "s3://", path))
    return pafs.LocalFileSystem(), os.path.abspath(path)


def write_bytes(path: str, data: bytes | memoryview) -> None:
    fs, inner = filesystem(path)
    fs.create_dir(inner.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(inner) as out:
        out.write(data)


def file_sha256(path: str) -> tuple[int, str] | None:
    """Size and SHA-256 of a file, or None when there is no file."""
    import pyarrow.fs as pafs

    fs, inner = filesystem(path)
    if fs.get_file_info(inner).type != pafs.FileType.File:
        return None
    digest, size = hashlib.sha256(), 0
    with fs.open_input_stream(inner) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def move_in_place(staged: str, final: str, sha256: str) -> bool:
    """Move a staged file to its final path unless the final file already holds the same bytes (a rerun then
    rewrites nothing and the staged copy goes). True when it moved. A local move is one rename, so a reader
    never sees half a shard at the final path."""
    fs, staged_inner = filesystem(staged)
    _, final_inner = filesystem(final)
    there = file_sha256(final)
    if there is not None and there[1] == sha256:
        fs.delete_file(staged_inner)
        return False
    fs.create_dir(final_inner.rsplit("/", 1)[0], recursive=True)
    fs.move(staged_inner, final_inner)
    return True


def delete_dir(path: str) -> None:
    import pyarrow.fs as pafs

    fs, inner = filesystem(path)
    if fs.get_file_info(inner).type == pafs.FileType.Directory:
        fs.delete_dir(inner)


def list_dirs(path: str) -> list[str]:
    """Names of the folders directly under ``path`` (none when it does not exist)."""
    import pyarrow.fs as pafs

    fs, inner = filesystem(path)
    if fs.get_file_info(inner).type != pafs.FileType.Directory:
        return []
    return sorted(info.base_name for info in fs.get_file_info(pafs.FileSelector(inner))
                  if info.type == pafs.FileType.Directory)
