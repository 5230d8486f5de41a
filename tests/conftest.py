"""Shared fixtures: ONE local SparkSession for every Spark test, and the shared-data locator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


def shared_dir(*parts: str) -> Path:
    """A folder under ../shared, or a clean skip when this machine does not have it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not present: {path} (only developers and CI have ../shared)")
    return path


@pytest.fixture(scope="session")
def spark():
    from corpussieve.config import SparkConfig
    from corpussieve.session import build_session

    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    session = build_session(
        SparkConfig(master="local[2]", ui=False, shuffle_partitions=4, driver_memory="4g", log_level="ERROR",
                    app_name="corpussieve-tests")
    )
    yield session
    session.stop()


from corpussieve import deltajars  # noqa: E402

#: The table backends this machine can run: delta-rs always, delta-spark when the jars are here. CI has them;
#: on a machine without Maven access the delta-spark cases skip with the reason.
BACKENDS = [
    "delta-rs",
    pytest.param("delta-spark", marks=pytest.mark.skipif(
        not deltajars.available(), reason="delta-spark jars not fetched (make setup needs Maven Central)")),
]


@pytest.fixture(scope="session")
def tables(spark):
    """The table layer as every job gets it: 'auto', i.e. delta-spark when the session has the jars."""
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    return Tables(spark, TablesConfig(backend="auto"))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Parametrizes a test over both table backends."""
    return request.param


@pytest.fixture
def any_tables(spark, backend):
    """The table layer on each backend in turn (see ``backend``)."""
    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    return Tables(spark, TablesConfig(backend=backend))
