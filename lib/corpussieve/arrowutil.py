"""Small helpers every job's Arrow functions share: a column by name, a batch with columns replaced, an
excerpt of a text or a byte string for reports and rejected rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa


def column(batch: pa.RecordBatch | pa.Table, name: str) -> pa.Array | None:
    """Column ``name`` as one Arrow array (chunks combined); None when the batch has no such column."""
    index = batch.schema.get_field_index(name)
    if index < 0:
        return None
    values = batch.column(index)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def with_columns(batch: pa.RecordBatch, columns: Mapping[str, pa.Array], drop: Sequence[str] = ()) -> pa.RecordBatch:
    """The batch with ``columns`` replaced (in place) or appended (in order), and ``drop`` removed."""
    pending = dict(columns)
    names, arrays = [], []
    for name, array in zip(batch.schema.names, batch.columns):
        if name in drop:
            continue
        names.append(name)
        arrays.append(pending.pop(name) if name in pending else array)
    for name, array in pending.items():
        names.append(name)
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def excerpt(value: Any, chars: int, undecodable: str = "replace") -> str | None:
    """The first ``chars`` characters of a text, or of bytes decoded as UTF-8 (``undecodable``: the codec's
    error handler, 'replace' or 'backslashreplace'); None stays None."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        # 4 bytes per character at most: decode no more than the excerpt can use
        value = bytes(value[: chars * 4]).decode("utf-8", errors=undecodable)
    return str(value)[:chars]
