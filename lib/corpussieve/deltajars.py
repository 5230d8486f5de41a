"""The delta-spark jars of a local session: where ``make setup`` puts them and how a session finds them.

``scripts/fetch_delta_jars.py`` (run by ``make setup``) resolves delta-spark with Maven and copies into
``<repo>/.jars/delta-<version>/`` the jars pyspark's own ``jars/`` folder lacks (Spark, Scala, Hadoop,
Parquet and Jackson are pyspark's: two versions of one library on a classpath is a bug waiting), with a
``manifest.json`` naming the Spark line the jars were built for. ``build_session`` puts them on a local
session; under spark-submit the submitter's ``--packages``/``--jars`` win and this module is not used.

Dependency-free on purpose: the session imports it before any job module.
"""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path

#: The Delta Lake release the local session runs. 4.4.x is built against Spark 4.2; 4.4.0 is the newest
#: 4.4 release Maven Central serves (checked 2026-12-02: 4.4.1 is on PyPI only).
DELTA_VERSION = "4.4.0"
DELTA_ARTIFACT = f"io.delta:delta-spark_2.13:{DELTA_VERSION}"
DELTA_EXTENSION_CLASS = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG_CLASS = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
MANIFEST = "manifest.json"

#: Overrides the folder (or names the jars, comma-separated) for ``spark.delta_jars: auto``.
ENV_JARS = "CORPUSSIEVE_DELTA_JARS"


class DeltaJarsError(RuntimeError):
    """The fetched jars cannot serve this pyspark."""


def repo_root() -> Path:
    """The checkout this package runs from (``lib/corpussieve`` -> the repository)."""
    return Path(__file__).resolve().parents[2]


def default_dir() -> Path:
    return repo_root() / ".jars" / f"delta-{DELTA_VERSION}"


def spark_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _from_folder(folder: Path) -> tuple[list[str], dict]:
    manifest_path = folder / MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        jars = [str(folder / name) for name in manifest["jars"]]
        missing = [j for j in jars if not os.path.isfile(j)]
        if missing:
            raise DeltaJarsError(f"delta-spark jars listed in {manifest_path} are missing: {', '.join(missing)}; "
                                 "run 'make setup' again")
        return jars, manifest
    return sorted(glob.glob(str(folder / "*.jar"))), {}


def locate(setting: str = "auto") -> tuple[list[str], dict]:
    """The jars to put on a local session and their manifest (``{}`` when unknown); ``[]`` when there are none.

    ``setting`` is ``spark.delta_jars``: 'auto' (``$CORPUSSIEVE_DELTA_JARS``, else the folder ``make setup``
    fills), 'none', a folder, or comma-separated jar paths.
    """
    if setting == "none":
        return [], {}
    if setting == "auto":
        setting = os.environ.get(ENV_JARS, "")
        if not setting:
            folder = default_dir()
            return _from_folder(folder) if (folder / MANIFEST).is_file() else ([], {})
    parts = [p for p in setting.split(",") if p]
    if len(parts) == 1 and os.path.isdir(parts[0]):
        return _from_folder(Path(parts[0]))
    missing = [p for p in parts if not os.path.isfile(p)]
    if missing:
        raise DeltaJarsError(f"spark.delta_jars names files that do not exist: {', '.join(missing)}")
    return parts, {}


def available() -> bool:
    """Whether a local session built with the default ``spark.delta_jars: auto`` gets delta-spark."""
    try:
        return bool(locate("auto")[0])
    except DeltaJarsError:
        return False


def check_spark_line(manifest: dict, pyspark_version: str) -> None:
    """One line naming both versions when the jars were built for another Spark minor line."""
    built_for = manifest.get("spark_version")
    if built_for and spark_minor(built_for) != spark_minor(pyspark_version):
        raise DeltaJarsError(
            f"the delta-spark {manifest.get('delta_version', '?')} jars in use are built for Spark "
            f"{spark_minor(built_for)}, but this pyspark is {pyspark_version}; install pyspark "
            f"{spark_minor(built_for)}.x or fetch matching jars (make setup)"
        )
