"""Table maintenance: compact small files, then VACUUM the files no version in the retention window needs.

Scheduled appends leave one small file (or a few) per batch; readers pay per file. ``maintain`` bin-packs
them into files of about a target size and removes what no current or recent version references, on
either backend:

* delta-rs: ``DeltaTable.optimize.compact`` (runs in the driver process, deltalake's Rust writer) and
  ``DeltaTable.vacuum(full=True)``, which like delta-spark's VACUUM also removes files no commit ever
  referenced (left by a killed writer) once they are older than the retention period;
* delta-spark: ``DeltaTable.optimize().executeCompaction()`` (a Spark job) and ``DeltaTable.vacuum``, with
  the target size, the commit metadata and, when forced, the retention check set as session
  configuration around the operation and restored after it.

A retention shorter than the table's minimum (``delta.deletedFileRetentionDuration``, 168 hours unless the
table sets it) is refused on both backends unless forced: it can delete files that readers of a recent
version or a write still in progress need. Every commit carries ``{"job": "maintain", "run_id": ...}``
as its ``userMetadata``, as the jobs' commits do. A run with nothing to do commits nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import time
import urllib.parse
import uuid
from typing import Any

from corpussieve.errors import ConcurrentWriteError, ConfigError, TableNotFoundError, UnsupportedTableFeatureError
from corpussieve.session import session_conf

log = logging.getLogger("corpussieve.maintain")

MIB = 1024 * 1024
#: Delta's default minimum retention (``delta.deletedFileRetentionDuration`` = interval 1 week).
DEFAULT_RETENTION_HOURS = 168
#: Target size of compacted files when neither the flag nor the table's ``delta.targetFileSize`` says
#: otherwise: one Spark read split (``spark.sql.files.maxPartitionBytes``).
DEFAULT_TARGET_FILE_BYTES = 128 * MIB
#: How many of the files a dry-run VACUUM would remove the summary names.
EXAMPLES = 10

_USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"
_RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
_OPTIMIZE_MIN = "spark.databricks.delta.optimize.minFileSize"
_OPTIMIZE_MAX = "spark.databricks.delta.optimize.maxFileSize"
#: How many tasks delta-spark's VACUUM lists the table's directories with. Unset, Spark's default is 10,000
#: tasks whatever the table: on a small table VACUUM then spends its time scheduling empty tasks (measured
#: on a 2-core machine, a 4-file table: 39 s per DRY RUN; 2.2 s with the parallelism set as below).
_LISTING_PARALLELISM = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
_RS_COMPRESSION = {"zstd": "ZSTD", "snappy": "SNAPPY", "gzip": "GZIP", "none": "UNCOMPRESSED"}


# -- what both backends share --------------------------------------------------------------------------
def maintain(tables, path: str, *, compact: bool | None = None, vacuum: bool | None = None,
             retention_hours: int | None = None, target_file_mb: float | None = None, dry_run: bool = False,
             force_short_retention: bool = False, run_id: str | None = None) -> dict[str, Any]:
    """Compact and/or vacuum the table at ``path``; return the summary ``corpussieve maintain`` prints.

    With neither ``compact`` nor ``vacuum`` set, both run, compaction first. Every check (the table exists,
    the retention is allowed, the target size is positive) happens before anything is changed.
    """
    start = time.perf_counter()
    if not compact and not vacuum:
        compact = vacuum = True
    run_id = run_id or uuid.uuid4().hex[:12]
    metadata = {"job": "maintain", "run_id": run_id}
    path = require_table(tables, path)
    properties = table_properties(tables, path)
    target = target_file_bytes(tables, path, target_file_mb, properties) if compact else None
    hours = None
    if vacuum:
        hours = check_retention(tables, path, retention_hours, force_short_retention, properties)

    before = table_state(tables, path)
    summary: dict[str, Any] = {
        "job": "maintain",
        "run_id": run_id,
        "table": path,
        "backend": tables.backend_name,
        "dry_run": dry_run,
        "operations": [name for name, on in (("compact", compact), ("vacuum", vacuum)) if on],
        "version_before": before["version"],
        "files_before": before["files"],
        "bytes_before": before["bytes"],
    }
    if compact:
        summary["compaction"] = compact_table(tables, path, target_bytes=target, metadata=metadata, dry_run=dry_run)
    if vacuum:
        summary["vacuum"] = vacuum_table(tables, path, retention_hours=hours, metadata=metadata, dry_run=dry_run,
                                         force_short_retention=force_short_retention, properties=properties)
    after = table_state(tables, path)
    summary.update({
        "version_after": after["version"],
        "files_after": after["files"],
        "bytes_after": after["bytes"],
        "files_removed_by_vacuum": summary["vacuum"]["files_removed"] if vacuum else 0,
        "commits": after["version"] - before["version"],
        "seconds": round(time.perf_counter() - start, 3),
    })
    log.info("maintain %s: version %d -> %d, files %d -> %d, bytes %d -> %d, vacuum removed %d files (%.1fs)",
             path, before["version"], after["version"], before["files"], after["files"], before["bytes"],
             after["bytes"], summary["files_removed_by_vacuum"], summary["seconds"])
    return summary


def require_table(tables, path: str) -> str:
    """The normalized path, or a TableNotFoundError that says what is there instead."""
    import os

    from corpussieve.tables.base import has_scheme, normalize_local

    path = tables.normalize(path)
    if tables.exists(path):
        return path
    reason = "not a Delta table"
    if path.startswith("file:") or not has_scheme(path):
        local = normalize_local(path)
        if not os.path.exists(local):
            reason = "no such table (the path does not exist)"
        elif not os.path.isdir(os.path.join(local, "_delta_log")):
            reason = "the path exists but is not a Delta table (no _delta_log folder)"
    raise TableNotFoundError(reason, table=path)


def table_state(tables, path: str) -> dict[str, int]:
    """The latest version and the number and total bytes of its data files."""
    if tables.backend_name == "delta-rs":
        import pyarrow as pa
        import pyarrow.compute as pc

        table = _rs_table(tables, path)
        actions = pa.table(table.get_add_actions(flatten=True))
        size = pc.sum(actions.column("size_bytes")).as_py() if actions.num_rows else 0
        return {"version": int(table.version()), "files": int(actions.num_rows), "bytes": int(size or 0)}
    detail = _spark_table(tables, path).detail().select("numFiles", "sizeInBytes").first()
    return {"version": int(tables.version(path)), "files": int(detail["numFiles"] or 0),
            "bytes": int(detail["sizeInBytes"] or 0)}


def table_properties(tables, path: str) -> dict[str, str]:
    if tables.backend_name == "delta-rs":
        return dict(_rs_table(tables, path).metadata().configuration or {})
    row = _spark_table(tables, path).detail().select("properties").first()
    return dict(row["properties"] or {})


def target_file_bytes(tables, path: str, target_file_mb: float | None,
                      properties: dict[str, str] | None = None) -> int:
    """The flag's size in MiB, else the table's ``delta.targetFileSize``, else 128 MiB."""
    if target_file_mb is not None:
        if not target_file_mb > 0:
            raise ConfigError(f"config error: --target-file-mb must be positive, got {target_file_mb}")
        return max(1, int(round(target_file_mb * MIB)))
    if properties is None:
        properties = table_properties(tables, path)
    configured = _parse_bytes(properties.get("delta.targetFileSize"))
    return configured or DEFAULT_TARGET_FILE_BYTES


def retention_floor_hours(tables, path: str, properties: dict[str, str] | None = None) -> float:
    """The table's minimum VACUUM retention: ``delta.deletedFileRetentionDuration``, or 168 hours."""
    if properties is None:
        properties = table_properties(tables, path)
    value = properties.get("delta.deletedFileRetentionDuration")
    hours = _parse_interval_hours(value)
    if value and hours is None:
        log.warning("table %s: cannot read delta.deletedFileRetentionDuration=%r; assuming %d hours", path, value,
                    DEFAULT_RETENTION_HOURS)
    return DEFAULT_RETENTION_HOURS if hours is None else hours


def check_retention(tables, path: str, retention_hours: int | None, force: bool,
                    properties: dict[str, str] | None = None) -> int:
    """The retention to vacuum with; a ConfigError when it is under the table's minimum and not forced."""
    floor = retention_floor_hours(tables, path, properties)
    if retention_hours is None:
        return int(math.ceil(floor))
    if isinstance(retention_hours, bool) or not isinstance(retention_hours, int) or retention_hours < 0:
        raise ConfigError(f"config error: --retention-hours must be a whole number of hours >= 0, "
                          f"got {retention_hours!r}")
    if retention_hours < floor and not force:
        raise ConfigError(
            f"config error: --retention-hours {retention_hours} is under the table's minimum retention of "
            f"{floor:g} hours ({path}); VACUUM would delete files that readers of recent versions or writes in "
            "progress may still need. Pass --force-short-retention to vacuum anyway"
        )
    return retention_hours


def compact_table(tables, path: str, *, target_bytes: int, metadata: dict[str, Any], dry_run: bool = False
                  ) -> dict[str, Any]:
    """Bin-pack the data files smaller than ``target_bytes`` into files of about that size, per partition.

    Rows are only moved, never changed (a compaction commit is ``dataChange: false``). A table with no
    partition holding two or more small files gets no commit.
    """
    out: dict[str, Any] = {"target_file_bytes": target_bytes}
    if dry_run:
        out.update(_compaction_plan(tables, path, target_bytes))
        out["committed"] = False
        return out
    version = tables.version(path)
    if tables.backend_name == "delta-rs":
        out.update(_rs_compact(tables, path, target_bytes, metadata))
    else:
        out.update(_spark_compact(tables, path, target_bytes, metadata))
    now = tables.version(path)
    out["committed"] = now != version
    out["version"] = now
    log.info("compaction of %s: %s (%d files -> %d)", path, f"version {now}" if now != version else "nothing to do",
             out["files_removed"], out["files_added"])
    return out


def vacuum_table(tables, path: str, *, retention_hours: int, metadata: dict[str, Any], dry_run: bool = False,
                 force_short_retention: bool = False, properties: dict[str, str] | None = None) -> dict[str, Any]:
    """Delete the files no version within ``retention_hours`` references (and unreferenced strays as old).

    The caller checks the retention first (``check_retention``); ``force_short_retention`` only lifts the
    library's own check. A dry run lists what would be deleted now, before any compaction in the same run.
    """
    if properties is None:
        properties = table_properties(tables, path)
    short = retention_hours < retention_floor_hours(tables, path, properties)
    if short and not force_short_retention:
        check_retention(tables, path, retention_hours, False, properties)  # raises the one clear error
    out: dict[str, Any] = {"retention_hours": retention_hours, "forced_short_retention": bool(short)}
    if tables.backend_name == "delta-rs":
        out.update(_rs_vacuum(tables, path, retention_hours, short, metadata, dry_run))
    else:
        out.update(_spark_vacuum(tables, path, retention_hours, short, metadata, dry_run))
    log.info("vacuum of %s (retention %d h)%s: %d files", path, retention_hours, " [dry run]" if dry_run else "",
             out.get("files_to_remove", out.get("files_removed", 0)))
    return out


# -- delta-rs ------------------------------------------------------------------------------------------
def _rs_table(tables, path: str):
    from deltalake import DeltaTable

    return DeltaTable(path, storage_options=dict(tables.cfg.storage_options) or None)


def _rs_props(tables, metadata: dict[str, Any]):
    from deltalake import CommitProperties

    return CommitProperties(custom_metadata={"userMetadata": _metadata_json(metadata)},
                            max_commit_retries=tables.cfg.commit_retries)


@contextlib.contextmanager
def _rs_errors(path: str):
    from deltalake.exceptions import CommitFailedError, DeltaProtocolError

    try:
        yield
    except DeltaProtocolError as exc:
        raise UnsupportedTableFeatureError(
            f"table {path}: delta-rs cannot maintain this table ({exc}); use the delta-spark backend "
            "(tables.backend=delta-spark)"
        ) from exc
    except CommitFailedError as exc:
        raise ConcurrentWriteError(f"table {path}: maintenance commit lost to a concurrent writer: {exc}") from exc


def _rs_compact(tables, path: str, target: int, metadata: dict[str, Any]) -> dict[str, Any]:
    from deltalake import WriterProperties

    writer = WriterProperties(compression=_RS_COMPRESSION.get(tables.cfg.compression, "ZSTD"))
    with _rs_errors(path):
        metrics = _rs_table(tables, path).optimize.compact(
            target_size=target, writer_properties=writer, commit_properties=_rs_props(tables, metadata))
    return {"files_removed": int(metrics.get("numFilesRemoved", 0)), "files_added": int(metrics.get("numFilesAdded", 0)),
            "partitions_optimized": int(metrics.get("partitionsOptimized", 0))}


def _rs_vacuum(tables, path: str, hours: int, short: bool, metadata: dict[str, Any], dry_run: bool
               ) -> dict[str, Any]:
    # deltalake lists every tombstone older than the retention whether or not its file is still there (a
    # second VACUUM names the files the first one deleted, and commits VACUUM START and END again), so the
    # files are listed first and only those that exist count; when none does, nothing is committed.
    def listing(apply: bool) -> list[str]:
        with _rs_errors(path):
            return list(_rs_table(tables, path).vacuum(
                retention_hours=hours, dry_run=not apply, enforce_retention_duration=not short, full=True,
                commit_properties=_rs_props(tables, metadata) if apply else None))

    candidates = listing(False)
    present = _existing_files(path, candidates)
    if present is None:  # a file system pyarrow cannot open: trust deltalake's list
        present = candidates
    if dry_run:
        return {"files_to_remove": len(present), "examples": sorted(_relative(path, f) for f in present)[:EXAMPLES],
                "files_removed": 0}
    if not present:
        return {"files_removed": 0, "committed": False}
    listing(True)
    still = _existing_files(path, present)
    removed = len(present) - len(still) if still is not None else len(present)
    return {"files_removed": removed, "committed": True}


def _existing_files(root: str, files: list[str]) -> list[str] | None:
    """The files of ``files`` (relative to ``root``, or absolute) that exist; None if they cannot be checked."""
    import pyarrow.fs as pafs

    from corpussieve.tables.base import has_scheme, normalize_local

    if not files:
        return []
    try:
        if has_scheme(root) and not root.startswith("file:"):
            fs, base = pafs.FileSystem.from_uri(root)
        else:
            fs, base = pafs.LocalFileSystem(), normalize_local(root)
        full = []
        for name in files:
            if has_scheme(name):
                full.append(pafs.FileSystem.from_uri(name)[1] if not name.startswith("file:")
                            else normalize_local(name))
            elif name.startswith("/"):
                full.append(name)
            else:
                full.append(f"{base.rstrip('/')}/{name}")
        # deltalake names files as they are on disk; the URL-decoded form is checked too, to be safe
        decoded = [urllib.parse.unquote(f) for f in full]
        found = {info.path for info in fs.get_file_info(sorted(set(full) | set(decoded)))
                 if info.type != pafs.FileType.NotFound}
    except Exception as exc:  # noqa: BLE001 - an unknown scheme or missing credentials: count what deltalake says
        log.warning("cannot check which files VACUUM would remove under %s (%s); counting deltalake's list", root, exc)
        return None
    return [name for name, f, d in zip(files, full, decoded) if f in found or d in found]


# -- delta-spark ---------------------------------------------------------------------------------------
def _spark_table(tables, path: str):
    from delta.tables import DeltaTable

    return DeltaTable.forPath(tables.spark, path)


@contextlib.contextmanager
def _spark_errors(path: str):
    try:
        yield
    except Exception as exc:
        text = str(exc)
        if "Concurrent" in text or "conflict" in text.lower():
            raise ConcurrentWriteError(f"table {path}: maintenance commit lost to a concurrent writer: "
                                       f"{text.splitlines()[0]}") from exc
        raise


def _spark_compact(tables, path: str, target: int, metadata: dict[str, Any]) -> dict[str, Any]:
    # OPTIMIZE packs files under minFileSize into bins of up to maxFileSize: both are the target here.
    settings = {_USER_METADATA: _metadata_json(metadata), _OPTIMIZE_MIN: str(target), _OPTIMIZE_MAX: str(target)}
    with _spark_errors(path), session_conf(tables.spark, settings):
        row = _spark_table(tables, path).optimize().executeCompaction().select("metrics").first()
    metrics = row["metrics"] if row else None
    if metrics is None:
        return {"files_removed": 0, "files_added": 0, "partitions_optimized": 0}
    return {"files_removed": int(metrics["numFilesRemoved"] or 0), "files_added": int(metrics["numFilesAdded"] or 0),
            "partitions_optimized": int(metrics["partitionsOptimized"] or 0)}


def _spark_vacuum(tables, path: str, hours: int, short: bool, metadata: dict[str, Any], dry_run: bool
                  ) -> dict[str, Any]:
    spark = tables.spark
    settings = {_RETENTION_CHECK: "false"} if short else {}
    if spark.conf.get(_LISTING_PARALLELISM, None) is None:  # a value the user set is theirs
        settings[_LISTING_PARALLELISM] = str(_listing_parallelism(tables, path))
    ident = "delta.`" + path.replace("`", "``") + "`"
    with _spark_errors(path), session_conf(spark, settings):
        # A dry run first: it names the files for --dry-run, and when there are none the real VACUUM (which
        # would still commit VACUUM START and END) is skipped, so an idle run commits nothing.
        listed = spark.sql(f"VACUUM {ident} RETAIN {int(hours)} HOURS DRY RUN")
        count = listed.count()
        if dry_run:
            examples = sorted(_relative(path, row[0]) for row in listed.limit(EXAMPLES).collect())
            return {"files_to_remove": count, "examples": examples, "files_removed": 0}
        if not count:
            return {"files_removed": 0, "committed": False}
        version = tables.version(path)
        with session_conf(spark, {_USER_METADATA: _metadata_json(metadata)}):
            _spark_table(tables, path).vacuum(float(hours))
    removed = _vacuum_end_metric(tables, path, version)
    return {"files_removed": count if removed is None else removed, "committed": True}


def _spark_snapshot(tables, path: str):
    """delta-spark's current snapshot of the table (a JVM object: its files and metadata)."""
    jvm = tables.spark.sparkContext._jvm
    delta_log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(tables.spark._jsparkSession, path)
    return delta_log.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())


def _listing_parallelism(tables, path: str) -> int:
    """Tasks for VACUUM's directory listing: one per partition directory of the current snapshot, at least the
    cluster's default parallelism and at most Spark's own default (10,000)."""
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    spark = tables.spark
    snapshot = _spark_snapshot(tables, path)
    if snapshot.metadata().partitionColumns().isEmpty():
        directories = 1
    else:
        directories = (DataFrame(snapshot.allFiles().toDF(), spark)
                       .select(F.to_json("partitionValues").alias("partition")).distinct().count())
    return max(spark.sparkContext.defaultParallelism, min(10_000, directories))


def _vacuum_end_metric(tables, path: str, since: int) -> int | None:
    """numDeletedFiles of the VACUUM END commits after ``since`` (None when vacuum logging is off)."""
    rows = (_spark_table(tables, path).history().where(f"version > {int(since)} AND operation = 'VACUUM END'")
            .select("operationMetrics").collect())
    if not rows:
        return None
    return sum(int((row["operationMetrics"] or {}).get("numDeletedFiles", 0)) for row in rows)


def _compaction_plan(tables, path: str, target: int) -> dict[str, Any]:
    """What compaction would do: per partition, the files under the target size when there are two or more.

    The file count after is an estimate (the bytes to compact over the target size, per partition).
    """
    groups: list[tuple[int, int]] = []  # (small files, their bytes) per partition
    if tables.backend_name == "delta-rs":
        import pyarrow as pa

        actions = pa.table(_rs_table(tables, path).get_add_actions(flatten=True))
        part_cols = [c for c in actions.column_names if c.startswith("partition.")]
        sizes = actions.column("size_bytes").to_pylist()
        keys = list(zip(*[actions.column(c).to_pylist() for c in part_cols])) if part_cols else [()] * len(sizes)
        per: dict[tuple, list[int]] = {}
        for key, size in zip(keys, sizes):
            if size < target:
                per.setdefault(key, []).append(size)
        groups = [(len(v), sum(v)) for v in per.values()]
    else:
        from pyspark.sql import DataFrame
        from pyspark.sql import functions as F

        spark = tables.spark
        files = DataFrame(_spark_snapshot(tables, path).allFiles().toDF(), spark)
        rows = (files.where(F.col("size") < target)
                .groupBy(F.to_json(F.col("partitionValues")).alias("partition"))
                .agg(F.count("*").alias("n"), F.sum("size").alias("bytes")).collect())
        groups = [(int(r["n"]), int(r["bytes"])) for r in rows]
    compactable = [(n, b) for n, b in groups if n >= 2]
    files_in = sum(n for n, _ in compactable)
    files_out = sum(max(1, math.ceil(b / target)) for _, b in compactable)
    return {"files_to_compact": files_in, "bytes_to_compact": sum(b for _, b in compactable),
            "partitions_to_compact": len(compactable), "estimated_files_added": files_out,
            "files_removed": 0, "files_added": 0}


# -- helpers ---------------------------------------------------------------------------------------------
def _metadata_json(metadata: dict[str, Any]) -> str:
    """The commit's ``userMetadata``: the same JSON form the jobs' writes record."""
    return json.dumps(metadata, default=str, sort_keys=True)


def _relative(root: str, file_path: str) -> str:
    """``file_path`` relative to the table root when it lies under it (VACUUM DRY RUN gives full URIs)."""

    def local(p: str) -> str:
        return "/" + p[len("file:"):].lstrip("/") if p.startswith("file:") else p

    prefix = local(root).rstrip("/") + "/"
    text = local(file_path)
    return text[len(prefix):] if text.startswith(prefix) else file_path


_UNITS = {"b": 1, "kb": 1024, "k": 1024, "mb": MIB, "m": MIB, "gb": 1024 * MIB, "g": 1024 * MIB}


def _parse_bytes(value: str | None) -> int | None:
    """``delta.targetFileSize``: bytes, or a number with kb/mb/gb; None when unset or unreadable."""
    if not value:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)?\s*", str(value).lower())
    if not match:
        return None
    size = int(float(match.group(1)) * _UNITS.get(match.group(2) or "b", 1))
    return size if size > 0 else None


_HOURS = {"week": 168.0, "day": 24.0, "hour": 1.0, "minute": 1 / 60, "second": 1 / 3600,
          "millisecond": 1 / 3_600_000, "microsecond": 1 / 3_600_000_000}


def _parse_interval_hours(value: str | None) -> float | None:
    """Hours in a Delta interval such as 'interval 1 week' or 'interval 30 days 12 hours'; None if unreadable."""
    if not value:
        return None
    text = str(value).strip().lower()
    text = text[len("interval"):].strip() if text.startswith("interval") else text
    terms = re.findall(r"(\d+(?:\.\d+)?)\s*(week|day|hour|minute|second|millisecond|microsecond)s?\b", text)
    if not terms or re.sub(r"(\d+(?:\.\d+)?)\s*[a-z]+", "", text).strip():
        return None
    return sum(float(n) * _HOURS[unit] for n, unit in terms)
