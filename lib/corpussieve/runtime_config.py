"""The config sections every job shares: how the Spark session is built and the Delta table layer."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from corpussieve.configbase import StrictModel


class SparkConfig(StrictModel):
    """How the SparkSession is built. Under spark-submit, whatever the submitter set wins."""

    master: str | None = Field(
        None, description="Spark master URL. Unset: local mode on every core, or the spark-submit master."
    )
    app_name: str = Field("corpussieve", description="Application name shown in the Spark UI and logs.")
    driver_memory: str | None = Field(
        None,
        description="Driver JVM heap in local mode, e.g. '8g'. Unset: 40% of physical memory, capped at 16g.",
    )
    shuffle_partitions: int | None = Field(
        None, ge=1, description="spark.sql.shuffle.partitions. Unset: 8 per core in local mode (AQE coalesces)."
    )
    arrow_batch_rows: int = Field(
        4096, ge=16, description="Rows per Arrow batch sent to Python workers; bounds worker memory on long texts."
    )
    ui: bool = Field(True, description="Start the Spark web UI (local mode).")
    local_dir: str | None = Field(None, description="spark.local.dir for shuffle spill. Unset: Spark's default.")
    log_level: Literal["ERROR", "WARN", "INFO", "DEBUG"] = Field("WARN", description="JVM log level.")
    jit: Literal["auto", "full", "quick"] = Field(
        "auto",
        description="Driver JVM compilers in local mode. 'quick' stops at C1 (-XX:TieredStopAtLevel=1): about half "
        "the JVM CPU on a 2-core machine when the work is in Python; 'full' is the JVM default. 'auto': quick for "
        "clean, repetition, inspect, format and decontaminate; for dedup quick up to 300,000 rows of input and "
        "index (read from the tables' logs), full above; full for the others.",
    )
    delta_jars: str = Field(
        "auto",
        description="delta-spark jars for a local session: 'auto' ($CORPUSSIEVE_DELTA_JARS, else the ones make setup "
        "fetched into .jars/, if any), 'none', a folder, or comma-separated jar paths. With jars, the Delta SQL "
        "extension and catalog are set too and tables.backend 'auto' picks delta-spark. Ignored under spark-submit.",
    )
    class_archive: str = Field(
        "auto",
        description="JVM class archive (CDS) for a local session's driver: 'auto' (the one make setup built for this "
        "JVM and class path, if any; about 5 s off each start), 'none', or the path of a .jsa file. Ignored under "
        "spark-submit.",
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="Extra Spark properties, applied last (local mode) or if unset (submit)."
    )

    @field_validator("driver_memory")
    @classmethod
    def _memory_size(cls, value: str | None) -> str | None:
        if value is None:
            return value
        text = value.strip().lower()
        if not text or not text[:-1].isdigit() or text[-1] not in "kmgt":
            raise ValueError("must look like '512m' or '8g'")
        return text


class TablesConfig(StrictModel):
    """The Delta table layer."""

    backend: Literal["auto", "delta-spark", "delta-rs"] = Field(
        "auto",
        description="'auto' uses delta-spark when its classes are on the JVM classpath, else delta-rs.",
    )
    max_rows_per_file: int = Field(
        500_000, ge=1_000, description="delta-rs backend: a Parquet data file is rolled over after this many rows."
    )
    compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        "zstd", description="Parquet compression codec of the data files both backends write."
    )
    storage_options: dict[str, str] = Field(
        default_factory=dict, description="delta-rs storage options for object stores (credentials, endpoints)."
    )
    commit_retries: int = Field(
        15, ge=0, le=1000, description="delta-rs backend: retries of a commit that lost a race to another writer."
    )
