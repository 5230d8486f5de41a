"""Build the JVM class archive local sessions start with (run by ``make setup``, after the delta-spark jars).

Runs a workload in a driver JVM started with ``-XX:ArchiveClassesAtExit``: by default a session that writes
and reads a Delta table and exchanges Arrow batches with Python (most of the classes every job loads; the
whole demo pipeline, ``--workload demo``, took three times as long to record and made dedup start no
faster), so that later sessions find those classes pre-parsed (see ``corpussieve.classarchive``). Then it checks the
result: a new JVM must map it (``-Xshare:on`` fails the start otherwise) and its start is timed against one
without; only then is the archive published, under the key of this JVM and class path, manifest last.

Without Java, or when anything fails, it prints one line and exits 0: every job runs without an archive,
only its start is slower. ``--check`` only says whether an archive for this JVM and class path is in place.

    .venv/bin/python scripts/build_class_archive.py [--workload demo|session] [--force]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lib"))

from corpussieve import classarchive, deltajars  # noqa: E402

# A session start and one Spark job, timed in a fresh process; the first line of output is the seconds.
START_PROBE = """
import sys, time
sys.path.insert(0, {lib!r})
from corpussieve.config import build_config
from corpussieve.session import build_session
started = time.perf_counter()
spark = build_session(build_config([{local!r}], sets=sys.argv[1:]).spark, app_name="class-archive-probe")
spark.range(100).selectExpr("sum(id)").collect()
print(round(time.perf_counter() - started, 2))
spark.stop()
"""

# The small workload: a session, a Delta write and read, an Arrow exchange with Python, a shuffle.
SESSION_WORKLOAD = """
import sys
sys.path.insert(0, {lib!r})
import pyarrow as pa
from corpussieve.config import build_config
from corpussieve.session import build_session
from corpussieve.tables import Tables
config = build_config([{local!r}, sys.argv[1]])
spark = build_session(config.spark, app_name="class-archive-workload")
tables = Tables(spark, config.tables)
frame = spark.range(1000).selectExpr("cast(id as string) as id", "repeat('word ', cast(id % 50 as int)) as text")
tables.write(frame, sys.argv[2], mode="overwrite")
def lengths(batches):
    for batch in batches:
        yield pa.RecordBatch.from_pydict({{"n": pa.compute.utf8_length(batch.column("text"))}})
tables.read(sys.argv[2]).mapInArrow(lengths, "n int").groupBy("n").count().collect()
spark.stop()
"""


def say(message: str) -> None:
    print(f"class archive: {message}", flush=True)


def current_delta_jars() -> list[str]:
    try:
        return deltajars.locate("auto")[0]
    except deltajars.DeltaJarsError:
        return []


def run_tracking_jvms(cmd: list[str], timeout: float, log_path: Path) -> int:
    """Run ``cmd`` and wait for it and for every JVM it started: the archive is written as the JVM exits,
    which may be after the Python driver that launched it has gone."""
    import psutil

    with open(log_path, "wb") as log:
        child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        seen: dict[int, psutil.Process] = {}
        deadline = time.monotonic() + timeout
        while child.poll() is None:
            with contextlib.suppress(psutil.Error):  # the child may exit between poll() and the listing
                for proc in psutil.Process(child.pid).children(recursive=True):
                    seen.setdefault(proc.pid, proc)
            if time.monotonic() > deadline:
                child.kill()
                break
            time.sleep(0.2)
        child.wait()
        psutil.wait_procs(list(seen.values()), timeout=max(10.0, deadline - time.monotonic()))
    return child.returncode


def probe(sets: list[str]) -> float | None:
    code = START_PROBE.format(lib=str(REPO / "lib"), local=str(REPO / "conf" / "local.yaml"))
    done = subprocess.run([sys.executable, "-c", code, *sets], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        return None
    return float(done.stdout.strip().splitlines()[0])


def build(folder: Path, workload: str, docs: int, timeout: float, force: bool) -> int:
    if classarchive.java_binary() is None:
        say("skipped: no java found (jobs start without one)")
        return 0
    jars = current_delta_jars()
    identity = classarchive.fingerprint(jars)
    found = classarchive.locate("auto", jars, folder)
    if found.path and not force:
        say(f"present: {found.path}")
        return 0
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.partial*"):
        stale.unlink(missing_ok=True)
    staged = folder / f"{classarchive.key(identity)}.jsa.partial-{os.getpid()}"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="class-archive-") as tmp:
        profile = Path(tmp) / "dump.yaml"
        profile.write_text(json.dumps({"spark": {"class_archive": "none", "conf": {
            "spark.driver.extraJavaOptions": classarchive.DUMP_OPTION.format(path=staged)}}}))
        if workload == "demo":
            cmd = [sys.executable, str(REPO / "scripts" / "demo.py"), "--docs", str(docs),
                   "--output", str(Path(tmp) / "demo"), "--conf", str(profile)]
        else:
            code = SESSION_WORKLOAD.format(lib=str(REPO / "lib"), local=str(REPO / "conf" / "local.yaml"))
            cmd = [sys.executable, "-c", code, str(profile), str(Path(tmp) / "table")]
        log_path = folder / "build.log"
        say(f"running the {workload} workload to record the classes it loads (log: {log_path})")
        code = run_tracking_jvms(cmd, timeout, log_path)
        if code != 0 or not staged.is_file() or staged.stat().st_size == 0:
            staged.unlink(missing_ok=True)
            say(f"not built: the workload exited with {code} (see {log_path}); jobs start without one")
            return 0
    built_seconds = time.perf_counter() - started
    with_archive = probe(["spark.class_archive=" + str(staged),
                          "spark.conf={spark.driver.extraJavaOptions: -Xshare:on}"])
    if with_archive is None:
        staged.unlink(missing_ok=True)
        say("not built: a new JVM could not map the archive; jobs start without one")
        return 0
    without = probe(["spark.class_archive=none"])
    target = classarchive.publish(staged, folder, identity, {
        "workload": f"{workload}" + (f" --docs {docs}" if workload == "demo" else ""),
        "built": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(built_seconds, 1),
        "start_seconds_with": with_archive, "start_seconds_without": without,
    })
    say(f"{target} ({target.stat().st_size / 2**20:.0f} MiB, {built_seconds:.0f} s): session start and first job "
        f"{with_archive:.1f} s with it, {without if without is None else round(without, 1)} s without")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=classarchive.default_dir(),
                        help="where the archive goes (default: %(default)s)")
    parser.add_argument("--workload", choices=["session", "demo"], default="session",
                        help="what the recording JVM runs: a session with one Delta write and read and an Arrow "
                             "exchange (about 1 min), or the whole demo pipeline (about 3 min; measured no faster "
                             "for dedup at 50k documents: 38.8-43.0 s against 40.0-42.1 s, alternated)")
    parser.add_argument("--docs", type=int, default=100, help="documents of the demo workload")
    parser.add_argument("--timeout", type=float, default=900, help="seconds the workload may take")
    parser.add_argument("--force", action="store_true", help="build again even if one is in place")
    parser.add_argument("--check", action="store_true", help="only report whether an archive is in place")
    args = parser.parse_args()
    if args.check:
        found = classarchive.locate("auto", current_delta_jars(), args.dir)
        say(f"present: {found.path}" if found.path else f"absent: {found.reason}")
        return 0
    return build(args.dir, args.workload, args.docs, args.timeout, args.force)


if __name__ == "__main__":
    raise SystemExit(main())
