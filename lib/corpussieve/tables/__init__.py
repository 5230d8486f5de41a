"""The Delta table layer every job reads and writes through.

Two backends produce real Delta tables: *delta-spark* when its classes are on the JVM classpath,
and *delta-rs* otherwise (Spark writes Parquet, the driver commits with ``deltalake``). Choose
with ``tables.backend``; 'auto' never falls back to plain Parquet.
"""

from __future__ import annotations

import logging
from typing import Any

from corpussieve import failpoints
from corpussieve.runtime_config import TablesConfig
from corpussieve.deltajars import DELTA_EXTENSION_CLASS
from corpussieve.errors import ConfigError, InputError, SchemaMismatchError, UnsupportedTableFeatureError
from corpussieve.session import jvm_has_class
from corpussieve.tables.base import (
    Output,
    PendingWrite,
    Recovery,
    RunIdentity,
    SkippedWrite,
    Txn,
    WriteMode,
    WriteResult,
    WriteSpec,
)
from corpussieve.tables.delta_rs import DeltaRsBackend
from corpussieve.tables.delta_spark import DeltaSparkBackend

__all__ = ["Tables", "Txn", "WriteResult", "WriteSpec", "PendingWrite", "Output", "Recovery", "RunIdentity",
           "delta_spark_available"]

#: How far back a rerun looks for its own commit in an append-only table's history.
HISTORY_SCAN = 1000
#: Commits that rewrite files without changing rows (``corpussieve maintain``).
MAINTENANCE_OPERATIONS = {"OPTIMIZE", "VACUUM START", "VACUUM END"}

log = logging.getLogger("corpussieve.tables")


def delta_spark_available(spark) -> bool:
    """Whether the delta-spark JVM classes can be loaded by this session."""
    return jvm_has_class(spark, DELTA_EXTENSION_CLASS)


class Tables:
    """Read, write and inspect Delta tables through the configured backend."""

    def __init__(self, spark, cfg: TablesConfig | None = None) -> None:
        self.spark = spark
        self.cfg = cfg or TablesConfig()
        self.backend = self._choose_backend()
        log.info("table backend: %s", self.backend.name)

    def _choose_backend(self):
        wanted = self.cfg.backend
        if wanted == "delta-rs":
            return DeltaRsBackend(self.spark, self.cfg)
        has_jars = delta_spark_available(self.spark)
        if wanted == "delta-spark":
            if not has_jars:
                raise ConfigError(
                    f"config error: tables.backend=delta-spark, but {DELTA_EXTENSION_CLASS} is not on the JVM "
                    "classpath; run make setup (local sessions), submit with --packages "
                    "io.delta:delta-spark_2.13:4.4.0 (or --jars), or use tables.backend=auto"
                )
            return DeltaSparkBackend(self.spark, self.cfg)
        if not has_jars:
            log.info("no delta-spark classes on this session's classpath: tables use delta-rs (make setup fetches "
                     "the jars for local sessions; clusters pass --packages)")
            return DeltaRsBackend(self.spark, self.cfg)
        return DeltaSparkBackend(self.spark, self.cfg)

    @property
    def backend_name(self) -> str:
        return self.backend.name

    def exists(self, path: str) -> bool:
        return self.backend.exists(path)

    def read(self, path: str, version: int | None = None):
        """The table's rows at the latest version, or at ``version`` (time travel)."""
        return self.backend.read(path, version)

    def require(self, path: str, columns: list[str] | tuple[str, ...] = (), any_of: tuple[str, ...] = (),
                version: int | None = None):
        """Read a job's input table and check that its required columns are there."""
        df = self.read(path, version)
        present = set(df.columns)
        for column in columns:
            if column not in present:
                raise InputError(
                    "column is missing", table=path, column=column,
                    expected=f"a column named {column!r} (the table has: {', '.join(df.columns)})",
                )
        if any_of and not present.intersection(any_of):
            raise InputError(
                f"none of the columns {', '.join(any_of)} is present", table=path,
                expected=f"at least one of {', '.join(repr(c) for c in any_of)} (the table has: "
                         f"{', '.join(df.columns)})",
            )
        return df

    def version(self, path: str) -> int:
        return self.backend.version(path)

    def schema(self, path: str):
        """The table's Spark schema (latest version)."""
        return self.backend.schema(self.normalize(path))

    def add_columns(self, path: str, fields: list) -> int:
        """Add nullable columns (Spark ``StructField``s, none already in the table) to an existing table, in
        one commit of its own; rows already written read null. Returns the new version. For a table that
        must gain a column a job started writing (a lake created before the column existed)."""
        path = self.normalize(path)
        present = set(self.backend.schema(path).fieldNames())
        if clash := sorted(f.name for f in fields if f.name in present):
            raise SchemaMismatchError(f"table {path}: cannot add columns {clash}, the table has them already")
        version = self.backend.add_columns(path, list(fields))
        log.info("table %s: added columns %s (version %d)", path, [f.name for f in fields], version)
        failpoints.after_commit(path)
        return version

    def read_appended(self, path: str, after: int | None, upto: int):
        """The rows appended after version ``after`` (None: every row ever appended) up to ``upto``, read
        from the files the commits in between added (``corpussieve.tables.changes`` says which commits count
        and which are refused). The table's schema at ``upto``; files from before a column was added give
        nulls in it."""
        import urllib.parse

        from corpussieve.tables.base import has_scheme, spark_uri
        from corpussieve.tables.changes import appended_files, read_commits

        path = self.normalize(path)
        if self.backend.partition_columns(path):
            raise UnsupportedTableFeatureError(
                f"table {path} is partitioned; reading only its appended rows needs an unpartitioned table")
        schema = self.read(path, upto).schema
        files = appended_files(path, read_commits(path, after, upto, dict(self.cfg.storage_options) or None))
        if not files:
            return self.spark.createDataFrame([], schema)
        root = spark_uri(path).rstrip("/")
        uris = [urllib.parse.unquote(p) if has_scheme(p) else f"{root}/{urllib.parse.unquote(p)}" for p in files]
        return self.spark.read.schema(schema).parquet(*uris)

    def delete_ids(self, path: str, column: str, values, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Delete the rows whose ``column`` is one of ``values`` in one committed DELETE (none if no row
        matches); see ``corpussieve.tables.deletes``."""
        from corpussieve.tables.deletes import delete_ids

        return delete_ids(self, path, column, values, dict(metadata or {}))

    def commit_of_txn(self, path: str, txn: Txn) -> dict[str, Any] | None:
        """The history entry of the commit that recorded batch ``txn`` (by its metadata), or None."""
        batch = [txn.app_id, txn.version]
        for entry in self.history(self.normalize(path), HISTORY_SCAN):
            if (entry.get("corpussieve") or {}).get("txn") == batch:
                return entry
        return None

    def history(self, path: str, limit: int | None = None) -> list[dict[str, Any]]:
        return self.backend.history(path, limit)

    def txn_version(self, path: str, app_id: str) -> int | None:
        """The last batch version committed under ``app_id``, or None."""
        return self.backend.txn_version(path, app_id)

    # -- runs that span several tables ---------------------------------------------------------------
    def landed(self, output: Output, key: str) -> dict[str, Any] | None:
        """The commit metadata by which run ``key`` already landed in ``output``, or None if it has not.

        An append under a Delta ``txn`` has landed when the table records that batch (its commit is then
        looked up for the pinned versions); any other write has landed when the table's latest data commit
        carries the run's key (a later write by anyone else means the run's output is no longer there;
        compaction and VACUUM commits, which change files and not rows, do not count).
        """
        path = self.normalize(output.path)
        if not self.exists(path):
            return None
        if output.txn is not None:
            seen = self.txn_version(path, output.txn.app_id)
            if seen is None or seen < output.txn.version:
                return None
            batch = [output.txn.app_id, output.txn.version]
            found: dict[str, Any] = {}  # the batch is there, committed by a run that recorded nothing
            for entry in self.history(path, HISTORY_SCAN):
                meta = entry.get("corpussieve") or {}
                if meta.get("run_key") == key:
                    return meta
                if meta.get("txn") == batch and not found:
                    # Another run (another output folder, another config) committed this batch: what it
                    # pinned is what the batch was computed against, e.g. the index before the batch.
                    found = meta
            return found
        for entry in self.history(path, 50):
            if entry.get("operation") in MAINTENANCE_OPERATIONS:
                continue  # compaction and VACUUM change files, not rows: the run's output is still there
            meta = entry.get("corpussieve") or {}
            return meta if meta.get("run_key") == key else None
        return None

    def recover(self, key: str, outputs: list[Output]) -> Recovery:
        """Which of a run's outputs already hold its commit: see ``Recovery``."""
        landed, missing, pinned = [], [], {}
        for output in outputs:
            meta = self.landed(output, key)
            if meta is None:
                missing.append(self.normalize(output.path))
            else:
                landed.append(self.normalize(output.path))
                pinned = pinned or dict(meta.get("pinned") or {})
        recovery = Recovery(key, landed, missing, pinned)
        if recovery.partial:
            log.warning("run %s landed in %s but not in %s: an earlier attempt died between commits; this run "
                        "completes it with the versions it pinned (%s)", key, ", ".join(landed), ", ".join(missing),
                        pinned or "none")
        return recovery

    def normalize(self, path: str) -> str:
        return self.backend.normalize(path)

    def prepare(self, spec: WriteSpec, run: RunIdentity | None = None) -> PendingWrite:
        if spec.mode not in ("append", "overwrite"):
            raise ConfigError(f"config error: write mode must be 'append' or 'overwrite', got {spec.mode!r}")
        metadata = dict(spec.metadata)
        if run is not None:
            if self.landed(Output(spec.path, spec.mode, spec.txn), run.key) is not None:
                path = self.normalize(spec.path)
                return SkippedWrite(path, spec.mode, self.version(path), self.backend.name,
                                    "this run's commit is already there")
            metadata.update(run.commit_metadata())
            if spec.txn is not None:
                metadata["txn"] = [spec.txn.app_id, spec.txn.version]
        return self.backend.prepare_write(spec.df, spec.path, spec.mode, spec.partition_by, spec.txn, metadata,
                                          stage=not (spec.computed or spec.stream))

    def write(self, df, path: str, mode: WriteMode = "append", partition_by: list[str] | None = None,
              txn: Txn | None = None, metadata: dict[str, Any] | None = None) -> WriteResult:
        """Write ``df`` as one Delta transaction (``txn`` makes a rerun of the same batch a no-op)."""
        return self.write_all([WriteSpec(df, path, mode, list(partition_by or []), txn, dict(metadata or {}))])[0]

    def write_all(self, specs: list[WriteSpec], run: RunIdentity | None = None) -> list[WriteResult]:
        """Stage every table's data first, then commit them one after another.

        A failure while computing or staging any output commits nothing anywhere: delta-rs stages by
        writing the data files (the commit is a short metadata operation), delta-spark by computing each
        output fully into the executors' storage before the first commit. Delta has no multi-table
        transaction, so a process killed between two commits leaves some outputs committed: with ``run``,
        every commit records the run's key and pinned versions, outputs that already hold this run's commit
        are skipped, and the rerun of the same command commits exactly the missing ones.

        A ``stream`` output (the first only) is not staged: it is computed as it is committed, first, so a
        failure in it commits nothing either, but may leave its failed tasks' files uncommitted in its folder.
        """
        if any(spec.stream for spec in specs[1:]):
            raise ValueError("only the first output of a write_all can be streamed (WriteSpec.stream): "
                             "it must commit before any other")
        staged: list[PendingWrite] = []
        try:
            for spec in specs:
                staged.append(self.prepare(spec, run))
        except BaseException:
            for pending in staged:
                pending.abort()
            raise
        results = []
        for index, pending in enumerate(staged):
            try:
                result = pending.commit()
            except BaseException:
                for later in staged[index + 1 :]:
                    later.abort()
                raise
            results.append(result)
            if result.committed:
                failpoints.after_commit(result.path)
        return results
