"""One factory for the SparkSession.

Local mode (no master configured and not under spark-submit) gets settings sized to the machine.
Under spark-submit the JVM already exists with the submitter's master, memory and jars, and this
factory only fills in properties the submitter left unset.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time

import psutil

from corpussieve.runtime_config import SparkConfig
from corpussieve.errors import ConfigError

log = logging.getLogger("corpussieve.session")

# Properties every corpussieve session wants, unless the user set them: Arrow for Python stages,
# UTC so timestamps never depend on the machine, and adaptive execution to coalesce small shuffles.
_COMMON_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.adaptive.advisoryPartitionSizeInBytes": "64m",
    "spark.python.worker.reuse": "true",
}


def under_spark_submit() -> bool:
    """True when this Python driver was launched by spark-submit (the JVM came first and passed its gateway)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def local_driver_memory() -> str:
    """40% of physical memory, at least 1g and at most 16g: Python workers need the rest."""
    total_gib = psutil.virtual_memory().total / 2**30
    return f"{int(min(16, max(1, total_gib * 0.4)))}g"


#: JVM flags of ``spark.jit: quick``. C2 compiles Spark's hot paths faster for long JVM-heavy jobs, but on a
#: laptop-sized machine its compiler threads compete with the Python workers for the same cores: for the
#: clean job it was half of the JVM's CPU (32.8 s of CPU on a 92-page run, 17.5 s with C1 only). Jobs whose
#: work is in the JVM keep C2: dedup of 1M documents took 295 s with C1 only against 252 s (LSH buckets 90 s
#: against 35 s).
QUICK_JIT_OPTIONS = "-XX:TieredStopAtLevel=1"


def local_settings(cfg: SparkConfig, jit_default: str = "full") -> dict[str, str]:
    """The properties for a local-mode session built from ``cfg``; ``jit_default`` resolves ``jit: auto``."""
    cores = os.cpu_count() or 1
    master = cfg.master or f"local[{cores}]"
    settings = dict(_COMMON_CONF)
    settings.update(
        {
            "spark.master": master,
            "spark.app.name": cfg.app_name,
            "spark.driver.memory": cfg.driver_memory or local_driver_memory(),
            "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions or max(8, 8 * cores)),
            "spark.default.parallelism": str(max(2, 2 * cores)),
            "spark.sql.execution.arrow.maxRecordsPerBatch": str(cfg.arrow_batch_rows),
            "spark.ui.enabled": "true" if cfg.ui else "false",
            "spark.ui.showConsoleProgress": "false",
            # Python workers must run the interpreter that has corpussieve's dependencies.
            "spark.pyspark.python": os.environ.get("PYSPARK_PYTHON", sys.executable),
            "spark.pyspark.driver.python": sys.executable,
        }
    )
    if cfg.local_dir:
        settings["spark.local.dir"] = cfg.local_dir
    settings.update(cfg.conf)
    settings.update(delta_settings(cfg))
    options = []
    if (cfg.jit if cfg.jit != "auto" else jit_default) == "quick":
        options.append(QUICK_JIT_OPTIONS)
    archive = class_archive_options(cfg)
    if archive:
        options.append(archive)
    if options:
        extra = settings.get("spark.driver.extraJavaOptions", "")
        settings["spark.driver.extraJavaOptions"] = " ".join([*options, extra]).strip()
    return settings


def class_archive_options(cfg: SparkConfig) -> str:
    """The driver JVM flags that map the class archive of ``spark.class_archive`` ('' when there is none)."""
    from corpussieve import classarchive, deltajars

    try:
        jars = deltajars.locate(cfg.delta_jars)[0]
        found = classarchive.locate(cfg.class_archive, jars)
    except (deltajars.DeltaJarsError, classarchive.ClassArchiveError) as exc:
        raise ConfigError(f"config error: spark.class_archive: {exc}") from None
    if found.path is None:
        log.info("no JVM class archive: %s", found.reason)
        return ""
    log.info("JVM class archive %s (%s)", found.path, found.reason)
    return classarchive.java_options(found.path)


def delta_settings(cfg: SparkConfig) -> dict[str, str]:
    """The jars, SQL extension and catalog that make a local session speak delta-spark, when the jars exist.

    Properties the user set in ``spark.conf`` win (``spark.jars`` is extended, not replaced). Jars built for
    another Spark minor line than this pyspark's stop the job with one line naming both versions.
    """
    import pyspark

    from corpussieve import deltajars

    try:
        jars, manifest = deltajars.locate(cfg.delta_jars)
        if jars:
            deltajars.check_spark_line(manifest, pyspark.__version__)
    except deltajars.DeltaJarsError as exc:
        raise ConfigError(f"config error: spark.delta_jars: {exc}") from None
    if not jars:
        return {}
    user_jars = cfg.conf.get("spark.jars", "")
    cores = os.cpu_count() or 1
    return {
        # Delta rebuilds a table's state in 50 tasks by default, sized for large logs on clusters; on a
        # laptop-sized session that made a read of a small table take 20-27 s instead of 4 s (2 cores, load 9).
        "spark.databricks.delta.snapshotPartitions": cfg.conf.get("spark.databricks.delta.snapshotPartitions",
                                                                 str(max(2, cores))),
        "spark.jars": ",".join([*jars, *([user_jars] if user_jars else [])]),
        "spark.sql.extensions": cfg.conf.get("spark.sql.extensions", deltajars.DELTA_EXTENSION_CLASS),
        "spark.sql.catalog.spark_catalog": cfg.conf.get("spark.sql.catalog.spark_catalog",
                                                        deltajars.DELTA_CATALOG_CLASS),
    }


def build_session(cfg: SparkConfig, app_name: str | None = None, jit_default: str = "full"):
    """Return a SparkSession configured from ``cfg``; see the module docstring for the two modes.
    ``jit_default`` is the job's choice for ``spark.jit: auto`` (local mode only: it is a JVM start flag)."""
    from pyspark.sql import SparkSession

    name = app_name or cfg.app_name
    if under_spark_submit():
        spark = SparkSession.builder.appName(name).getOrCreate()
        conf = spark.sparkContext.getConf()
        wanted = dict(_COMMON_CONF)
        wanted["spark.sql.execution.arrow.maxRecordsPerBatch"] = str(cfg.arrow_batch_rows)
        if cfg.shuffle_partitions:
            wanted["spark.sql.shuffle.partitions"] = str(cfg.shuffle_partitions)
        wanted.update(cfg.conf)
        for key, value in wanted.items():
            if not conf.contains(key):
                try:
                    spark.conf.set(key, value)
                except Exception:  # static properties cannot change after start; the submitter owns them
                    log.debug("left %s to the submitter", key)
        log.info("spark session from spark-submit: master=%s", spark.sparkContext.master)
    else:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder
        for key, value in local_settings(cfg.model_copy(update={"app_name": name}), jit_default).items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        log.info(
            "spark session: master=%s driver_memory=%s shuffle_partitions=%s jit=%s",
            spark.sparkContext.master,
            spark.conf.get("spark.driver.memory", "?"),
            spark.conf.get("spark.sql.shuffle.partitions"),
            cfg.jit if cfg.jit != "auto" else f"auto ({jit_default})",
        )
    spark.sparkContext.setLogLevel(cfg.log_level)
    return spark


def jvm_has_class(spark, class_name: str) -> bool:
    """Whether ``class_name`` loads in the driver JVM (for example the delta-spark extension)."""
    try:
        jvm = spark.sparkContext._jvm
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        jvm.java.lang.Class.forName(class_name, False, loader)
        return True
    except Exception:
        return False


def wait_for_running_tasks(spark, timeout_seconds: float = 60.0) -> bool:
    """Wait until no task runs on any executor, as the application's status store sees it.

    Before deleting files a job's tasks may still read or write: Spark kills the rest of a failed job,
    and adaptive execution drops stages it no longer needs (an empty side of a join), asynchronously.
    False on timeout, or when the store cannot be read; the caller goes on regardless.
    """
    deadline = time.monotonic() + timeout_seconds
    try:
        store = spark.sparkContext._jsc.sc().statusStore()
        while True:
            executors = store.executorList(True)
            if sum(executors.apply(i).activeTasks() for i in range(executors.size())) == 0:
                return True
            if time.monotonic() > deadline:
                log.warning("tasks still running after %.0fs; going on regardless", timeout_seconds)
                return False
            time.sleep(0.1)
    except Exception as exc:  # a stopped context or another Spark build: go on at once
        log.debug("could not read running tasks: %s", exc)
        return False


@contextlib.contextmanager
def session_conf(spark, settings: dict[str, str]):
    """Set session configuration for the duration of one operation, then put back what was there."""
    previous = {key: spark.conf.get(key, None) for key in settings}
    try:
        for key, value in settings.items():
            spark.conf.set(key, value)
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)
