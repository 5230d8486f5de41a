"""Input tables with Delta features the delta-rs read path refuses (deletion vectors, column mapping) are read
correctly by the delta-spark backend, jobs included, and still refused, clearly, by delta-rs."""

from __future__ import annotations

import json
import random

import pytest

from corpussieve import deltajars
from corpussieve.errors import UnsupportedTableFeatureError

pytestmark = [pytest.mark.spark, pytest.mark.skipif(
    not deltajars.available(), reason="delta-spark jars not fetched (make setup needs Maven Central)")]


@pytest.fixture(scope="module")
def ds(spark):
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    return Tables(spark, TablesConfig(backend="delta-spark"))


@pytest.fixture(scope="module")
def rs(spark):
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    return Tables(spark, TablesConfig(backend="delta-rs"))


def _values(rows):
    def literal(v):
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "true" if v else "false"
        return repr(v) if isinstance(v, str) else str(v)

    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


def _deletion_vectors_added(spark, path) -> int:
    history = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").collect()
    return sum(int((h["operationMetrics"] or {}).get("numDeletionVectorsAdded", 0)) for h in history
               if h["operation"] == "DELETE")


def _sorted(df):
    return sorted(tuple(r) for r in df.collect())


DV_ROWS = [(i, f"text {i}", "drop" if i % 4 == 0 else "keep") for i in range(20)]
DV_SURVIVORS = [r for r in DV_ROWS if r[2] == "keep" and r[0] != 7]


@pytest.fixture(scope="module")
def dv_table(spark, tmp_path_factory):
    """A table whose DELETE left deletion vectors on its files: version 1 has 20 rows, version 2 14."""
    path = str(tmp_path_factory.mktemp("dv") / "dv")
    spark.sql(f"CREATE TABLE delta.`{path}` (id BIGINT, text STRING, grp STRING) USING delta "
              "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    spark.sql(f"INSERT INTO delta.`{path}` VALUES {_values(DV_ROWS)}")  # small files: DELETE marks, not rewrites
    spark.sql(f"DELETE FROM delta.`{path}` WHERE grp = 'drop' OR id = 7")
    assert _deletion_vectors_added(spark, path) > 0  # the rows are deleted by deletion vectors, not a rewrite
    return path


def test_deletion_vectors_are_honoured_by_delta_spark(ds, dv_table):
    assert _sorted(ds.read(dv_table)) == sorted(DV_SURVIVORS)
    assert ds.read(dv_table).count() == len(DV_SURVIVORS) == 14
    # time travel before the DELETE still sees every row; the latest version is the DELETE's
    assert ds.version(dv_table) == 2
    assert _sorted(ds.read(dv_table, 1)) == sorted(DV_ROWS)
    assert _sorted(ds.require(dv_table, ["id", "text"], version=2)) == sorted(DV_SURVIVORS)


def test_delta_rs_refuses_a_table_with_deletion_vectors_in_use(rs, dv_table):
    try:
        rows = rs.read(dv_table).count()
    except UnsupportedTableFeatureError as exc:
        assert "deletion vectors" in str(exc)
    else:
        pytest.fail(f"the delta-rs read path read a table with deletion vectors in use instead of refusing it: "
                    f"{rows} rows, of which only {len(DV_SURVIVORS)} are live")


def test_column_mapping_is_honoured_by_delta_spark_and_refused_by_delta_rs(spark, ds, rs, tmp_path):
    path = str(tmp_path / "cm")
    spark.sql(f"CREATE TABLE delta.`{path}` (id BIGINT, body STRING, extra STRING) USING delta "
              "TBLPROPERTIES ('delta.columnMapping.mode' = 'name')")
    spark.sql(f"INSERT INTO delta.`{path}` VALUES {_values([(1, 'one', 'x'), (2, 'two', None)])}")
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN body TO text")
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN extra TO `note with space`")
    spark.sql(f"INSERT INTO delta.`{path}` VALUES {_values([(3, 'three', 'y')])}")

    df = ds.read(path)
    assert df.columns == ["id", "text", "note with space"]
    assert _sorted(df) == [(1, "one", "x"), (2, "two", None), (3, "three", "y")]
    assert _sorted(df.select("text")) == [("one",), ("three",), ("two",)]
    assert _sorted(ds.read(path, 1)) == [(1, "one", "x"), (2, "two", None)]
    assert ds.read(path, 1).columns == ["id", "body", "extra"]  # time travel reads the old names
    assert _sorted(ds.require(path, ["id", "text"])) == _sorted(df)

    with pytest.raises(UnsupportedTableFeatureError, match="column mapping"):
        rs.read(path)

    # an append by the table layer lands under the logical (renamed) names
    new = spark.createDataFrame([(4, "four", "z")], "id long, text string, `note with space` string")
    assert ds.write(new, path, "append").committed
    assert _sorted(ds.read(path)) == [(1, "one", "x"), (2, "two", None), (3, "three", "y"), (4, "four", "z")]


def _words(rng: random.Random, n: int) -> str:
    return " ".join("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 8))) for _ in range(n))


def test_the_dedup_job_on_a_deletion_vector_table_never_sees_the_deleted_rows(spark, ds, tmp_path):
    from corpussieve.cli import main

    rng = random.Random(3)
    texts = [_words(rng, 60) for _ in range(6)]
    rows = [(f"d{i}", t) for i, t in enumerate(texts)]
    # deleted copies of live documents, with ids that would win the keep rule (lowest id) if they were read,
    # and a deleted exact copy of d1 carrying d1's id would break the unique-id check
    rows += [("a0", texts[0]), ("a1", texts[1]), ("a3", texts[3].upper()), ("d1", texts[1])]
    path = str(tmp_path / "dv_input")
    spark.sql(f"CREATE TABLE delta.`{path}` (id STRING, text STRING, doomed BOOLEAN) USING delta "
              "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    spark.sql(f"INSERT INTO delta.`{path}` VALUES "
              + _values([(i, t, i.startswith("a") or n >= 6) for n, (i, t) in enumerate(rows)]))
    spark.sql(f"DELETE FROM delta.`{path}` WHERE doomed")
    assert _deletion_vectors_added(spark, path) > 0

    out = tmp_path / "out"
    code = main(["dedup", "--input", path, "--output", str(out), "--set", "tables.backend=delta-spark"], spark=spark)
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert {o["backend"] for o in report["outputs"]} == {"delta-spark"}
    assert report["summary"]["documents"] == 6 and report["summary"]["kept"] == 6
    clusters = {r["id"]: r for r in ds.read(str(out / "clusters")).collect()}
    assert set(clusters) == {f"d{i}" for i in range(6)}
    assert all(c["kept"] and c["duplicate_of"] is None for c in clusters.values())
    documents = ds.read(str(out / "documents"))
    assert sorted(r["id"] for r in documents.collect()) == [f"d{i}" for i in range(6)]
    assert documents.filter("doomed").count() == 0
