"""The Delta table layer through the delta-rs backend, checked against deltalake and Spark."""

import datetime as dt
import os
import threading

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from corpussieve.errors import (
    ConcurrentWriteError,
    SchemaMismatchError,
    TableNotFoundError,
    UnsupportedTableFeatureError,
)
from corpussieve.tables import Txn

pytestmark = pytest.mark.spark


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


def test_delta_rs_tables_open_in_deltalake(tables, spark, tmp_path):
    path = str(tmp_path / "t")
    result = tables.write(_rows(spark, 30), path, mode="overwrite", partition_by=["site"])
    assert result.committed and result.version == 0 and result.rows == 30 and result.files >= 3
    table = DeltaTable(path).to_pyarrow_table().sort_by("id")
    assert table.num_rows == 30
    assert table.column("site").to_pylist()[:3] == ["a", "b c", "x:y/z"]
    assert table.column("day").to_pylist()[1] == dt.date(2024, 1, 2)
    stats = DeltaTable(path).get_add_actions(flatten=True)
    assert sum(pa.table(stats).column("num_records").to_pylist()) == 30


def test_tables_written_by_deltalake_read_in_spark(tables, tmp_path):
    path = str(tmp_path / "w")
    data = pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int64()),
        "year": pa.array([2023, 2024, 2024, None], pa.int32()),
        "day": pa.array([dt.date(2023, 5, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 2), dt.date(2024, 3, 3)]),
        "lang": ["en", "de", "en", "fr"],
        "score": [0.5, 1.5, 2.5, 3.5],
    })
    write_deltalake(path, data, partition_by=["year", "day"])
    df = tables.read(path)
    assert [f.dataType.simpleString() for f in df.schema.fields] == ["bigint", "int", "date", "string", "double"]
    got = sorted(tuple(r) for r in df.collect())
    assert got == sorted(tuple(r.values()) for r in data.to_pylist())
    unpartitioned = str(tmp_path / "u")
    write_deltalake(unpartitioned, data)
    assert tables.read(unpartitioned).count() == 4


def test_time_travel_and_history(tables, spark, tmp_path):
    path = str(tmp_path / "tt")
    tables.write(_rows(spark, 5), path, mode="overwrite", metadata={"job": "test"})
    tables.write(_rows(spark, 7, offset=100), path, mode="append")
    tables.write(_rows(spark, 2, offset=500), path, mode="overwrite")
    assert tables.read(path, version=0).count() == 5
    assert tables.read(path, version=1).count() == 12
    assert tables.read(path).count() == 2
    assert tables.version(path) == 2
    history = tables.history(path)
    assert [h["version"] for h in history] == [2, 1, 0]
    assert history[-1]["corpussieve"] == {"job": "test"}
    with pytest.raises(TableNotFoundError, match="version 9 does not exist"):
        tables.read(path, version=9)


def test_idempotent_rerun_commits_nothing(tables, spark, tmp_path):
    path = str(tmp_path / "idem")
    first = tables.write(_rows(spark, 10), path, mode="append", txn=Txn("batch-app", 1))
    again = tables.write(_rows(spark, 10), path, mode="append", txn=Txn("batch-app", 1))
    older = tables.write(_rows(spark, 10), path, mode="append", txn=Txn("batch-app", 0))
    assert first.committed and not again.committed and not older.committed
    assert tables.version(path) == first.version
    assert tables.read(path).count() == 10
    assert tables.txn_version(path, "batch-app") == 1
    assert DeltaTable(path).transaction_version("batch-app") == 1
    later = tables.write(_rows(spark, 3, offset=50), path, mode="append", txn=Txn("batch-app", 2))
    assert later.committed and tables.read(path).count() == 13


def test_mismatched_append_is_refused_naming_the_columns(tables, spark, tmp_path):
    path = str(tmp_path / "schema")
    tables.write(_rows(spark, 3), path, mode="overwrite")
    other = spark.createDataFrame([(1, 2.0, "z")], "id string, weight double, site string")
    with pytest.raises(SchemaMismatchError) as err:
        tables.write(other, path, mode="append")
    message = str(err.value)
    assert "missing from the data: text, day" in message
    assert "not in the table: weight" in message
    assert "id (table bigint, data string)" in message
    assert tables.version(path) == 0


def test_partitioning_cannot_change_silently(tables, spark, tmp_path):
    path = str(tmp_path / "parts")
    tables.write(_rows(spark, 3), path, mode="overwrite", partition_by=["site"])
    with pytest.raises(SchemaMismatchError, match="partitioned by"):
        tables.write(_rows(spark, 3), path, mode="overwrite", partition_by=["day"])
    appended = tables.write(_rows(spark, 3, offset=10), path, mode="append")
    assert appended.committed and tables.read(path).count() == 6


def test_a_write_that_fails_midway_leaves_the_table_as_it_was(tables, spark, tmp_path):
    from pyspark.sql import functions as F

    path = str(tmp_path / "fail")
    tables.write(_rows(spark, 20), path, mode="overwrite")
    before = _data_files(path)

    @F.udf("string")
    def explode_on_17(value):
        if value == "text 117":
            raise ValueError("boom")
        return value

    poisoned = _rows(spark, 20, offset=100).repartition(4).withColumn("text", explode_on_17("text"))
    with pytest.raises(Exception, match="boom"):
        tables.write(poisoned, path, mode="append")
    assert tables.version(path) == 0
    assert tables.read(path).count() == 20
    assert _data_files(path) == before == _committed_files(path)


def test_concurrent_appends_both_land_or_fail_clearly(tables, spark, tmp_path):
    path = str(tmp_path / "conc")
    tables.write(_rows(spark, 1), path, mode="overwrite")
    outcomes = []

    def append(offset):
        try:
            outcomes.append(tables.write(_rows(spark, 10, offset=offset), path, mode="append"))
        except ConcurrentWriteError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=append, args=(1000 * (k + 1),)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    landed = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(outcomes) == 2 and landed
    assert tables.read(path).count() == 1 + 10 * len(landed)
    assert DeltaTable(path).to_pyarrow_table().num_rows == 1 + 10 * len(landed)


def test_empty_write_creates_the_table_with_its_schema(tables, spark, tmp_path):
    path = str(tmp_path / "empty")
    result = tables.write(_rows(spark, 0), path, mode="overwrite")
    assert result.committed and result.files == 0
    df = tables.read(path)
    assert df.count() == 0 and df.columns == ["id", "text", "site", "day"]
    assert DeltaTable(path).to_pyarrow_table().num_rows == 0


def test_missing_and_non_delta_paths(tables, tmp_path):
    with pytest.raises(TableNotFoundError, match="does not exist"):
        tables.read(str(tmp_path / "nothing"))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.parquet").write_bytes(b"PAR1")
    with pytest.raises(TableNotFoundError, match="not a Delta table"):
        tables.read(str(plain))


def test_reader_features_this_backend_cannot_honour_are_refused(tables, tmp_path):
    from deltalake import TableFeatures

    mapped = str(tmp_path / "mapped")
    write_deltalake(mapped, pa.table({"a": [1]}), configuration={"delta.columnMapping.mode": "name"})
    with pytest.raises(UnsupportedTableFeatureError, match="column mapping"):
        tables.read(mapped)
    variant = str(tmp_path / "variant")
    write_deltalake(variant, pa.table({"a": [1]}))
    DeltaTable(variant).alter.add_feature(TableFeatures.VariantType, allow_protocol_versions_increase=True)
    with pytest.raises(UnsupportedTableFeatureError, match="variantType"):
        tables.read(variant)
    enabled_but_unused = str(tmp_path / "dv")
    write_deltalake(enabled_but_unused, pa.table({"a": [1, 2]}))
    DeltaTable(enabled_but_unused).alter.add_feature(TableFeatures.DeletionVectors,
                                                     allow_protocol_versions_increase=True)
    assert tables.read(enabled_but_unused).count() == 2


def test_write_all_commits_nothing_when_one_output_fails(tables, spark, tmp_path):
    from pyspark.sql import functions as F

    from corpussieve.tables import WriteSpec

    good = str(tmp_path / "good")
    bad = str(tmp_path / "bad")

    @F.udf("string")
    def fail(value):
        raise RuntimeError("second output failed")

    with pytest.raises(Exception, match="second output failed"):
        tables.write_all([
            WriteSpec(_rows(spark, 5), good, "overwrite"),
            WriteSpec(_rows(spark, 5).withColumn("text", fail("text")), bad, "overwrite"),
        ])
    assert not tables.exists(good) and not tables.exists(bad)
    assert not _data_files(good) if os.path.exists(good) else True
