"""The delta-spark backend: Spark's own ``format("delta")``, used when the Delta jars are on the classpath."""

from __future__ import annotations

import logging
from typing import Any

from corpussieve.config import TablesConfig
from corpussieve.deltajars import DELTA_EXTENSION_CLASS
from corpussieve.errors import SchemaMismatchError, TableNotFoundError
from corpussieve.tables.base import Txn, WriteResult
from corpussieve.tables.schema import check_append_schema, check_partition_columns

log = logging.getLogger("corpussieve.tables")


class DeltaSparkPendingWrite:
    """delta-spark writes and commits in one step; staging only validates, ``commit`` writes."""

    def __init__(self, backend: DeltaSparkBackend, df, path: str, mode: str, partition_by: list[str],
                 txn: Txn | None, metadata: dict[str, Any]) -> None:
        self.backend = backend
        self.df = df
        self.path = path
        self.mode = mode
        self.partition_by = partition_by
        self.txn = txn
        self.metadata = metadata

    def commit(self) -> WriteResult:
        import json

        before = self.backend._latest_version(self.path)
        writer = self.df.write.format("delta").mode(self.mode)
        if self.partition_by:
            writer = writer.partitionBy(*self.partition_by)
        if self.mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        if self.txn is not None:
            writer = writer.option("txnAppId", self.txn.app_id).option("txnVersion", str(self.txn.version))
        if self.metadata:
            writer = writer.option("userMetadata", json.dumps(self.metadata, default=str))
        writer.save(self.path)
        after = self.backend._latest_version(self.path)
        committed = after != before
        log.info("%s %s: version %s (%s)", "committed" if committed else "skipped", self.path, after, self.mode)
        return WriteResult(self.path, self.mode, after, committed, 0, None, "delta-spark")

    def abort(self) -> None:
        return None


class DeltaSparkBackend:
    name = "delta-spark"

    def __init__(self, spark, cfg: TablesConfig) -> None:
        self.spark = spark
        self.cfg = cfg

    def normalize(self, path: str) -> str:
        return path.rstrip("/") or "/"

    def _delta_table(self, path: str):
        from delta.tables import DeltaTable

        return DeltaTable.forPath(self.spark, path)

    def exists(self, path: str) -> bool:
        from delta.tables import DeltaTable

        return bool(DeltaTable.isDeltaTable(self.spark, path))

    def _require(self, path: str) -> None:
        if not self.exists(path):
            raise TableNotFoundError("no Delta table at this path", table=path)

    def _latest_version(self, path: str) -> int | None:
        if not self.exists(path):
            return None
        row = self._delta_table(path).history(1).select("version").first()
        return int(row["version"]) if row else None

    def version(self, path: str) -> int:
        self._require(path)
        return int(self._latest_version(path))

    def schema(self, path: str):
        return self.read(path).schema

    def partition_columns(self, path: str) -> list[str]:
        self._require(path)
        detail = self.spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()
        return list(detail["partitionColumns"])

    def history(self, path: str, limit: int | None = None) -> list[dict[str, Any]]:
        self._require(path)
        frame = self._delta_table(path).history(limit) if limit else self._delta_table(path).history()
        out = []
        for row in frame.orderBy("version", ascending=False).collect():
            out.append(
                {
                    "version": int(row["version"]),
                    "timestamp": row["timestamp"],
                    "operation": row["operation"],
                    "operationParameters": dict(row["operationParameters"] or {}),
                }
            )
        return out

    def txn_version(self, path: str, app_id: str) -> int | None:
        if not self.exists(path):
            return None
        jvm = self.spark.sparkContext._jvm
        log_obj = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(self.spark._jsparkSession, path)
        found = log_obj.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty()).transactions().get(app_id)
        return int(found.get()) if found.isDefined() else None

    def read(self, path: str, version: int | None = None):
        self._require(path)
        reader = self.spark.read.format("delta")
        if version is not None:
            latest = self.version(path)
            if version < 0 or version > latest:
                raise TableNotFoundError(f"version {version} does not exist (versions 0..{latest})", table=path)
            reader = reader.option("versionAsOf", version)
        return reader.load(path)

    def prepare_write(self, df, path: str, mode: str, partition_by: list[str] | None, txn: Txn | None,
                      metadata: dict[str, Any] | None):
        path = self.normalize(path)
        partition_by = list(partition_by or [])
        if self.exists(path):
            current_parts = self.partition_columns(path)
            if mode == "append":
                table_schema = self.read(path).schema
                check_append_schema(path, table_schema, df.schema)
                partition_by = partition_by or current_parts
                df = df.select(*[f"`{f.name}`" for f in table_schema.fields])
            if partition_by != current_parts:
                raise SchemaMismatchError(
                    f"table {path} is partitioned by {current_parts or 'nothing'}, the write by "
                    f"{partition_by or 'nothing'}; delete the table to change its partitioning"
                )
        check_partition_columns(path, df.schema, partition_by)
        return DeltaSparkPendingWrite(self, df, path, mode, partition_by, txn, dict(metadata or {}))
