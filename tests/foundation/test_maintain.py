"""`corpussieve maintain`: compaction and VACUUM on both table backends (lib/corpussieve/tables/maintain.py)."""

import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import time
import urllib.parse
from decimal import Decimal

import pytest
from deltalake import DeltaTable

from corpussieve.errors import ConfigError, TableNotFoundError
from corpussieve.tables.maintain import maintain

pytestmark = pytest.mark.spark

SCHEMA = ("id long, text string, score double, ts timestamp, day date, tags array<string>, "
          "info struct<n:int,s:string>, amount decimal(10,2), lang string, body string")
APPENDS = 12


def _batch(spark, batch, rows=4):
    """A few rows of every common type, nulls included, in one Spark partition: one small file per append."""
    data = []
    for i in range(rows):
        k = batch * 100 + i
        data.append((
            k,
            None if k % 7 == 3 else f"document {k} " + "word " * (k % 5),
            k / 3.0,
            dt.datetime(2024, 1, 1, 12, 0, 0, (k * 1237) % 1_000_000) if k % 5 else None,
            dt.date(2024, 1, 1 + k % 28),
            [f"t{k % 3}", "x"] if k % 4 else None,
            (k % 11, f"s{k}"),
            Decimal(k) / 4,
            ["en", "de"][k % 2],
            "".join(hashlib.sha512(f"{k}/{j}".encode()).hexdigest() for j in range(30)),  # ~4 KB, barely compressible
        ))
    return spark.createDataFrame(data, SCHEMA).coalesce(1)


def _small_files_table(tables, spark, path, appends=APPENDS, partition_by=None):
    for batch in range(appends):
        tables.write(_batch(spark, batch), path, mode="append", partition_by=partition_by,
                     metadata={"job": "test", "batch": batch})
    return path


@pytest.fixture(scope="module")
def _pristine():
    return {}  # backend -> a table made by APPENDS small appends, built once per backend for this module


@pytest.fixture
def small_files(any_tables, backend, spark, _pristine, tmp_path, tmp_path_factory):
    """A fresh copy of a table made by 12 appends of 4 rows each: 12 small files, versions 0..11."""
    if backend not in _pristine:
        built = str(tmp_path_factory.mktemp(f"pristine-{backend}") / "t")
        _pristine[backend] = _small_files_table(any_tables, spark, built)
    path = str(tmp_path / "t")
    shutil.copytree(_pristine[backend], path)  # a Delta log names its files relative to the table: a copy is a table
    return path


def _all_rows(tables, path):
    return sorted(tables.read(path).collect(), key=repr)


def _commit_metadata(path):
    """version -> the commit's userMetadata as a dict, read straight from the Delta log (either backend)."""
    out = {}
    for name in glob.glob(os.path.join(path, "_delta_log", "*.json")):
        with open(name, encoding="utf-8") as handle:
            for line in handle:
                info = json.loads(line).get("commitInfo")
                if info is not None:
                    meta = info.get("userMetadata")
                    out[int(os.path.basename(name).split(".")[0])] = json.loads(meta) if meta else None
    return out


def _data_files_on_disk(path):
    found = set()
    for folder, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if d != "_delta_log"]
        found.update(os.path.relpath(os.path.join(folder, n), path) for n in names
                     if not n.startswith((".", "_")))
    return found


def _snapshot_files(path, version=None):
    table = DeltaTable(path, version=version)
    return {os.path.relpath(urllib.parse.unquote(uri.removeprefix("file://")), path) for uri in table.file_uris()}


def test_compaction_keeps_every_row_and_a_second_run_commits_nothing(any_tables, backend, small_files):
    path = small_files
    before_rows = _all_rows(any_tables, path)
    version = any_tables.version(path)

    summary = maintain(any_tables, path, compact=True, run_id="run-compact-1")

    assert summary["backend"] == backend and summary["operations"] == ["compact"]
    assert summary["files_before"] == 12 and summary["files_after"] == 1
    assert summary["version_before"] == version and summary["version_after"] == version + 1
    assert summary["compaction"]["files_removed"] == 12 and summary["compaction"]["files_added"] == 1
    assert summary["compaction"]["target_file_bytes"] == 128 * 1024 * 1024
    assert summary["bytes_after"] == sum(os.path.getsize(os.path.join(path, f)) for f in _snapshot_files(path))
    assert summary["files_removed_by_vacuum"] == 0 and "vacuum" not in summary
    assert _all_rows(any_tables, path) == before_rows
    assert any_tables.read(path).schema == any_tables.read(path, version=version).schema
    assert _commit_metadata(path)[version + 1] == {"job": "maintain", "run_id": "run-compact-1"}
    assert len(_snapshot_files(path)) == 1

    again = maintain(any_tables, path, compact=True, run_id="run-compact-2")
    assert again["version_after"] == again["version_before"] == version + 1
    assert again["compaction"]["committed"] is False and again["compaction"]["files_removed"] == 0
    assert again["commits"] == 0
    assert _all_rows(any_tables, path) == before_rows


def test_target_size_bin_packs_into_several_files(any_tables, small_files):
    path = small_files
    before_rows = _all_rows(any_tables, path)
    sizes = [os.path.getsize(os.path.join(path, f)) for f in _snapshot_files(path)]
    target_mb = 3.5 * sum(sizes) / len(sizes) / (1024 * 1024)  # about three of the small files per bin

    plan = maintain(any_tables, path, compact=True, dry_run=True, target_file_mb=target_mb)
    target = plan["compaction"]["target_file_bytes"]
    assert target == round(target_mb * 1024 * 1024)
    assert plan["compaction"]["files_to_compact"] == 12 and 3 <= plan["compaction"]["estimated_files_added"] <= 5
    assert plan["version_after"] == plan["version_before"] and plan["commits"] == 0

    summary = maintain(any_tables, path, compact=True, target_file_mb=target_mb)

    assert summary["files_before"] == 12 and 3 <= summary["files_after"] <= 6, summary
    sizes = [os.path.getsize(os.path.join(path, f)) for f in _snapshot_files(path)]
    assert max(sizes) < 2 * target, (sizes, target)
    assert _all_rows(any_tables, path) == before_rows


def test_compact_then_vacuum_with_zero_retention_keeps_exactly_the_current_files(any_tables, small_files):
    path = small_files
    old_files = _snapshot_files(path)
    # a file no commit references, as a killed writer leaves it: VACUUM removes it on both backends
    stray = os.path.join(path, "part-00000-killedwriter-0-0000.zstd.parquet")
    with open(stray, "wb") as handle:
        handle.write(b"PAR1 not really")
    past = time.time() - 3600
    os.utime(stray, (past, past))
    before_rows = _all_rows(any_tables, path)
    start_version = any_tables.version(path)

    dry = maintain(any_tables, path, retention_hours=0, force_short_retention=True, dry_run=True)
    assert dry["dry_run"] and dry["version_after"] == start_version and dry["commits"] == 0
    assert dry["compaction"]["files_to_compact"] == 12 and dry["compaction"]["estimated_files_added"] == 1
    assert dry["vacuum"]["files_to_remove"] == 1 and dry["vacuum"]["examples"] == [os.path.basename(stray)]
    assert _data_files_on_disk(path) == old_files | {os.path.basename(stray)}

    summary = maintain(any_tables, path, retention_hours=0, force_short_retention=True, run_id="run-both")

    assert summary["operations"] == ["compact", "vacuum"]
    assert summary["vacuum"]["forced_short_retention"] and summary["vacuum"]["retention_hours"] == 0
    assert summary["files_removed_by_vacuum"] == 13  # the 12 compacted files and the stray one
    current = _snapshot_files(path)
    assert len(current) == 1 and not current & old_files
    assert _data_files_on_disk(path) == current
    assert _all_rows(any_tables, path) == before_rows
    assert not os.path.exists(stray)
    # every maintenance commit (OPTIMIZE, VACUUM START/END) carries the run's metadata
    meta = _commit_metadata(path)
    new_versions = sorted(v for v in meta if v > start_version)
    assert new_versions and new_versions[-1] == summary["version_after"]
    assert all(meta[v] == {"job": "maintain", "run_id": "run-both"} for v in new_versions)
    # the old versions' files are gone: their snapshots name files that no longer exist
    assert not any(os.path.exists(os.path.join(path, f)) for f in _snapshot_files(path, version=start_version))

    # nothing left to do: a rerun commits nothing
    again = maintain(any_tables, path, retention_hours=0, force_short_retention=True)
    assert again["commits"] == 0 and again["files_removed_by_vacuum"] == 0
    assert _data_files_on_disk(path) == current


def test_a_short_retention_is_refused_before_anything_changes(any_tables, small_files):
    path = small_files
    version, files = any_tables.version(path), _data_files_on_disk(path)
    with pytest.raises(ConfigError, match=r"--retention-hours 24 is under the table's minimum retention of 168 "
                                          r"hours.*--force-short-retention"):
        maintain(any_tables, path, retention_hours=24)
    # the default is Delta's: 168 hours, nothing is old enough, nothing is removed
    summary = maintain(any_tables, path, vacuum=True)
    assert summary["vacuum"]["retention_hours"] == 168 and not summary["vacuum"]["forced_short_retention"]
    assert summary["files_removed_by_vacuum"] == 0 and summary["commits"] == 0
    assert any_tables.version(path) == version and _data_files_on_disk(path) == files


def test_cli_maintain(backend, spark, tmp_path, capsys):
    from corpussieve.cli import main
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    tables = Tables(spark, TablesConfig(backend=backend))
    path = _small_files_table(tables, spark, str(tmp_path / "t"), appends=4, partition_by=["lang"])
    before_rows = _all_rows(tables, path)
    chosen = ["--set", f"tables.backend={backend}", "--log-level", "WARNING"]

    assert main(["maintain", path, "--retention-hours", "1", *chosen], spark=spark) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # the error is one line, after any log lines
    assert err.startswith("corpussieve: error: config error: --retention-hours 1 is under the table's minimum")

    code = main(["maintain", path, "--retention-hours", "0", "--force-short-retention", "--target-file-mb", "64",
                 *chosen], spark=spark)
    out = capsys.readouterr().out
    assert code == 0
    summary = json.loads(out)
    assert summary["backend"] == backend and summary["job"] == "maintain" and summary["run_id"]
    assert summary["files_before"] == 8 and summary["files_after"] == 2  # one file per partition
    assert summary["files_removed_by_vacuum"] == 8
    assert summary["bytes_after"] > 0  # OPTIMIZE may re-encode with the session's codec: sizes can grow
    assert summary["version_after"] > summary["version_before"] and summary["seconds"] > 0
    assert summary["compaction"]["target_file_bytes"] == 64 * 1024 * 1024
    assert _all_rows(tables, path) == before_rows
    assert _data_files_on_disk(path) == _snapshot_files(path)
    meta = _commit_metadata(path)
    assert meta[summary["version_after"]] == {"job": "maintain", "run_id": summary["run_id"]}

    missing = str(tmp_path / "nope")
    assert main(["maintain", missing, *chosen], spark=spark) == 3
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == f"corpussieve: error: table {missing}: no such table (the path does not exist)"
    os.makedirs(tmp_path / "plain")
    assert main(["maintain", str(tmp_path / "plain"), "--vacuum", *chosen], spark=spark) == 3
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        "plain: the path exists but is not a Delta table (no _delta_log folder)")
    with pytest.raises(TableNotFoundError):
        maintain(tables, missing)


def test_delta_spark_vacuum_lists_with_one_task_per_partition_directory_and_restores_the_session(spark, tmp_path):
    """Spark's default listing parallelism is 10,000 tasks whatever the table (a 4-file table took 39 s a VACUUM
    DRY RUN); maintain sets it per table for the VACUUM only, and a value the user set is left alone."""
    from corpussieve import deltajars
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables
    from corpussieve.tables.maintain import _LISTING_PARALLELISM, _listing_parallelism

    if not deltajars.available():
        pytest.skip("delta-spark jars not fetched (make setup needs Maven Central)")
    tables = Tables(spark, TablesConfig(backend="delta-spark"))
    floor = spark.sparkContext.defaultParallelism
    plain = _small_files_table(tables, spark, str(tmp_path / "plain"), appends=2)
    assert _listing_parallelism(tables, plain) == max(floor, 1)
    wide = str(tmp_path / "wide")
    for batch in range(3):  # 3 appends x 4 rows: ids 0-3, 100-103, 200-203 -> 12 values of id % 13 below
        frame = _batch(spark, batch).selectExpr("*", "CAST(id % 13 AS INT) AS bucket")
        tables.write(frame, wide, mode="append", partition_by=["bucket"], metadata={"job": "test"})
    buckets = {r["bucket"] for r in DeltaTable(wide).to_pyarrow_table(columns=["bucket"]).to_pylist()}
    assert _listing_parallelism(tables, wide) == max(floor, len(buckets)) and len(buckets) > floor

    assert spark.conf.get(_LISTING_PARALLELISM, None) is None
    maintain(tables, wide, vacuum=True)
    assert spark.conf.get(_LISTING_PARALLELISM, None) is None  # the session is as it was
    spark.conf.set(_LISTING_PARALLELISM, "7")
    try:
        maintain(tables, wide, vacuum=True)
        assert spark.conf.get(_LISTING_PARALLELISM) == "7"
    finally:
        spark.conf.unset(_LISTING_PARALLELISM)
