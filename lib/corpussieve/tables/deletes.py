"""Deleting rows by id, one committed Delta DELETE per table, on both backends (``corpussieve forget``).

A delete that would match nothing commits nothing: the matching rows are counted first (a scan of the id
column), so rerunning a forget request that already went through leaves every table's version as it was.
Each commit carries the run's metadata as its ``userMetadata``, as the jobs' writes do, so ``corpussieve
history`` and ``DESCRIBE HISTORY`` show who deleted what and why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from corpussieve.errors import ConcurrentWriteError
from corpussieve.session import session_conf

#: Ids per DELETE predicate on delta-rs (a SQL IN list): one commit per chunk.
RS_CHUNK = 5000
_USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"


def sql_string(value: str) -> str:
    """A SQL string literal (quotes doubled), for delta-rs predicates."""
    return "'" + str(value).replace("'", "''") + "'"


def matching_rows(tables, path: str, column: str, values: Sequence[str]) -> int:
    """Rows of the table whose ``column`` is one of ``values``."""
    from pyspark.sql import functions as F

    if not values:
        return 0
    wanted = tables.spark.createDataFrame([(v,) for v in values], "__v string")
    return (tables.read(path).select(F.col(f"`{column}`").cast("string").alias("__v"))
            .join(F.broadcast(wanted), "__v", "left_semi").count())


def delete_ids(tables, path: str, column: str, values: Sequence[str], metadata: dict[str, Any]) -> dict[str, Any]:
    """Delete the rows whose ``column`` is in ``values``; {"rows_deleted", "committed", "version"}."""
    path = tables.normalize(path)
    values = sorted({str(v) for v in values})
    found = matching_rows(tables, path, column, values)
    if not found:
        return {"table": path, "rows_deleted": 0, "committed": False, "version": tables.version(path)}
    blob = json.dumps(metadata, default=str, sort_keys=True)
    if tables.backend_name == "delta-rs":
        from deltalake import CommitProperties, DeltaTable
        from deltalake.exceptions import CommitFailedError

        for start in range(0, len(values), RS_CHUNK):
            chunk = values[start : start + RS_CHUNK]
            listed = ", ".join(sql_string(v) for v in chunk)
            predicate = f'"{column}" IN ({listed})'
            try:
                DeltaTable(path, storage_options=dict(tables.cfg.storage_options) or None).delete(
                    predicate, commit_properties=CommitProperties(custom_metadata={"userMetadata": blob},
                                                                  max_commit_retries=tables.cfg.commit_retries))
            except CommitFailedError as exc:
                raise ConcurrentWriteError(f"table {path}: delete lost to a concurrent writer: {exc}") from exc
    else:
        from delta.tables import DeltaTable
        from pyspark.sql import functions as F

        with session_conf(tables.spark, {_USER_METADATA: blob}):
            DeltaTable.forPath(tables.spark, path).delete(F.col(f"`{column}`").cast("string").isin(values))
    return {"table": path, "rows_deleted": found, "committed": True, "version": tables.version(path)}


__all__ = ["delete_ids", "matching_rows", "sql_string"]
