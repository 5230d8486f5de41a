"""One Delta table, two writers: what one table backend commits, the other reads, appends to, time-travels
and reads the history of, in both directions; idempotent batches (Delta txn), commit metadata, and the
incremental dedup index are shared between them."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from corpussieve import deltajars

pytestmark = [pytest.mark.spark, pytest.mark.skipif(
    not deltajars.available(), reason="delta-spark jars not fetched (make setup needs Maven Central)")]

RS, DS = "delta-rs", "delta-spark"
DIRECTIONS = [pytest.param((RS, DS), id="delta-rs-then-delta-spark"),
              pytest.param((DS, RS), id="delta-spark-then-delta-rs")]


@pytest.fixture(scope="module")
def by_name(spark):
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    return {name: Tables(spark, TablesConfig(backend=name)) for name in (RS, DS)}


@pytest.fixture(params=DIRECTIONS)
def pair(request, by_name):
    """(the backend that creates the table, the other one)."""
    first, second = request.param
    assert by_name[first].backend_name == first and by_name[second].backend_name == second
    return by_name[first], by_name[second]


# -- plain tables -----------------------------------------------------------------------------------------

PLAIN = "id long, name string, day date, score double, flag boolean, ts timestamp"
T0 = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone.utc)


def plain_rows(ids):
    return [(i, f"name {i}" if i % 3 else None, dt.date(2024, 1, 1) + dt.timedelta(days=i), i / 4,
             i % 2 == 0, T0 + dt.timedelta(minutes=i)) for i in ids]


def rows_of(df):
    """Rows as sorted tuples in the table's column order (timestamps compared as UTC instants)."""
    out = []
    for r in df.collect():
        out.append(tuple(v.astimezone(dt.timezone.utc) if isinstance(v, dt.datetime) and v.tzinfo else
                         v.replace(tzinfo=dt.timezone.utc) if isinstance(v, dt.datetime) else v for v in r))
    return sorted(out, key=repr)


def expected(rows):
    return sorted(rows, key=repr)


def test_a_table_of_one_backend_is_read_appended_time_travelled_by_the_other(spark, pair, tmp_path):
    first, second = pair
    path = str(tmp_path / "t")
    v0 = plain_rows(range(0, 5))
    r0 = first.write(spark.createDataFrame(v0, PLAIN), path, "overwrite")
    assert r0.committed and r0.version == 0 and r0.backend == first.backend_name

    assert second.exists(path) and second.version(path) == 0
    assert [f.name for f in second.read(path).schema.fields] == ["id", "name", "day", "score", "flag", "ts"]
    assert rows_of(second.read(path)) == expected(v0)

    v1 = plain_rows(range(5, 9))
    r1 = second.write(spark.createDataFrame(v1, PLAIN), path, "append")
    assert r1.committed and r1.version == 1 and r1.rows == 4 and r1.backend == second.backend_name
    # an append with the columns in another order lands by name
    v2 = plain_rows([9])
    shuffled = spark.createDataFrame(v2, PLAIN).select("ts", "flag", "score", "day", "name", "id")
    assert first.write(shuffled, path, "append").version == 2

    for tables in (first, second):
        assert tables.version(path) == 2
        assert rows_of(tables.read(path)) == expected(v0 + v1 + v2)
        assert rows_of(tables.read(path, 0)) == expected(v0)
        assert [e["version"] for e in tables.history(path)] == [2, 1, 0]
        assert tables.history(path, 1)[0]["version"] == 2
    assert rows_of(first.read(path, 1)) == expected(v0 + v1)  # the version the other backend committed

    # an overwrite by the other backend replaces the rows; time travel still reaches the old ones
    v3 = plain_rows([100, 101])
    r3 = second.write(spark.createDataFrame(v3, PLAIN), path, "overwrite")
    assert r3.committed and r3.version == 3
    assert rows_of(first.read(path)) == expected(v3)
    assert rows_of(first.read(path, 2)) == expected(v0 + v1 + v2)
    # Delta readers outside corpussieve agree
    from deltalake import DeltaTable

    assert sorted(DeltaTable(path).to_pyarrow_table().column("id").to_pylist()) == [100, 101]
    old = DeltaTable(path)
    old.load_as_version(1)
    assert sorted(old.to_pyarrow_table().column("id").to_pylist()) == list(range(9))


# -- partitioned tables -----------------------------------------------------------------------------------

PARTED = "id long, cat string, day date, payload string"
AWKWARD = ["b c", "x:y/z", "a%b=c", "plain", "tab\there", "ü ñ", None]


def parted_rows(ids):
    return [(i, AWKWARD[i % len(AWKWARD)], dt.date(2024, 2, 1) + dt.timedelta(days=i % 3), f"payload {i}")
            for i in ids]


def test_partitioned_tables_with_awkward_values_cross_backends(spark, pair, tmp_path):
    first, second = pair
    path = str(tmp_path / "parted")
    v0 = parted_rows(range(0, 14))
    first.write(spark.createDataFrame(v0, PARTED).repartition(2), path, "overwrite", partition_by=["cat", "day"])
    assert rows_of(second.read(path)) == expected(v0)
    assert rows_of(second.read(path).filter("cat = 'x:y/z'")) == expected([r for r in v0 if r[1] == "x:y/z"])
    assert rows_of(second.read(path).filter("cat IS NULL")) == expected([r for r in v0 if r[1] is None])
    assert {f.name: f.dataType.simpleString() for f in second.read(path).schema.fields} == \
        {"id": "bigint", "cat": "string", "day": "date", "payload": "string"}

    # the other backend appends into existing and new partitions; the partitioning is kept
    v1 = parted_rows(range(14, 24)) + [(99, "new / part: b c", dt.date(2030, 12, 31), "brand new")]
    r1 = second.write(spark.createDataFrame(v1, PARTED), path, "append")
    assert r1.committed and r1.version == 1
    for tables in (first, second):
        assert tables.backend.partition_columns(path) == ["cat", "day"]
        assert rows_of(tables.read(path)) == expected(v0 + v1)
        assert rows_of(tables.read(path, 0)) == expected(v0)
        assert rows_of(tables.read(path).filter("day = DATE'2030-12-31'")) == expected(v1[-1:])
    # and the first backend appends once more on top of the other's files
    v2 = parted_rows([200, 201, 202])
    first.write(spark.createDataFrame(v2, PARTED), path, "append")
    for tables in (first, second):
        assert rows_of(tables.read(path)) == expected(v0 + v1 + v2)
        assert [e["version"] for e in tables.history(path)] == [2, 1, 0]
    assert sorted(spark.sql(f"SELECT id FROM delta.`{path}` WHERE cat = 'b c'").toPandas()["id"]) == \
        sorted(r[0] for r in v0 + v1 + v2 if r[1] == "b c")


# -- idempotent batches ------------------------------------------------------------------------------------

def test_a_batch_committed_under_a_txn_by_one_backend_is_not_committed_again_by_the_other(spark, pair, tmp_path):
    from corpussieve.tables import Txn

    first, second = pair
    path = str(tmp_path / "txn")

    def batch(ids):
        return spark.createDataFrame([(i, f"doc {i}") for i in ids], "id long, text string")

    assert first.write(batch(range(3)), path, "append", txn=Txn("app-a", 0)).committed
    assert first.write(batch(range(3, 6)), path, "append", txn=Txn("app-a", 1)).committed
    assert first.version(path) == 1
    for tables in (first, second):
        assert tables.txn_version(path, "app-a") == 1 and tables.txn_version(path, "app-b") is None

    # the other backend reruns batch 1 and an older batch 0: nothing is committed
    for version in (1, 0):
        again = second.write(batch(range(3, 6)), path, "append", txn=Txn("app-a", version))
        assert not again.committed and again.version == 1 and not again.rows
    assert second.read(path).count() == 6 and first.read(path).count() == 6 and second.version(path) == 1

    # the next batch commits on the other backend, and the first one then sees it as done
    nxt = second.write(batch(range(6, 8)), path, "append", txn=Txn("app-a", 2))
    assert nxt.committed and nxt.version == 2
    other_app = second.write(batch([8]), path, "append", txn=Txn("app-b", 0))
    assert other_app.committed and other_app.version == 3
    for tables in (first, second):
        assert tables.txn_version(path, "app-a") == 2 and tables.txn_version(path, "app-b") == 0
    back = first.write(batch(range(6, 8)), path, "append", txn=Txn("app-a", 2))
    assert not back.committed and back.version == 3
    assert sorted(r["id"] for r in first.read(path).collect()) == list(range(9))


# -- commit metadata -----------------------------------------------------------------------------------------

def test_commit_metadata_of_either_backend_shows_in_both_histories_and_describe_history(spark, pair, tmp_path):
    first, second = pair
    path = str(tmp_path / "meta")
    df = spark.createDataFrame([(1, "a")], "id long, text string")
    meta1 = {"job": "x", "run_id": "r1"}
    meta2 = {"job": "y", "run_id": "r2", "pinned": {"/some/table": 3}}
    first.write(df, path, "overwrite", metadata=meta1)
    second.write(df, path, "append", metadata=meta2)
    second.write(df, path, "append")  # no metadata: no corpussieve entry

    for tables in (first, second):
        history = {e["version"]: e for e in tables.history(path)}
        assert history[0]["corpussieve"] == meta1, (tables.backend_name, history[0])
        assert history[1]["corpussieve"] == meta2, (tables.backend_name, history[1])
        assert "corpussieve" not in history[2]
        assert history[0]["operation"] and history[1]["operation"]

    described = {r["version"]: r["userMetadata"] for r in
                 spark.sql(f"DESCRIBE HISTORY delta.`{path}`").select("version", "userMetadata").collect()}
    assert json.loads(described[0]) == meta1
    assert json.loads(described[1]) == meta2
    assert described[2] is None


# -- the incremental dedup index ---------------------------------------------------------------------------

def _words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 8))) for _ in range(n)]


def _near(text: str) -> str:
    """A near copy: the second-to-last word replaced (2 of 56 five-word shingles change, Jaccard ~0.93)."""
    w = text.split()
    w[-2] = "zzqqxx"
    return " ".join(w)


def _batches(seed: int):
    rng = random.Random(seed)
    texts = [" ".join(_words(rng, 60)) for _ in range(8)]
    batch1 = [(f"a{i}", t) for i, t in enumerate(texts)]
    batch1.append(("a9", _near(texts[7])))  # a near copy inside batch 1: a7 is kept (lowest id)
    fresh = [" ".join(_words(rng, 60)) for _ in range(3)]
    batch2 = [
        ("b0", texts[2]),  # exact copy of an indexed document
        ("b1", _near(texts[4])),  # near copy of an indexed document
        ("b2", texts[6].upper()),  # exact copy after normalization
        ("b3", fresh[0]), ("b4", fresh[1]), ("b5", fresh[2]),  # new
        ("b6", _near(fresh[0])),  # near copy of a new one inside batch 2: b3 is kept
    ]
    return batch1, batch2


def _dedup(spark, backend, table, out, index):
    from corpussieve.cli import main

    code = main(["dedup", "--input", str(table), "--output", str(out), "--index", str(index),
                 "--set", f"tables.backend={backend}"], spark=spark)
    assert code == 0
    return json.loads((out / "report.json").read_text())


def _clusters(tables, path):
    return {r["id"]: r.asDict() for r in tables.read(str(path)).collect()}


@pytest.mark.parametrize("order", DIRECTIONS)
def test_a_dedup_index_written_by_one_backend_serves_a_run_on_the_other(spark, by_name, tmp_path, order):
    first, second = order
    batch1, batch2 = _batches(7)
    schema = "id string, text string"
    t1, t2, index = tmp_path / "batch1", tmp_path / "batch2", tmp_path / "index"
    by_name[first].write(spark.createDataFrame(batch1, schema), str(t1), "overwrite")
    by_name[second].write(spark.createDataFrame(batch2, schema), str(t2), "overwrite")

    report1 = _dedup(spark, first, t1, tmp_path / "out1", index)
    assert {o["backend"] for o in report1["outputs"]} == {first}
    clusters1 = _clusters(by_name[second], tmp_path / "out1" / "clusters")
    assert clusters1["a9"]["duplicate_of"] == "a7" and clusters1["a9"]["match"] == "near"
    kept1 = {i for i, c in clusters1.items() if c["kept"]}
    assert kept1 == {f"a{i}" for i in range(8)}
    assert sorted(r["id"] for r in by_name[second].read(str(index)).collect()) == sorted(kept1)
    app1 = report1["incremental"]["txn_app_id"]
    index_v1 = by_name[first].version(str(index))

    report2 = _dedup(spark, second, t2, tmp_path / "out2", index)
    assert {o["backend"] for o in report2["outputs"]} == {second}
    assert report2["incremental"]["index_version_before"] == index_v1
    clusters2 = _clusters(by_name[first], tmp_path / "out2" / "clusters")
    assert set(clusters2) == {r[0] for r in batch2}
    assert clusters2["b0"]["duplicate_of"] == "a2" and clusters2["b0"]["match"] == "exact"
    assert clusters2["b1"]["duplicate_of"] == "a4" and clusters2["b1"]["match"] == "near"
    assert clusters2["b2"]["duplicate_of"] == "a6" and clusters2["b2"]["match"] == "exact"
    assert clusters2["b6"]["duplicate_of"] == "b3"
    kept2 = {i for i, c in clusters2.items() if c["kept"]}
    assert kept2 == {"b3", "b4", "b5"}
    assert report2["incremental"]["removed_against_index"] == 3
    documents2 = {r["id"] for r in by_name[first].read(str(tmp_path / "out2" / "documents")).collect()}
    assert documents2 == kept2

    # the index grew by exactly batch 2's kept documents, in one more version, seen alike by both backends
    for tables in by_name.values():
        assert tables.version(str(index)) == index_v1 + 1
        indexed = [r["id"] for r in tables.read(str(index)).collect()]
        assert sorted(indexed) == sorted(kept1 | kept2) and len(indexed) == len(kept1) + len(kept2)
        assert tables.txn_version(str(index), app1) == 0
        assert tables.txn_version(str(index), report2["incremental"]["txn_app_id"]) == 0
    assert report2["incremental"]["rows_appended"] == 3

