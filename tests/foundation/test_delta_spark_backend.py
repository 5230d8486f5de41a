"""The delta-spark backend. It needs the delta-spark jars on the JVM classpath, which come from Maven
Central; this test runs when they are present (CORPUSSIEVE_DELTA_JARS or an ivy cache) and skips otherwise."""

import glob
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _delta_jars():
    configured = os.environ.get("CORPUSSIEVE_DELTA_JARS")
    if configured:
        paths = []
        for part in configured.split(","):
            paths += sorted(glob.glob(os.path.join(part, "*.jar"))) if os.path.isdir(part) else [part]
        return paths
    for cache in sorted(glob.glob(os.path.expanduser("~/.ivy2*/jars"))):
        spark_jar = sorted(glob.glob(os.path.join(cache, "io.delta_delta-spark_2.13-4.*.jar")))
        storage = sorted(glob.glob(os.path.join(cache, "io.delta_delta-storage-4.*.jar")))
        if spark_jar and storage:
            return [spark_jar[-1], storage[-1]]
    return []


JARS = _delta_jars()
pytestmark = pytest.mark.skipif(
    not JARS,
    reason="delta-spark jars not on this machine (they come from Maven Central, which it cannot reach); "
           "set CORPUSSIEVE_DELTA_JARS=/path/delta-spark_2.13-4.4.1.jar,/path/delta-storage-4.4.1.jar to run",
)

SCRIPT = textwrap.dedent(
    """
    import sys
    from corpussieve.config import SparkConfig, TablesConfig
    from corpussieve.errors import SchemaMismatchError
    from corpussieve.session import build_session
    from corpussieve.tables import Tables, Txn

    jars, path = sys.argv[1], sys.argv[2]
    spark = build_session(SparkConfig(master="local[2]", ui=False, shuffle_partitions=2, conf={
        "spark.jars": jars,
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog"}))
    tables = Tables(spark, TablesConfig(backend="auto"))
    assert tables.backend_name == "delta-spark", tables.backend_name
    df = spark.createDataFrame([(i, f"t{i}", i % 2) for i in range(10)], "id long, text string, part int")
    first = tables.write(df, path, mode="append", partition_by=["part"], txn=Txn("app", 1))
    again = tables.write(df, path, mode="append", txn=Txn("app", 1))
    assert first.committed and not again.committed, (first, again)
    assert tables.txn_version(path, "app") == 1
    tables.write(df.limit(3), path, mode="overwrite", partition_by=["part"])
    assert tables.read(path, version=0).count() == 10 and tables.read(path).count() == 3
    try:
        tables.write(spark.createDataFrame([(1,)], "other int"), path, mode="append")
        raise AssertionError("mismatched append was accepted")
    except SchemaMismatchError as exc:
        assert "other" in str(exc)
    assert [h["version"] for h in tables.history(path)] == [1, 0]
    print("DELTA-SPARK-OK")
    """
)


def test_delta_spark_backend_end_to_end(tmp_path):
    from deltalake import DeltaTable

    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    table = tmp_path / "t"
    proc = subprocess.run([sys.executable, str(script), ",".join(JARS), str(table)], capture_output=True, text=True,
                          cwd=REPO, timeout=600)
    assert "DELTA-SPARK-OK" in proc.stdout, proc.stderr[-4000:]
    assert DeltaTable(str(table)).to_pyarrow_table().num_rows == 3
