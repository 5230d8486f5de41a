"""The Delta table layer on both backends (``any_tables``), checked against deltalake and Spark; a few
delta-rs-only behaviours (its file layout and its read path's refusals) on ``rs_tables``."""

import datetime as dt
import os
import threading

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from corpussieve import deltajars
from corpussieve.errors import (
    ConcurrentWriteError,
    SchemaMismatchError,
    TableNotFoundError,
    UnsupportedTableFeatureError,
)
from corpussieve.tables import Txn

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def rs_tables(spark):
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    return Tables(spark, TablesConfig(backend="delta-rs"))


def _rows(spark, n, offset=0):
    return spark.createDataFrame(
        [(i + offset, f"text {i + offset}", ["a", "b c", "x:y/z"][i % 3], dt.date(2024, 1, 1 + i % 2)) for i in
         range(n)],
        "id long, text string, site string, day date",
    )


def _data_files(path):
    found = set()
    for folder, _, names in os.walk(path):
        if "_delta_log" in folder:
            continue
        found.update(os.path.relpath(os.path.join(folder, n), path) for n in names if n.endswith(".parquet"))
    return found


def _committed_files(path):
    return {os.path.relpath(uri, path) for uri in DeltaTable(path).file_uris()}


def test_delta_rs_tables_open_in_deltalake(rs_tables, spark, tmp_path):
    path = str(tmp_path / "t")
    result = rs_tables.write(_rows(spark, 30), path, mode="overwrite", partition_by=["site"])
    assert result.committed and result.version == 0 and result.rows == 30 and result.files >= 3
    table = DeltaTable(path).to_pyarrow_table().sort_by("id")
    assert table.num_rows == 30
    assert table.column("site").to_pylist()[:3] == ["a", "b c", "x:y/z"]
    assert table.column("day").to_pylist()[1] == dt.date(2024, 1, 2)
    stats = DeltaTable(path).get_add_actions(flatten=True)
    assert sum(pa.table(stats).column("num_records").to_pylist()) == 30


def test_tables_written_by_deltalake_read_in_spark(any_tables, tmp_path):
    path = str(tmp_path / "w")
    data = pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int64()),
        "year": pa.array([2023, 2024, 2024, None], pa.int32()),
        "day": pa.array([dt.date(2023, 5, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 2), dt.date(2024, 3, 3)]),
        "lang": ["en", "de", "en", "fr"],
        "score": [0.5, 1.5, 2.5, 3.5],
    })
    write_deltalake(path, data, partition_by=["year", "day"])
    df = any_tables.read(path)
    assert [f.dataType.simpleString() for f in df.schema.fields] == ["bigint", "int", "date", "string", "double"]
    got = sorted(tuple(r) for r in df.collect())
    assert got == sorted(tuple(r.values()) for r in data.to_pylist())
    unpartitioned = str(tmp_path / "u")
    write_deltalake(unpartitioned, data)
    assert any_tables.read(unpartitioned).count() == 4


def test_time_travel_and_history(any_tables, spark, tmp_path):
    path = str(tmp_path / "tt")
    any_tables.write(_rows(spark, 5), path, mode="overwrite", metadata={"job": "test"})
    any_tables.write(_rows(spark, 7, offset=100), path, mode="append")
    any_tables.write(_rows(spark, 2, offset=500), path, mode="overwrite")
    assert any_tables.read(path, version=0).count() == 5
    assert any_tables.read(path, version=1).count() == 12
    assert any_tables.read(path).count() == 2
    assert any_tables.version(path) == 2
    history = any_tables.history(path)
    assert [h["version"] for h in history] == [2, 1, 0]
    assert history[-1]["corpussieve"] == {"job": "test"}
    with pytest.raises(TableNotFoundError, match="version 9 does not exist"):
        any_tables.read(path, version=9)


def test_idempotent_rerun_commits_nothing(any_tables, spark, tmp_path):
    path = str(tmp_path / "idem")
    first = any_tables.write(_rows(spark, 10), path, mode="append", txn=Txn("batch-app", 1))
    again = any_tables.write(_rows(spark, 10), path, mode="append", txn=Txn("batch-app", 1))
    older = any_tables.write(_rows(spark, 10), path, mode="append", txn=Txn("batch-app", 0))
    assert first.committed and not again.committed and not older.committed
    assert any_tables.version(path) == first.version
    assert any_tables.read(path).count() == 10
    assert any_tables.txn_version(path, "batch-app") == 1
    assert DeltaTable(path).transaction_version("batch-app") == 1
    later = any_tables.write(_rows(spark, 3, offset=50), path, mode="append", txn=Txn("batch-app", 2))
    assert later.committed and any_tables.read(path).count() == 13


def test_mismatched_append_is_refused_naming_the_columns(any_tables, spark, tmp_path):
    path = str(tmp_path / "schema")
    any_tables.write(_rows(spark, 3), path, mode="overwrite")
    other = spark.createDataFrame([(1, 2.0, "z")], "id string, weight double, site string")
    with pytest.raises(SchemaMismatchError) as err:
        any_tables.write(other, path, mode="append")
    message = str(err.value)
    assert "missing from the data: text, day" in message
    assert "not in the table: weight" in message
    assert "id (table bigint, data string)" in message
    assert any_tables.version(path) == 0


def test_partitioning_cannot_change_silently(any_tables, spark, tmp_path):
    path = str(tmp_path / "parts")
    any_tables.write(_rows(spark, 3), path, mode="overwrite", partition_by=["site"])
    with pytest.raises(SchemaMismatchError, match="partitioned by"):
        any_tables.write(_rows(spark, 3), path, mode="overwrite", partition_by=["day"])
    appended = any_tables.write(_rows(spark, 3, offset=10), path, mode="append")
    assert appended.committed and any_tables.read(path).count() == 6


def test_a_write_that_fails_midway_leaves_the_table_as_it_was(any_tables, spark, tmp_path):
    from pyspark.sql import functions as F

    path = str(tmp_path / "fail")
    any_tables.write(_rows(spark, 20), path, mode="overwrite")
    before = _data_files(path)

    @F.udf("string")
    def explode_on_17(value):
        if value == "text 117":
            raise ValueError("boom")
        return value

    poisoned = _rows(spark, 20, offset=100).repartition(4).withColumn("text", explode_on_17("text"))
    with pytest.raises(Exception, match="boom"):
        any_tables.write(poisoned, path, mode="append")
    assert any_tables.version(path) == 0
    assert any_tables.read(path).count() == 20
    assert _data_files(path) == before == _committed_files(path)


def _race(staged):
    """Commit staged writes at the same instant (a barrier), after both were staged against one snapshot."""
    barrier = threading.Barrier(len(staged))
    outcomes = [None] * len(staged)

    def commit(k):
        barrier.wait()
        try:
            outcomes[k] = staged[k].commit()
        except ConcurrentWriteError as exc:
            outcomes[k] = exc

    threads = [threading.Thread(target=commit, args=(k,)) for k in range(len(staged))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_appends_both_land_or_fail_clearly(any_tables, spark, tmp_path):
    from corpussieve.tables import WriteResult, WriteSpec

    path = str(tmp_path / "conc")
    any_tables.write(_rows(spark, 1), path, mode="overwrite")
    staged = [any_tables.prepare(WriteSpec(_rows(spark, 10, offset=1000 * (k + 1)), path, "append")) for k in range(2)]
    outcomes = _race(staged)
    assert all(isinstance(o, (WriteResult, ConcurrentWriteError)) for o in outcomes), outcomes
    landed = [o for o in outcomes if isinstance(o, WriteResult) and o.committed]
    assert landed
    assert any_tables.version(path) == len(landed)
    assert any_tables.read(path).count() == 1 + 10 * len(landed)
    assert DeltaTable(path).to_pyarrow_table().num_rows == 1 + 10 * len(landed)


def test_two_runs_racing_to_commit_the_same_batch_commit_it_once(any_tables, spark, tmp_path):
    from corpussieve.tables import WriteResult, WriteSpec

    path = str(tmp_path / "race")
    any_tables.write(_rows(spark, 1), path, mode="overwrite")
    staged = [any_tables.prepare(WriteSpec(_rows(spark, 10, offset=100), path, "append", txn=Txn("race", 5)))
              for _ in range(2)]
    outcomes = _race(staged)
    committed = [o for o in outcomes if isinstance(o, WriteResult) and o.committed]
    assert len(committed) == 1, outcomes
    assert all(isinstance(o, ConcurrentWriteError) or not o.committed for o in outcomes if o is not committed[0])
    assert any_tables.read(path).count() == 11
    assert any_tables.txn_version(path, "race") == 5 and any_tables.version(path) == 1


def test_write_all_with_a_run_identity_commits_only_what_is_missing(any_tables, spark, tmp_path):
    from corpussieve.tables import Output, RunIdentity, WriteSpec

    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    run = RunIdentity("key-1", {"/lake/index": 3})
    # as if the run died right after its first commit
    any_tables.write_all([WriteSpec(_rows(spark, 5), first, metadata={"job": "t"})], run)
    outputs = [Output(first), Output(second)]
    recovery = any_tables.recover("key-1", outputs)
    assert recovery.partial and recovery.landed == [first] and recovery.missing == [second]
    assert recovery.pinned == {"/lake/index": 3}
    assert any_tables.recover("key-2", outputs).landed == []  # another run's commit is not this run's
    results = any_tables.write_all([WriteSpec(_rows(spark, 6), first), WriteSpec(_rows(spark, 7), second)], run)
    assert [r.committed for r in results] == [False, True]
    assert any_tables.read(first).count() == 5 and any_tables.read(second).count() == 7
    assert any_tables.recover("key-1", outputs).complete
    meta = any_tables.history(second, 1)[0]["corpussieve"]
    assert meta["run_key"] == "key-1" and meta["pinned"] == {"/lake/index": 3}
    # a later commit by anyone else means the run's output is no longer there
    any_tables.write(_rows(spark, 1, offset=50), first, mode="append")
    assert any_tables.recover("key-1", outputs).missing == [first]


def test_the_commit_failpoint_counts_commits_not_skips(any_tables, spark, tmp_path, monkeypatch):
    from corpussieve import failpoints
    from corpussieve.tables import WriteSpec

    exits = []
    monkeypatch.setattr(failpoints.os, "_exit", lambda code: exits.append((code, any_tables.exists(b))))
    monkeypatch.setenv(failpoints.ENV, "after_commit:2")
    monkeypatch.setattr(failpoints, "_commits", 0)
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    any_tables.write(_rows(spark, 2), a, mode="append", txn=Txn("fp", 1))
    assert exits == []
    any_tables.write_all([WriteSpec(_rows(spark, 2), a, "append", txn=Txn("fp", 1)),  # a skip: not a commit
                          WriteSpec(_rows(spark, 2), b)])
    assert exits == [(failpoints.KILLED_EXIT_CODE, True)]  # right after the second real commit
    monkeypatch.setenv(failpoints.ENV, "after_commits:2")
    with pytest.raises(ValueError, match="after_commit:N"):
        failpoints.after_commit(a)


def test_empty_write_creates_the_table_with_its_schema(any_tables, spark, tmp_path):
    path = str(tmp_path / "empty")
    result = any_tables.write(_rows(spark, 0), path, mode="overwrite")
    # delta-spark writes one empty data file; delta-rs writes none (the schema is in the log either way)
    assert result.committed and result.rows == 0 and result.files == int(any_tables.backend_name == "delta-spark")
    df = any_tables.read(path)
    assert df.count() == 0 and df.columns == ["id", "text", "site", "day"]
    assert DeltaTable(path).to_pyarrow_table().num_rows == 0


def test_missing_and_non_delta_paths(any_tables, tmp_path):
    with pytest.raises(TableNotFoundError, match="does not exist"):
        any_tables.read(str(tmp_path / "nothing"))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.parquet").write_bytes(b"PAR1")
    with pytest.raises(TableNotFoundError, match="not a Delta table"):
        any_tables.read(str(plain))


def test_reader_features_this_backend_cannot_honour_are_refused(rs_tables, tmp_path):
    from deltalake import TableFeatures

    mapped = str(tmp_path / "mapped")
    write_deltalake(mapped, pa.table({"a": [1]}), configuration={"delta.columnMapping.mode": "name"})
    with pytest.raises(UnsupportedTableFeatureError, match="column mapping"):
        rs_tables.read(mapped)
    variant = str(tmp_path / "variant")
    write_deltalake(variant, pa.table({"a": [1]}))
    DeltaTable(variant).alter.add_feature(TableFeatures.VariantType, allow_protocol_versions_increase=True)
    with pytest.raises(UnsupportedTableFeatureError, match="variantType"):
        rs_tables.read(variant)
    enabled_but_unused = str(tmp_path / "dv")
    write_deltalake(enabled_but_unused, pa.table({"a": [1, 2]}))
    DeltaTable(enabled_but_unused).alter.add_feature(TableFeatures.DeletionVectors,
                                                     allow_protocol_versions_increase=True)
    assert rs_tables.read(enabled_but_unused).count() == 2


def test_write_all_commits_nothing_when_one_output_fails(any_tables, spark, tmp_path):
    from pyspark.sql import functions as F

    from corpussieve.tables import WriteSpec

    good = str(tmp_path / "good")
    bad = str(tmp_path / "bad")

    @F.udf("string")
    def fail(value):
        raise RuntimeError("second output failed")

    with pytest.raises(Exception, match="second output failed"):
        any_tables.write_all([
            WriteSpec(_rows(spark, 5), good, "overwrite"),
            WriteSpec(_rows(spark, 5).withColumn("text", fail("text")), bad, "overwrite"),
        ])
    assert not any_tables.exists(good) and not any_tables.exists(bad)
    assert not _data_files(good) if os.path.exists(good) else True


def test_a_streamed_first_output_is_not_staged_and_a_failure_in_it_commits_nothing(any_tables, spark, tmp_path):
    """``WriteSpec.stream``: the first output of a ``write_all`` is written as it commits, first, without a
    cached copy; the others are staged before it, a failure computing it commits nothing anywhere (and the
    staged copies are released), and only the first output may stream."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from corpussieve.tables import WriteSpec

    first, second = _rows(spark, 6), _rows(spark, 4)
    out = {name: str(tmp_path / name) for name in ("first", "second", "bad", "after")}
    pending = [any_tables.prepare(WriteSpec(first, out["first"], stream=True)),
               any_tables.prepare(WriteSpec(second, out["second"]))]
    assert first.storageLevel == StorageLevel.NONE
    assert second.storageLevel == (StorageLevel.MEMORY_AND_DISK if any_tables.backend_name == "delta-spark"
                                   else StorageLevel.NONE)  # (the check above can fail: staging caches)
    for p in pending:
        p.abort()
    results = any_tables.write_all([WriteSpec(first, out["first"], stream=True), WriteSpec(second, out["second"])])
    assert [r.rows for r in results] == [6, 4] and all(r.committed for r in results)
    assert any_tables.read(out["first"]).count() == 6 and second.storageLevel == StorageLevel.NONE

    @F.udf("string")
    def fail(value):
        raise RuntimeError("first output failed")

    with pytest.raises(Exception, match="first output failed"):
        any_tables.write_all([WriteSpec(_rows(spark, 5).withColumn("text", fail("text")), out["bad"], stream=True),
                              WriteSpec(second, out["after"])])
    assert not any_tables.exists(out["bad"]) and not any_tables.exists(out["after"])
    assert second.storageLevel == StorageLevel.NONE  # the staged copy is released
    with pytest.raises(ValueError, match="only the first output"):
        any_tables.write_all([WriteSpec(second, out["after"]), WriteSpec(first, out["bad"], stream=True)])
    assert not any_tables.exists(out["after"])


def test_a_computed_write_is_not_staged_again_and_counts_its_rows_from_the_commit(any_tables, spark, tmp_path):
    """``WriteSpec.computed``: filters of a persisted, computed frame are written without a second cached
    copy (delta-spark staged them by caching), and report the same rows, files and contents as a staged write,
    appends and an empty output included; a txn already committed is still a skip."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from corpussieve.tables import WriteSpec

    base = _rows(spark, 40).persist(StorageLevel.MEMORY_AND_DISK)
    base.count()
    try:
        kept, dropped = base.filter(F.col("id") % 4 != 0), base.filter(F.col("id") % 4 == 0)
        out = {name: str(tmp_path / name) for name in ("kept", "dropped", "none", "staged")}
        pending = [any_tables.prepare(WriteSpec(kept, out["kept"], computed=True)),
                   any_tables.prepare(WriteSpec(dropped, out["dropped"], computed=True)),
                   any_tables.prepare(WriteSpec(base.filter("id < 0"), out["none"], computed=True))]
        assert kept.storageLevel == dropped.storageLevel == StorageLevel.NONE  # nothing cached again
        results = [p.commit() for p in pending]
        staging = any_tables.prepare(WriteSpec(kept, out["staged"]))
        # the check above can fail: delta-spark caches what it stages (delta-rs writes the files instead)
        assert kept.storageLevel == (StorageLevel.MEMORY_AND_DISK if any_tables.backend_name == "delta-spark"
                                     else StorageLevel.NONE)
        staged = staging.commit()
        assert kept.storageLevel == StorageLevel.NONE
        assert [r.rows for r in results] == [30, 10, 0] and staged.rows == 30
        assert all(r.committed for r in results)
        assert sorted(r["id"] for r in any_tables.read(out["kept"]).collect()) == [i for i in range(40) if i % 4]
        assert any_tables.read(out["dropped"]).count() == 10 and any_tables.read(out["none"]).count() == 0
        appended = any_tables.write_all([WriteSpec(dropped, out["kept"], "append", txn=Txn("c", 1), computed=True)])
        again = any_tables.write_all([WriteSpec(dropped, out["kept"], "append", txn=Txn("c", 1), computed=True)])
        assert appended[0].rows == 10 and appended[0].committed
        assert not again[0].committed and again[0].rows == 0
        assert any_tables.read(out["kept"]).count() == 40
        assert dropped.storageLevel == StorageLevel.NONE
    finally:
        base.unpersist()


@pytest.mark.skipif(not deltajars.available(), reason="delta-spark jars not fetched (make setup needs Maven Central)")
def test_delta_spark_history_read_from_the_log_equals_delta_table_history(spark, tmp_path):
    """The driver reads a local table's commits from its log files; DeltaTable.history (a Spark job) is the
    reference: same versions, operations, parameters, metrics and run metadata, newest first, with limits."""
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    tables = Tables(spark, TablesConfig(backend="delta-spark"))
    backend = tables.backend
    path = str(tmp_path / "hist")
    tables.write(_rows(spark, 5), path, mode="overwrite", metadata={"job": "test", "n": [1, 2]})
    tables.write(_rows(spark, 7, offset=100), path, mode="append", txn=Txn("app", 3))
    tables.delete_ids(path, "id", [100, 101], metadata={"job": "forget"})
    tables.write(_rows(spark, 2, offset=500), path, mode="overwrite", partition_by=None)
    assert backend._local_path(path) == path
    assert backend._latest_version(path) == 3 == tables.version(path)

    def comparable(entries):
        return [{k: v for k, v in e.items() if k != "timestamp"} for e in entries]

    for limit in (None, 1, 2, 10):
        fast, reference = backend.history(path, limit), backend.history_by_spark(path, limit)
        assert comparable(fast) == comparable(reference)
        for a, b in zip(fast, reference, strict=True):
            assert abs((a["timestamp"] - b["timestamp"]).total_seconds()) < 2
    assert [e["version"] for e in backend.history(path)] == [3, 2, 1, 0]
    assert backend.history(path)[-1]["corpussieve"] == {"job": "test", "n": [1, 2]}
    assert backend.history(path)[1]["operation"] == "DELETE"
    # tables Spark resolves elsewhere are read through the Spark job
    assert backend._local_path("s3a://bucket/table") is None
    assert backend._local_path("file://" + path) == path
