"""Finding input files, telling their format, and fingerprinting an input set for idempotent appends."""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass

from corpussieve.errors import InputError

_SUFFIXES = {
    ".jsonl": "jsonl", ".jsonl.gz": "jsonl", ".json": "jsonl", ".json.gz": "jsonl", ".ndjson": "jsonl",
    ".ndjson.gz": "jsonl", ".parquet": "parquet", ".warc": "warc", ".warc.gz": "warc", ".wet": "warc",
    ".wet.gz": "warc",
}


@dataclass(frozen=True)
class InputFile:
    path: str
    format: str
    size: int
    mtime_ns: int


def detect_format(path: str) -> str | None:
    name = os.path.basename(path).lower()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return _SUFFIXES[suffix]
    return None


def expand_inputs(paths: list[str], wanted: str = "auto") -> list[InputFile]:
    """Files named directly, matched by a glob, or found under a directory, sorted by path.

    Directory walks keep only files whose extension tells a known format; a file named directly
    must have one too, unless ``wanted`` forces the format.
    """
    found: dict[str, str] = {}
    for raw in paths:
        path = os.path.abspath(os.path.expanduser(raw))
        matches = sorted(glob.glob(path)) if any(ch in raw for ch in "*?[") else [path]
        if not matches or not any(os.path.exists(m) for m in matches):
            raise InputError("input path does not exist", table=raw, expected="a file, directory or glob")
        for match in matches:
            if os.path.isdir(match):
                for folder, dirs, names in os.walk(match):
                    dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                    for name in sorted(names):
                        full = os.path.join(folder, name)
                        fmt = detect_format(full)
                        if fmt and (wanted == "auto" or fmt == wanted):
                            found[full] = fmt
            else:
                fmt = detect_format(match) if wanted == "auto" else wanted
                if fmt is None:
                    raise InputError(
                        "cannot tell the input format from the file name", table=match,
                        expected="a .jsonl[.gz], .json[.gz], .parquet or .warc[.gz] file, or --format",
                    )
                found[match] = fmt
    if not found:
        raise InputError("no input files found", table=", ".join(paths),
                         expected="JSON Lines, Parquet or WARC files")
    files = []
    for path in sorted(found):
        stat = os.stat(path)
        files.append(InputFile(path, found[path], stat.st_size, stat.st_mtime_ns))
    return files


def fingerprint(files: list[InputFile]) -> str:
    """Identifies an input set: the same files, unchanged, give the same fingerprint."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.path}\0{f.size}\0{f.mtime_ns}\n".encode())
    return digest.hexdigest()[:24]
