"""The JVM class archive of a local session: Spark's classes pre-parsed, so a job starts ~5 s sooner.

A local-mode job spends seconds before its first row: the driver JVM loads, verifies and links thousands of
classes of Spark, Delta and their libraries as each is first used (session start, first job, first Delta
scan, first Arrow exchange; 18,018 classes for a session's start and one small job, 13,426 of them then
from the archive). Java's class data sharing (CDS) keeps those classes pre-parsed in a file the JVM maps at
start. ``scripts/build_class_archive.py`` (run by ``make setup``) runs a small workload once in a JVM started
with ``-XX:ArchiveClassesAtExit`` (a dynamic archive on top of the JDK's own), checks that a new JVM maps
it, and publishes it here with a manifest; ``build_session`` then starts local sessions with
``-XX:SharedArchiveFile``. Measured on the 2-core machine of the README (one process each, alternated three
times): session start 5.5-7.0 s -> 3.5-3.8 s, first Spark job 2.3-2.8 s -> 1.4-1.5 s, first Delta read of a
50k-row table 5.2-5.8 s -> 4.5-5.2 s; about 5 s per process in all.

The archive is only valid for the JVM and the class path it was made with, so it is keyed on both (the
``java`` that spark-submit runs, pyspark's version and jars, the delta-spark jars). The JVM checks again
at start and, with the default ``-Xshare:auto``, runs without it (one warning line) if anything differs.
``-XX:+VerifySharedSpaces`` makes it check the archive's checksum too (measured cost: under 0.1 s): a
damaged file would otherwise crash the JVM; a truncated one is refused here, by its size in the manifest.

Dependency-free on purpose, as ``deltajars``: the session imports it before any job module.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from corpussieve import deltajars

#: The folder ``make setup`` fills: ``<key>.jsa`` and ``<key>.json`` (its manifest).
ARCHIVE_DIR_NAME = "class-archive"
#: Overrides the folder for ``spark.class_archive: auto``.
ENV_DIR = "CORPUSSIEVE_CLASS_ARCHIVE_DIR"
#: The flags a session starts with when it uses an archive (``{path}`` is filled in).
USE_OPTIONS = "-XX:SharedArchiveFile={path} -XX:+VerifySharedSpaces"
#: The flag of the one run that writes an archive when its JVM exits.
DUMP_OPTION = "-XX:ArchiveClassesAtExit={path}"


class ClassArchiveError(RuntimeError):
    """An explicitly named archive cannot be used."""


@dataclass(frozen=True)
class Located:
    """The outcome of a lookup: the archive to use (or None) and, when there is none, why."""

    path: str | None
    reason: str


def default_dir() -> Path:
    return Path(os.environ.get(ENV_DIR) or deltajars.repo_root() / ".jars" / ARCHIVE_DIR_NAME)


def java_binary() -> str | None:
    """The ``java`` spark-submit runs (``$JAVA_HOME/bin/java``, else the first on PATH), resolved; None if none."""
    home = os.environ.get("JAVA_HOME")
    candidate = os.path.join(home, "bin", "java") if home else shutil.which("java")
    return os.path.realpath(candidate) if candidate and os.path.exists(candidate) else None


def _stat_token(path: str) -> str:
    try:
        st = os.stat(path)
        return f"{os.path.basename(path)}:{st.st_size}:{int(st.st_mtime)}"
    except OSError:
        return f"{os.path.basename(path)}:absent"


def fingerprint(delta_jars: list[str]) -> dict:
    """What the archive depends on: the JVM (its binary and libjvm, by size and time) and the class path
    (pyspark's version and jars folder listing, the delta-spark jars)."""
    import pyspark

    java = java_binary()
    java_home = os.path.dirname(os.path.dirname(java)) if java else ""
    libjvm = os.path.join(java_home, "lib", "server", "libjvm.so")
    spark_jars = Path(pyspark.__file__).parent / "jars"
    listing = sorted(p.name for p in spark_jars.glob("*.jar")) if spark_jars.is_dir() else []
    return {
        "java": java or "",
        "libjvm": _stat_token(libjvm) if java else "",
        "pyspark": pyspark.__version__,
        "pyspark_jars": hashlib.sha256("\n".join(listing).encode()).hexdigest()[:16],
        "delta_jars": sorted(_stat_token(j) for j in delta_jars),
    }


def key(identity: dict) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]


def locate(setting: str, delta_jars: list[str], folder: Path | None = None) -> Located:
    """The archive for a session with these delta jars. ``setting`` is ``spark.class_archive``: 'auto' (the
    one ``make setup`` built for this JVM and class path, if any), 'none', or the path of a ``.jsa`` file
    (used as given; the JVM checks it)."""
    if setting == "none":
        return Located(None, "spark.class_archive is none")
    if setting != "auto":
        if not os.path.isfile(setting):
            raise ClassArchiveError(f"spark.class_archive names a file that does not exist: {setting}")
        return Located(os.path.abspath(setting), "named by spark.class_archive")
    if java_binary() is None:
        return Located(None, "no java found")
    folder = folder or default_dir()
    name = key(fingerprint(delta_jars))
    archive, manifest_path = folder / f"{name}.jsa", folder / f"{name}.json"
    if not manifest_path.is_file():
        return Located(None, f"none built for this JVM and class path in {folder} (make setup builds one)")
    try:
        manifest = json.loads(manifest_path.read_text())
        size = archive.stat().st_size
    except (OSError, ValueError) as exc:
        return Located(None, f"unreadable archive or manifest {manifest_path}: {exc}")
    if size != manifest.get("bytes"):
        return Located(None, f"{archive} is {size} bytes, its manifest says {manifest.get('bytes')}: "
                             "damaged, ignored (make setup builds it again)")
    return Located(str(archive), f"built {manifest.get('built', '?')} by {manifest.get('workload', '?')}")


def publish(staged: Path, folder: Path, identity: dict, extra: dict) -> Path:
    """Move a checked archive into ``folder`` under its key, manifest last: a reader that finds the manifest
    finds the whole archive (``os.replace`` is atomic within one file system)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = key(identity)
    target, manifest_path = folder / f"{name}.jsa", folder / f"{name}.json"
    manifest_path.unlink(missing_ok=True)
    os.replace(staged, target)
    manifest = {"archive": target.name, "bytes": target.stat().st_size, **identity, **extra}
    tmp = manifest_path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, manifest_path)
    return target


def java_options(path: str) -> str:
    return USE_OPTIONS.format(path=path)
