"""The delta-spark backend: Spark's own ``format("delta")``, used when the Delta jars are on the classpath."""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
from typing import Any

from corpussieve.runtime_config import TablesConfig
from corpussieve.deltajars import DELTA_EXTENSION_CLASS
from corpussieve.errors import ConcurrentWriteError, SchemaMismatchError, TableNotFoundError
from corpussieve.tables.base import (
    SkippedWrite,
    Txn,
    WriteResult,
    commit_metadata_json,
    has_scheme,
    normalize_local,
    not_found_reason,
    parse_commit_metadata,
)
from corpussieve.tables.changes import commit_log_path
from corpussieve.tables.schema import check_append_schema, check_partition_columns

log = logging.getLogger("corpussieve.tables")


class DeltaSparkPendingWrite:
    """An output computed in full (cached in the executors' memory and disk) but not yet in the table.

    delta-spark writes and commits in one step, so staging computes the rows first: a failure while
    computing any output of ``Tables.write_all`` then commits nothing anywhere, as with delta-rs, and the
    commit only writes the cached rows.

    ``stage=False``: the frame is written as it is when committed, without a cached copy, and its row count
    comes from the commit's own metrics: for an output that only filters frames the run has persisted and
    computed already (``WriteSpec.computed``: nothing is left to fail in it), and for a first output the
    job streams (``WriteSpec.stream``: it commits before any other).
    """

    def __init__(self, backend: DeltaSparkBackend, df, path: str, mode: str, partition_by: list[str],
                 txn: Txn | None, metadata: dict[str, Any], stage: bool = True) -> None:
        from pyspark import StorageLevel

        self.backend = backend
        self.path = path
        self.mode = mode
        self.partition_by = partition_by
        self.txn = txn
        self.metadata = metadata
        self.staged = stage
        if not self.staged:
            self.df, self.rows = df, None
            return
        self.df = df.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            self.rows = self.df.count()
        except BaseException:
            self.df.unpersist()
            raise

    def commit(self) -> WriteResult:
        before = self.backend._latest_version(self.path)
        # the same codec as the delta-rs backend writes (tables.compression; Spark's own default is snappy)
        writer = self.df.write.format("delta").mode(self.mode).option("compression",
                                                                       self.backend.cfg.compression)
        if self.partition_by:
            writer = writer.partitionBy(*self.partition_by)
        if self.mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        if self.txn is not None:
            writer = writer.option("txnAppId", self.txn.app_id).option("txnVersion", str(self.txn.version))
        if self.metadata:
            writer = writer.option("userMetadata", commit_metadata_json(self.metadata))
        try:
            writer.save(self.path)
        except Exception as exc:
            text = str(exc)
            if "Concurrent" not in text and "conflict" not in text.lower():
                raise
            seen = self.backend.txn_version(self.path, self.txn.app_id) if self.txn is not None else None
            if seen is not None and seen >= self.txn.version:
                version = self.backend._latest_version(self.path)
                log.info("skipped %s: a concurrent run committed this batch first (txn %d)", self.path,
                         self.txn.version)
                return WriteResult(self.path, self.mode, version, False, 0, 0, "delta-spark")
            raise ConcurrentWriteError(f"table {self.path}: commit lost to a concurrent writer: "
                                       f"{text.splitlines()[0]}") from exc
        finally:
            self.abort()
        latest = self.backend.history(self.path, 1)[0]
        committed = latest["version"] != before
        metrics = latest.get("operationMetrics") or {}
        files = int(metrics.get("numFiles", 0)) if committed else 0
        rows = (self.rows if self.staged else int(metrics.get("numOutputRows", 0))) if committed else 0
        log.info("%s %s: version %s, %d files, %d rows (%s)", "committed" if committed else "skipped", self.path,
                 latest["version"], files, rows, self.mode)
        return WriteResult(self.path, self.mode, latest["version"], committed, files, rows, "delta-spark")

    def abort(self) -> None:
        if self.staged:
            self.df.unpersist()


class DeltaSparkBackend:
    name = "delta-spark"

    def __init__(self, spark, cfg: TablesConfig) -> None:
        self.spark = spark
        self.cfg = cfg
        self._default_fs_is_local: bool | None = None

    def normalize(self, path: str) -> str:
        # Relative local paths become absolute, as delta-rs makes them, so both backends name a table alike
        # (run keys and pinned versions are keyed by path); absolute and scheme paths are left to Spark.
        if not has_scheme(path) and not path.startswith("/"):
            path = normalize_local(path)
        return path.rstrip("/") or "/"

    def _delta_table(self, path: str):
        from delta.tables import DeltaTable

        return DeltaTable.forPath(self.spark, path)

    def exists(self, path: str) -> bool:
        from delta.tables import DeltaTable

        return bool(DeltaTable.isDeltaTable(self.spark, path))

    def _require(self, path: str) -> None:
        if not self.exists(path):
            raise TableNotFoundError(not_found_reason(path), table=path)

    def _latest_version(self, path: str) -> int | None:
        """The table's latest version, from its log's listing (the snapshot ``DeltaLog.update`` returns): about
        10 ms, where ``DeltaTable.history(1)`` runs a Spark job (0.2 s warm, 1.8 s as a session's first)."""
        if not self.exists(path):
            return None
        version = int(self._snapshot(path).version())
        return version if version >= 0 else None

    def _snapshot(self, path: str):
        """The table's latest snapshot (a JVM object), brought up to date by listing its log."""
        jvm = self.spark.sparkContext._jvm
        log_obj = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(self.spark._jsparkSession, path)
        return log_obj.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())

    def _local_path(self, path: str) -> str | None:
        """The table's folder on this machine, when Spark resolves ``path`` to the local file system (a
        ``file:`` URI, or a plain path while the default file system is local), else None."""
        if has_scheme(path) and not path.startswith("file:"):
            return None
        if not has_scheme(path):
            if self._default_fs_is_local is None:
                default_fs = self.spark.sparkContext._jsc.hadoopConfiguration().get("fs.defaultFS") or "file:///"
                self._default_fs_is_local = str(default_fs).startswith("file:")
            if not self._default_fs_is_local:
                return None
        return normalize_local(path)

    def version(self, path: str) -> int:
        self._require(path)
        return int(self._latest_version(path))

    def schema(self, path: str):
        return self.read(path).schema

    def add_columns(self, path: str, fields: list) -> int:
        """Add nullable columns (Spark ``StructField``s) to an existing table in one metadata commit (rows
        already written read null): an empty append with ``mergeSchema``; returns the new version."""
        from pyspark.sql.types import StructField, StructType

        self._require(path)
        current = self.read(path).schema
        wider = StructType([*current.fields, *[StructField(f.name, f.dataType, True) for f in fields]])
        self.spark.createDataFrame([], wider).write.format("delta").mode("append").option(
            "mergeSchema", "true").save(path)
        return self.version(path)

    def partition_columns(self, path: str) -> list[str]:
        self._require(path)
        detail = self.spark.sql(f"DESCRIBE DETAIL delta.`{path}`").first()
        return list(detail["partitionColumns"])

    def history(self, path: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The latest ``limit`` commits (all without), newest first. A local table's commits are read from its
        log files by the driver (``history_from_log``); other tables through ``DeltaTable.history``, a Spark
        job that reads the same files (``history_by_spark``): a run looks at histories a dozen times (the
        resume check, every commit's version and metrics), and each job cost 0.2-1.8 s of a 30 s run."""
        self._require(path)
        local = self._local_path(path)
        if local is None:
            return self.history_by_spark(path, limit)
        return history_from_log(local, self._latest_version(path), limit)

    def history_by_spark(self, path: str, limit: int | None = None) -> list[dict[str, Any]]:
        """``history`` through ``DeltaTable.history`` (any file system)."""
        self._require(path)
        frame = self._delta_table(path).history(limit) if limit else self._delta_table(path).history()
        out = []
        for row in frame.orderBy("version", ascending=False).collect():
            entry = {
                "version": int(row["version"]),
                "timestamp": row["timestamp"],
                "operation": row["operation"],
                "operationParameters": dict(row["operationParameters"] or {}),
                "operationMetrics": dict(row["operationMetrics"] or {}),
            }
            meta = parse_commit_metadata(row["userMetadata"])
            if meta is not None:
                entry["corpussieve"] = meta
            out.append(entry)
        return out

    def txn_version(self, path: str, app_id: str) -> int | None:
        if not self.exists(path):
            return None
        found = self._snapshot(path).transactions().get(app_id)
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
                      metadata: dict[str, Any] | None, stage: bool = True):
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
            if txn is not None:
                seen = self.txn_version(path, txn.app_id)
                if seen is not None and seen >= txn.version:
                    return SkippedWrite(path, mode, self.version(path), self.name,
                                        f"batch {txn.version} of {txn.app_id} is committed already")
        check_partition_columns(path, df.schema, partition_by)
        return DeltaSparkPendingWrite(self, df, path, mode, partition_by, txn, dict(metadata or {}), stage)


_COMMIT_FILE = re.compile(r"^(\d{20})\.json$")
_COMMIT_INFO_LINE = re.compile(r'^\s*\{\s*"commitInfo"\s*:')


def history_from_log(table: str, latest: int | None, limit: int | None = None) -> list[dict[str, Any]]:
    """History entries, newest first, of the commits up to ``latest`` whose files are in the log of the local
    table ``table``, as
    ``DeltaTable.history`` gives them: the commit's ``commitInfo`` action (``operationParameters`` and
    ``operationMetrics`` are string maps in the file as in the history frame) and the timestamp history uses
    (the in-commit timestamp when the table records one, else the commit file's modification time). Commits
    whose files the log cleanup removed are not listed, as history does not list them."""
    if latest is None:
        return []
    versions = sorted((int(m.group(1)) for m in map(_COMMIT_FILE.match, os.listdir(os.path.join(table, "_delta_log")))
                       if m and int(m.group(1)) <= latest), reverse=True)
    out = []
    for version in versions[:limit] if limit else versions:
        file = commit_log_path(table, version)
        info: dict[str, Any] = {}
        with open(file, encoding="utf-8") as handle:
            for line in handle:  # delta writes commitInfo first; a commit without one is read to its end
                if _COMMIT_INFO_LINE.match(line):
                    info = json.loads(line)["commitInfo"]
                    break
        stamp_ms = info.get("inCommitTimestamp") or int(os.stat(file).st_mtime * 1000)
        entry = {
            "version": version,
            "timestamp": datetime.datetime.fromtimestamp(stamp_ms / 1000),
            "operation": info.get("operation"),
            "operationParameters": {k: _as_text(v) for k, v in (info.get("operationParameters") or {}).items()},
            "operationMetrics": {k: _as_text(v) for k, v in (info.get("operationMetrics") or {}).items()},
        }
        meta = parse_commit_metadata(info.get("userMetadata"))
        if meta is not None:
            entry["corpussieve"] = meta
        out.append(entry)
    return out


def _as_text(value: Any) -> str:
    """A commitInfo map value as the history frame's map<string,string> holds it."""
    return value if isinstance(value, str) else json.dumps(value)
