"""spark-submit through scripts/submit.sh to a real standalone cluster: a master and one worker on 127.0.0.1.

One cluster for every submit (starting it costs more than a job): ingest's job alone, then two refreshes of a
lake through jobs/refresh.py (ingest, dedup against the lake's index and clean, on the cluster's executors),
then the repetition job over the refreshed lake. dedup's and clean's own entries are the same thin wrapper
(tests/foundation/test_entries.py checks every entry) over the code the refresh runs here; the reruns of
complete and killed commands are tested in local mode (tests/e2e/test_refresh_killed.py)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from deltalake import DeltaTable

REPO = Path(__file__).resolve().parents[2]
# Seven submits took 579 s on delta-spark on a quiet 2-core machine (ingest 27, dedup 59, clean 74, repetition
# 57, refresh 104, 206 and 40 s); these four with SUBMIT_CONF 245 s in all. 1800 s leaves room for a loaded machine.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

#: Submit options every job here shares. A 60-document lake on a 2-core worker: 4 shuffle partitions (Spark's
#: default is 200) and Delta's table state rebuilt in 2 tasks (its default is 50, sized for large logs). The
#: local-mode sessions set both themselves (corpussieve.session); on a cluster they are the user's to set.
SUBMIT_CONF = ["--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=1g",
               "--conf", "spark.sql.shuffle.partitions=4", "--conf", "spark.databricks.delta.snapshotPartitions=2"]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spark_home():
    import pyspark

    return os.path.dirname(pyspark.__file__)


def _start(args, log_path, env):
    log = open(log_path, "wb")
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_for_worker(ui_port, deadline):
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as resp:
                state = json.load(resp)
            if state.get("aliveworkers", 0) >= 1:
                return state
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError("the standalone worker did not register with the master in time")


def _delta_submit_options():
    """What a user's cluster submit adds for delta-spark: the jars and Delta's SQL extension and catalog.
    Empty when this machine has no jars (make setup could not reach Maven Central): the jobs then run on
    delta-rs."""
    from corpussieve import deltajars

    if not deltajars.available():
        return [], "delta-rs"
    jars = deltajars.locate("auto")[0]
    return ["--jars", ",".join(jars),
            "--conf", f"spark.sql.extensions={deltajars.DELTA_EXTENSION_CLASS}",
            "--conf", f"spark.sql.catalog.spark_catalog={deltajars.DELTA_CATALOG_CLASS}"], "delta-spark"


def _assert_backend(proc, job, backend, log_dir, name=None):
    """The job logged the table backend it ran on (its output is kept in ``log_dir``/NAME.log, NAME the job's by
    default). spark-submit's PythonRunner merges the driver's Python stderr, where corpussieve logs, into the
    JVM's stdout: look at both streams."""
    output = proc.stdout + proc.stderr
    (log_dir / f"{name or job}.log").write_text(output)
    assert re.search(rf"\b{job}: run \S+ started \(table backend {backend}\)", output), f"{job}: {output[-4000:]}"


def test_the_pipeline_runs_on_a_standalone_cluster(tmp_path):
    delta_opts, backend = _delta_submit_options()
    home = _spark_home()
    spark_class = os.path.join(home, "bin", "spark-class")
    env = dict(os.environ, SPARK_HOME=home, PYSPARK_PYTHON=sys.executable, PYTHON=sys.executable,
               SPARK_LOG_DIR=str(tmp_path / "logs"), SPARK_WORKER_DIR=str(tmp_path / "work"))
    master_port, master_ui, worker_ui = _free_port(), _free_port(), _free_port()
    master = _start([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                     "--port", str(master_port), "--webui-port", str(master_ui)], tmp_path / "master.log", env)
    worker = None
    try:
        time.sleep(2)
        worker = _start([spark_class, "org.apache.spark.deploy.worker.Worker", f"spark://127.0.0.1:{master_port}",
                         "--host", "127.0.0.1", "--cores", "2", "--memory", "2g", "--webui-port", str(worker_ui),
                         "--work-dir", str(tmp_path / "work")], tmp_path / "worker.log", env)
        _wait_for_worker(master_ui, time.time() + 120)

        data = tmp_path / "data"
        subprocess.run([sys.executable, "-m", "corpussieve", "generate", "--output", str(data), "--docs", "60",
                        "--shards", "2", "--workers", "1", "--junk-fraction", "0"], check=True, env=env, cwd=REPO, capture_output=True)
        table = tmp_path / "lake" / "raw"
        proc = subprocess.run(
            ["bash", str(REPO / "scripts" / "submit.sh"), "--master", f"spark://127.0.0.1:{master_port}",
             *SUBMIT_CONF, *delta_opts,
             "--", "ingest", "--input", str(data), "--output", str(table)],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=480,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert f"spark://127.0.0.1:{master_port}" in proc.stderr
        _assert_backend(proc, "ingest", backend, tmp_path)
        summary = json.loads(proc.stdout[proc.stdout.index("{"):])
        assert summary["documents"] == 60
        rows = DeltaTable(str(table)).to_pyarrow_table()
        assert rows.num_rows == 60 and len(set(rows.column("id").to_pylist())) == 60
        engine = DeltaTable(str(table)).history(1)[0].get("engineInfo") or ""
        assert ("Delta-Lake/" in engine) == (backend == "delta-spark"), engine

        lake = _refresh_a_lake_twice(tmp_path, data, master_port, delta_opts, backend, env)

        # the repetition job over what the refreshes curated
        proc = subprocess.run(
            ["bash", str(REPO / "scripts" / "submit.sh"), "--master", f"spark://127.0.0.1:{master_port}",
             *SUBMIT_CONF, *delta_opts,
             "--", "repetition", "--input", str(lake / "documents"), "--output", str(tmp_path / "repetition")],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=480,
        )
        assert proc.returncode == 0, f"repetition: {proc.stderr[-4000:]}"
        _assert_backend(proc, "repetition", backend, tmp_path)
        report = json.loads((tmp_path / "repetition" / "report.json").read_text())
        documents = DeltaTable(str(lake / "documents")).to_pyarrow_table().num_rows
        assert report["documents_total"] == documents > 0 and report["tokens_total"] > 0

        state = json.load(urllib.request.urlopen(f"http://127.0.0.1:{master_ui}/json/", timeout=5))
        names = {app["name"] for app in state.get("completedapps", [])}
        assert {f"corpussieve-{job}" for job in ("ingest", "refresh", "repetition")} <= names, names
    finally:
        if worker is not None:
            _stop(worker)
        _stop(master)
    assert master.poll() is not None and (worker is None or worker.poll() is not None)


LAKE_TABLES = ("raw", "raw_rejected", "index", "removed", "documents", "rejected", "site_lines", "paragraphs",
               "refresh_log")


def _lake_versions(lake):
    return {t: DeltaTable(str(lake / t)).version() for t in LAKE_TABLES}


def _refresh_a_lake_twice(tmp_path, batch0, master_port, delta_opts, backend, env):
    """jobs/refresh.py on the running cluster: batch 0 (the generated data ingest's job took), then batch 1
    (fresh documents and exact and near copies of batch 0's). Every raw document ends up in exactly one of
    documents, rejected and removed; every table was committed by the backend the jobs logged. The lake."""
    from corpussieve.sample.batches import write_next_batch

    batch1 = tmp_path / "batch1"
    made = write_next_batch(str(batch0), str(batch1), docs=40, seed=5, prefix="b1", copies=0.25)
    assert any(c["exact"] for c in made["copies"]) and not all(c["exact"] for c in made["copies"])
    lake = tmp_path / "refresh-lake"

    def refresh(batch, name):
        proc = subprocess.run(
            ["bash", str(REPO / "scripts" / "submit.sh"), "--master", f"spark://127.0.0.1:{master_port}",
             *SUBMIT_CONF, *delta_opts,
             "--", "refresh", "--lake", str(lake), "--input", str(batch)],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=480,
        )
        # the driver's Python stderr (corpussieve's log and errors) arrives in the JVM's stdout
        assert proc.returncode == 0, f"{name}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        _assert_backend(proc, "refresh", backend, tmp_path, name)
        return json.loads(proc.stdout[proc.stdout.index("{"):])

    first = refresh(batch0, "refresh-0")
    assert first["refresh"] == 0 and first["new_rows"] == 60
    second = refresh(batch1, "refresh-1")
    assert second["refresh"] == 1 and second["new_rows"] == made["docs"] and second["removed_against_index"] > 0
    assert all(v is not None for v in _lake_versions(lake).values())
    assert not (lake / "_refresh.lock").exists()

    log = DeltaTable(str(lake / "refresh_log")).to_pyarrow_table().to_pydict()
    assert sorted(zip(log["refresh"], log["step"])) == [(0, "clean"), (0, "dedup"), (0, "ingest"),
                                                       (1, "clean"), (1, "dedup"), (1, "ingest")]
    batch0_ids = set(DeltaTable(str(lake / "raw"), version=0).to_pyarrow_table().column("id").to_pylist())
    assert len(batch0_ids) == 60
    removed = DeltaTable(str(lake / "removed")).to_pyarrow_table().to_pylist()
    against_batch0 = [r for r in removed if r["refresh"] == 1 and r["duplicate_of"] in batch0_ids]
    assert all(r["id"].startswith("b1-") for r in against_batch0), against_batch0
    exact_copies = {c["id"] for c in made["copies"] if c["exact"]}
    assert exact_copies <= {r["id"] for r in against_batch0}, "an exact copy of a batch 0 document was kept"

    raw_ids = DeltaTable(str(lake / "raw")).to_pyarrow_table().column("id").to_pylist()
    assert len(raw_ids) == 60 + made["docs"] and len(set(raw_ids)) == len(raw_ids)
    placed = [i for t in ("documents", "rejected", "removed")
              for i in DeltaTable(str(lake / t)).to_pyarrow_table().column("id").to_pylist()]
    assert len(placed) == len(set(placed)), "a document is in two of documents, rejected and removed"
    assert sorted(placed) == sorted(raw_ids)
    # Spark's Delta writer committed them (delta-spark), or delta-rs
    for table in ("raw", "index", "documents", "refresh_log"):
        engine = DeltaTable(str(lake / table)).history(1)[0].get("engineInfo") or ""
        assert ("Delta-Lake/" in engine) == (backend == "delta-spark"), (table, engine)
    return lake
