"""The JVM class archive: found only for the JVM and class path it was made for, refused when damaged, put
on a local session's driver flags; and, end to end, built by the setup script and mapped by a new JVM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpussieve import classarchive
from corpussieve.config import SparkConfig
from corpussieve.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
KEY = "spark.driver.extraJavaOptions"
needs_java = pytest.mark.skipif(classarchive.java_binary() is None, reason="no java on this machine")


def fake_archive(folder: Path, jars: list[str], size: int = 4096) -> Path:
    staged = folder / "staged.jsa"
    folder.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(b"\0" * size)
    return classarchive.publish(staged, folder, classarchive.fingerprint(jars), {"workload": "test"})


def test_none_and_a_missing_named_file():
    assert classarchive.locate("none", []).path is None
    with pytest.raises(classarchive.ClassArchiveError, match="does not exist: /no/such.jsa"):
        classarchive.locate("/no/such.jsa", [])
    from corpussieve.session import local_settings

    with pytest.raises(ConfigError, match="spark.class_archive: .*/no/such.jsa"):
        local_settings(SparkConfig(class_archive="/no/such.jsa"))


@needs_java
def test_auto_finds_only_the_archive_of_this_class_path_whole(tmp_path):
    folder = tmp_path / "archives"
    assert classarchive.locate("auto", [], folder).path is None
    assert "make setup" in classarchive.locate("auto", [], folder).reason
    jar = tmp_path / "delta.jar"
    jar.write_bytes(b"jar")
    archive = fake_archive(folder, [str(jar)])
    assert not list(folder.glob("*.partial*")) and not (folder / "staged.jsa").exists()
    found = classarchive.locate("auto", [str(jar)], folder)
    assert found.path == str(archive) and "test" in found.reason
    # another class path (no delta jars, or a changed jar) has another key: not this archive
    assert classarchive.locate("auto", [], folder).path is None
    jar.write_bytes(b"another jar")
    assert classarchive.locate("auto", [str(jar)], folder).path is None
    # a truncated archive would crash the JVM that maps it: refused by its size
    archive = fake_archive(folder, [])
    assert classarchive.locate("auto", [], folder).path == str(archive)
    with open(archive, "r+b") as handle:
        handle.truncate(1000)
    damaged = classarchive.locate("auto", [], folder)
    assert damaged.path is None and "damaged" in damaged.reason


@needs_java
def test_the_key_follows_the_jvm_and_pyspark(monkeypatch):
    import pyspark

    base = classarchive.key(classarchive.fingerprint([]))
    monkeypatch.setattr(pyspark, "__version__", "0.0.1")
    assert classarchive.key(classarchive.fingerprint([])) != base
    monkeypatch.undo()
    monkeypatch.setenv("JAVA_HOME", "/no/such/jdk")
    assert classarchive.java_binary() is None
    assert classarchive.locate("auto", []).path is None


@needs_java
def test_a_local_session_maps_the_archive_between_the_jit_flags_and_the_users(tmp_path, monkeypatch):
    from corpussieve import deltajars
    from corpussieve.session import QUICK_JIT_OPTIONS, local_settings

    monkeypatch.setenv(classarchive.ENV_DIR, str(tmp_path))
    cfg = SparkConfig(jit="quick", conf={KEY: "-Dmy.flag=1"})
    assert local_settings(cfg)[KEY] == f"{QUICK_JIT_OPTIONS} -Dmy.flag=1"  # none built here yet
    archive = fake_archive(tmp_path, deltajars.locate(cfg.delta_jars)[0])
    assert local_settings(cfg)[KEY] == (f"{QUICK_JIT_OPTIONS} -XX:SharedArchiveFile={archive} "
                                        "-XX:+VerifySharedSpaces -Dmy.flag=1")
    assert local_settings(cfg.model_copy(update={"class_archive": "none"}))[KEY] == f"{QUICK_JIT_OPTIONS} -Dmy.flag=1"
    named = local_settings(SparkConfig(class_archive=str(archive)))[KEY]
    assert named == f"-XX:SharedArchiveFile={archive} -XX:+VerifySharedSpaces"


def _session_starts(archive: str, *options: str) -> subprocess.CompletedProcess:
    code = ("import sys; from corpussieve.config import SparkConfig; from corpussieve.session import build_session;"
            "s = build_session(SparkConfig(ui=False, log_level='ERROR', class_archive=sys.argv[1],"
            " conf={'spark.driver.extraJavaOptions': sys.argv[2]})); print(s.range(5).count()); s.stop()")
    return subprocess.run([sys.executable, "-c", code, archive, " ".join(options)], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "lib")}, timeout=300)


@pytest.mark.e2e
@needs_java
def test_the_setup_script_builds_an_archive_a_new_jvm_maps_and_a_damaged_copy_costs_only_a_warning(tmp_path):
    folder = tmp_path / "archives"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "build_class_archive.py"), "--dir", str(folder),
                           "--workload", "session"], capture_output=True, text=True, cwd=REPO, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    from corpussieve import deltajars

    found = classarchive.locate("auto", deltajars.locate("auto")[0], folder)
    assert found.path, (found.reason, done.stdout, (folder / "build.log").read_text()[-3000:])
    manifest = json.loads(Path(found.path).with_suffix(".json").read_text())
    assert manifest["bytes"] == os.path.getsize(found.path) > 10_000_000
    assert manifest["start_seconds_with"] > 0 and manifest["workload"] == "session"
    # -Xshare:on stops the JVM at start unless it maps the archive: this start proves it does
    mapped = _session_starts(found.path, "-Xshare:on")
    assert mapped.returncode == 0 and mapped.stdout.strip().endswith("5"), mapped.stderr[-3000:]
    # a copy with damaged bytes: the checksum refuses it and the session runs without it
    data = bytearray(Path(found.path).read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = b"x" * 64
    damaged = tmp_path / "damaged.jsa"
    damaged.write_bytes(bytes(data))
    started = _session_starts(str(damaged))
    assert started.returncode == 0 and started.stdout.strip().endswith("5"), started.stderr[-3000:]
    assert "Unable to use shared archive" in started.stdout + started.stderr
    # and the script leaves a present archive alone
    again = subprocess.run([sys.executable, str(REPO / "scripts" / "build_class_archive.py"), "--dir", str(folder)],
                           capture_output=True, text=True, cwd=REPO, timeout=300)
    assert again.returncode == 0 and "present" in again.stdout
