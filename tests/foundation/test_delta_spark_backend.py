"""The delta-spark backend as a local session gets it: the jars ``make setup`` fetched, put on the session by
``build_session``, so that ``tables.backend: auto`` picks delta-spark."""

import pytest

from corpussieve import deltajars

pytestmark = [pytest.mark.spark, pytest.mark.skipif(
    not deltajars.available(), reason="delta-spark jars not fetched (make setup needs Maven Central)")]


def test_a_local_session_with_the_fetched_jars_runs_delta_spark(spark, tables):
    from corpussieve.deltajars import DELTA_VERSION

    assert tables.backend_name == "delta-spark"
    assert spark.conf.get("spark.sql.extensions") == "io.delta.sql.DeltaSparkSessionExtension"
    jars = spark.sparkContext.getConf().get("spark.jars")
    assert f"delta-spark_2.13-{DELTA_VERSION}.jar" in jars and f"delta-storage-{DELTA_VERSION}.jar" in jars
    # no second Spark, Scala, Hadoop or Jackson: those stay pyspark's own
    assert not any(name in jars for name in ("scala-library", "hadoop-client", "jackson-databind", "parquet-hadoop"))


def test_jars_built_for_another_spark_line_fail_with_both_versions():
    from corpussieve import deltajars

    with pytest.raises(deltajars.DeltaJarsError) as err:
        deltajars.check_spark_line({"spark_version": "4.1.0", "delta_version": "4.3.0"}, "4.2.0")
    assert "Spark 4.1" in str(err.value) and "4.2.0" in str(err.value)
    deltajars.check_spark_line({"spark_version": "4.2.0"}, "4.2.1")  # same minor line: fine


def test_delta_jars_none_leaves_the_session_on_delta_rs():
    from corpussieve.config import SparkConfig
    from corpussieve.session import local_settings

    assert "spark.sql.extensions" not in local_settings(SparkConfig(delta_jars="none"))
    with_jars = local_settings(SparkConfig(conf={"spark.jars": "/x/extra.jar"}))
    assert with_jars["spark.jars"].endswith(",/x/extra.jar")  # the user's jars are kept, after Delta's
