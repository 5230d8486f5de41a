"""The Arrow function ingest's Spark workers run: one listed file in, its records out (good and rejected),
with the record schema beside it. Pure pyarrow and the plain-Python readers: importable without Spark."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from corpussieve.ingest.config import IngestConfig
from corpussieve.ingest.readers import read_file

#: rows per Arrow batch a worker yields: bounds a worker's memory on files of many small records
BATCH_ROWS = 512

#: one record as the readers give it: the standard columns, ``extra`` (the other fields as JSON), and the
#: rejection (reason code, detail, raw excerpt) when ``ok`` is false; ``file`` and ``record_index`` say where
RECORD_DDL = (
    "ok boolean, id string, id_derived boolean, url string, text string, html string, source string, "
    "fetch_time timestamp, fetch_time_unparsed boolean, extra string, reject_reason string, reject_detail string, "
    "raw_excerpt string, file string, record_index long"
)


def record_schema() -> pa.Schema:
    """``RECORD_DDL`` as the Arrow schema the file reader yields."""
    return pa.schema([
        ("ok", pa.bool_()), ("id", pa.string()), ("id_derived", pa.bool_()), ("url", pa.string()),
        ("text", pa.string()), ("html", pa.string()), ("source", pa.string()),
        ("fetch_time", pa.timestamp("us", tz="UTC")), ("fetch_time_unparsed", pa.bool_()), ("extra", pa.string()),
        ("reject_reason", pa.string()), ("reject_detail", pa.string()), ("raw_excerpt", pa.string()),
        ("file", pa.string()), ("record_index", pa.int64()),
    ])


def make_file_reader(cfg: IngestConfig) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The mapInArrow function: each input row names a file (``path``, ``format``); each output row is one
    record of it, in ``record_schema``. The closure ships ``cfg`` (the ingest section) to the workers."""

    def read_files(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        schema = record_schema()
        names = schema.names
        for batch in batches:
            for path, fmt in zip(batch.column("path").to_pylist(), batch.column("format").to_pylist()):
                rows: list[dict[str, Any]] = []
                for row in read_file(path, fmt, cfg):
                    rows.append({name: row.get(name) for name in names})
                    if len(rows) >= BATCH_ROWS:
                        yield pa.RecordBatch.from_pylist(rows, schema=schema)
                        rows = []
                if rows:
                    yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return read_files
