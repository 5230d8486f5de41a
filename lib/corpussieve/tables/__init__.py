"""The Delta table layer every job reads and writes through.

Two backends produce real Delta tables: *delta-spark* when its classes are on the JVM classpath,
and *delta-rs* otherwise (Spark writes Parquet, the driver commits with ``deltalake``). Choose
with ``tables.backend``; 'auto' never falls back to plain Parquet.
"""

from __future__ import annotations

import logging
from typing import Any

from corpussieve.config import TablesConfig
from corpussieve.errors import ConfigError, InputError
from corpussieve.session import jvm_has_class
from corpussieve.tables.base import PendingWrite, Txn, WriteMode, WriteResult, WriteSpec
from corpussieve.tables.delta_rs import DeltaRsBackend
from corpussieve.tables.delta_spark import DELTA_EXTENSION_CLASS, DeltaSparkBackend

__all__ = ["Tables", "Txn", "WriteResult", "WriteSpec", "PendingWrite", "delta_spark_available"]

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
                    "classpath; submit with --packages io.delta:delta-spark_2.13:4.4.1 (or --jars), or use "
                    "tables.backend=auto"
                )
            return DeltaSparkBackend(self.spark, self.cfg)
        return DeltaSparkBackend(self.spark, self.cfg) if has_jars else DeltaRsBackend(self.spark, self.cfg)

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

    def history(self, path: str, limit: int | None = None) -> list[dict[str, Any]]:
        return self.backend.history(path, limit)

    def txn_version(self, path: str, app_id: str) -> int | None:
        """The last batch version committed under ``app_id``, or None."""
        return self.backend.txn_version(path, app_id)

    def normalize(self, path: str) -> str:
        return self.backend.normalize(path)

    def prepare(self, spec: WriteSpec) -> PendingWrite:
        if spec.mode not in ("append", "overwrite"):
            raise ConfigError(f"config error: write mode must be 'append' or 'overwrite', got {spec.mode!r}")
        return self.backend.prepare_write(spec.df, spec.path, spec.mode, spec.partition_by, spec.txn, spec.metadata)

    def write(self, df, path: str, mode: WriteMode = "append", partition_by: list[str] | None = None,
              txn: Txn | None = None, metadata: dict[str, Any] | None = None) -> WriteResult:
        """Write ``df`` as one Delta transaction (``txn`` makes a rerun of the same batch a no-op)."""
        return self.write_all([WriteSpec(df, path, mode, list(partition_by or []), txn, dict(metadata or {}))])[0]

    def write_all(self, specs: list[WriteSpec]) -> list[WriteResult]:
        """Stage every table's data first, then commit them one after another.

        A failure while computing or staging any output commits nothing anywhere. With the delta-rs
        backend the commits themselves are short metadata operations; delta-spark writes and commits
        in one step per table.
        """
        staged: list[PendingWrite] = []
        try:
            for spec in specs:
                staged.append(self.prepare(spec))
        except BaseException:
            for pending in staged:
                pending.abort()
            raise
        results = []
        for index, pending in enumerate(staged):
            try:
                results.append(pending.commit())
            except BaseException:
                for later in staged[index + 1 :]:
                    later.abort()
                raise
        return results
