"""Benchmark files given by the user (nothing is downloaded): JSON Lines (optionally gzipped) or Parquet, one item a
row. Read on the driver with plain Python and pyarrow; a bad file is an error naming the file, the field and the
row (its 0-based row number; a JSON line number is that plus one)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from corpussieve.errors import InputError

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson", ".ndjson.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class BenchmarkSpec:
    """One ``--benchmarks`` argument: ``path`` or ``name=path`` (the name defaults to the file's stem)."""

    name: str
    path: str

    @classmethod
    def parse(cls, arg: str) -> BenchmarkSpec:
        name, sep, path = arg.partition("=")
        if not sep or os.sep in name or not name:
            path, name = arg, stem(arg)
        return cls(name, path)


@dataclass(frozen=True)
class Benchmark:
    """A benchmark's items: ids and texts (fields joined), in file order."""

    name: str
    path: str
    ids: list[str]
    texts: list[str]


def stem(path: str) -> str:
    base = os.path.basename(path.rstrip("/"))
    for suffix in sorted(JSONL_SUFFIXES + PARQUET_SUFFIXES, key=len, reverse=True):
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base.rsplit(".", 1)[0] if "." in base else base


def flatten(value: Any) -> list[str]:
    """The strings and numbers inside a field's value, in order (lists and mappings walked; None and booleans
    left out): a question's choices list, ARC's {"text": [...], "label": [...]}."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (int, float)):
        return [str(value)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in flatten(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in flatten(v)]
    return [str(value)]


def _rows(spec: BenchmarkSpec) -> list[dict[str, Any]]:
    path = spec.path
    if not os.path.isfile(path):
        raise InputError("benchmark file not found", table=path,
                         expected="a JSON Lines (.jsonl, .jsonl.gz) or Parquet file of benchmark items")
    lower = path.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(f"not a readable Parquet file ({exc})", table=path) from None
    if not lower.endswith(JSONL_SUFFIXES):
        raise InputError("unknown benchmark file type", table=path,
                         expected=f"a name ending in one of {', '.join(JSONL_SUFFIXES + PARQUET_SUFFIXES)}")
    opener = gzip.open if lower.endswith(".gz") else open
    rows: list[dict[str, Any]] = []
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"line {number + 1} is not valid JSON ({exc.msg})", table=path,
                                     row_ids=[len(rows)], expected="one JSON object per line") from None
                if not isinstance(row, dict):
                    raise InputError(f"line {number + 1} is a JSON {type(row).__name__}, not an object", table=path,
                                     row_ids=[len(rows)], expected="one JSON object per line") from None
                rows.append(row)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file after {len(rows):,} rows ({exc})", table=path) from None
    return rows


def read_benchmark(spec: BenchmarkSpec, text_fields: Sequence[str], id_fields: Sequence[str]) -> Benchmark:
    """The benchmark's items: each row's ``text_fields`` that are present, joined with a space; its id from the
    first of ``id_fields`` it has, else its row number. No row with any text field, an id that is not a string
    or a number, or a repeated id is an error naming the file, the field and the rows."""
    rows = _rows(spec)
    if rows and not any(f in row for row in rows for f in text_fields):
        raise InputError("no row has any of the text fields", table=spec.path, column=", ".join(text_fields),
                         expected=f"set decontaminate.text_fields to this file's fields (its first row has: "
                                  f"{', '.join(rows[0])})")
    ids: list[str] = []
    texts: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows):
        item_id = str(number)
        for field in id_fields:
            if row.get(field) is not None:
                value = row[field]
                if isinstance(value, bool) or not isinstance(value, (str, int)):
                    raise InputError(f"the id is a {type(value).__name__}", table=spec.path, column=field,
                                     row_ids=[number], expected="a string or an integer id")
                item_id = str(value)
                if item_id in seen:
                    raise InputError(f"id {item_id!r} appears more than once (rows {seen[item_id]} and {number})",
                                     table=spec.path, column=field, row_ids=[number],
                                     expected="one row per item id")
                seen[item_id] = number
                break
        ids.append(item_id)
        texts.append(" ".join(s for f in text_fields if f in row for s in flatten(row[f])))
    return Benchmark(spec.name, spec.path, ids, texts)


def read_benchmarks(args: Sequence[str], text_fields: Sequence[str], id_fields: Sequence[str]) -> list[Benchmark]:
    specs = [BenchmarkSpec.parse(a) for a in args]
    names = [s.name for s in specs]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"two benchmark files are both named {name!r}", table=", ".join(
                s.path for s in specs if s.name == name), expected="distinct names: give name=path")
    return [read_benchmark(s, text_fields, id_fields) for s in specs]


def fingerprint(benchmarks: Sequence[BenchmarkSpec | Benchmark]) -> list[dict[str, Any]]:
    """What identifies the benchmark files in a run key: names, paths, sizes and modification times."""
    out = []
    for b in benchmarks:
        if not os.path.isfile(b.path):
            raise InputError("benchmark file not found", table=b.path,
                             expected="a JSON Lines (.jsonl, .jsonl.gz) or Parquet file of benchmark items")
        stat = os.stat(b.path)
        out.append({"name": b.name, "path": os.path.abspath(b.path), "bytes": stat.st_size,
                    "mtime_ns": stat.st_mtime_ns})
    return out
