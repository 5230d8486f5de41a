"""A run killed between two commits is completed by its rerun, on both backends, for every job.

Each case runs the job once uninterrupted (the reference), then, for every N from 1 to the number of
commits the job makes (on delta-spark N = 1 only, see ``DELTA_SPARK_KILL_AFTER``), kills a fresh run right
after its N-th commit (``CORPUSSIEVE_FAILPOINT``: the process ends as ``kill -9`` would end it, exit code
137), checks what it left behind, reruns the same command and compares every output table with the
reference: same rows, nothing doubled, nothing missing.
A third run of the completed command commits nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

from corpussieve.cli import main
from corpussieve.failpoints import ENV, KILLED_EXIT_CODE

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.timeout(1800)]

#: The kill points delta-spark runs. The resume logic is the same on both backends; what is the backend's own
#: is how a committed table is recognized (the transaction marker its writer leaves), which killing after the
#: first commit exercises on the rerun (one table committed, the others not) and on the third run (all
#: committed). Every N costs a JVM start in a subprocess: delta-rs runs them all.
DELTA_SPARK_KILL_AFTER = (1,)

QUICK = ["--set", "spark.jit=quick", "--set", "spark.shuffle_partitions=4", "--set", "spark.ui=false",
         "--log-level", "WARNING"]


def _rows(path: Path) -> list[str]:
    """Every row of a table as canonical JSON, sorted: equal lists mean equal tables, duplicates included."""
    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in sorted(value.items())}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, (bytes, bytearray)):
            return value.hex()
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        return value

    table = DeltaTable(str(path)).to_pyarrow_table()
    table = table.select(sorted(table.column_names))
    return sorted(json.dumps(plain(r), sort_keys=True) for r in table.to_pylist())


def _versions(paths: list[Path]) -> dict[str, int | None]:
    return {str(p): DeltaTable(str(p)).version() if DeltaTable.is_deltatable(str(p)) else None for p in paths}


@pytest.fixture(scope="module")
def inputs(spark, tmp_path_factory):
    """A small generated corpus as tables: the whole raw table, two batches of it, and an index of batch 1."""
    from pyspark.sql import functions as F

    from corpussieve.config import TablesConfig
    from corpussieve.tables import Tables

    root = tmp_path_factory.mktemp("killed-inputs")
    data = root / "data"
    assert main(["generate", "--output", str(data), "--docs", "120", "--shards", "1", "--workers", "1",
                 "--junk-fraction", "0.1", "--log-level", "WARNING"]) == 0
    raw = root / "raw"
    assert main(["ingest", "--input", str(data), "--output", str(raw), "--set", "tables.backend=delta-rs"],
                spark=spark) == 0
    tables = Tables(spark, TablesConfig(backend="delta-rs"))
    df = tables.read(str(raw))
    half = F.abs(F.hash("id")) % 2 == 0
    tables.write(df.filter(half), str(root / "batch1"), mode="overwrite")
    tables.write(df.filter(~half), str(root / "batch2"), mode="overwrite")
    assert main(["dedup", "--input", str(root / "batch1"), "--output", str(root / "dedup1"),
                 "--index", str(root / "index0"), "--set", "tables.backend=delta-rs"], spark=spark) == 0
    # three records for ingest, one of them bad: the case that once lost its rejected row on a rerun
    records = root / "records"
    records.mkdir()
    (records / "part.jsonl").write_text(
        "\n".join(json.dumps(r) for r in [{"id": "a", "text": "first good record " * 5},
                                          {"id": "b", "text": "second good record " * 5},
                                          {"id": "c", "text": 12345}]) + "\n")
    return root


# job -> (arguments in a work folder W, the output tables, what W must hold before the run)
CASES = {
    "ingest": (lambda root, w: ["ingest", "--input", str(root / "records"), "--output", str(w / "t"),
                                "--batch-id", "7"],
               lambda w: [w / "t", w / "t_rejected"], None),
    "dedup": (lambda root, w: ["dedup", "--input", str(root / "batch2"), "--output", str(w / "dedup"),
                               "--index", str(w / "index")],
              lambda w: [w / "dedup" / "documents", w / "dedup" / "clusters", w / "index"],
              lambda root, w: shutil.copytree(root / "index0", w / "index")),
    "clean": (lambda root, w: ["clean", "--input", str(root / "raw"), "--output", str(w / "clean")],
              lambda w: [w / "clean" / "documents", w / "clean" / "rejected"], None),
    "repetition": (lambda root, w: ["repetition", "--input", str(root / "raw"), "--output", str(w / "rep"),
                                    "--tokenizer", "word", "--span-tokens", "12"],
                   lambda w: [w / "rep" / "documents", w / "rep" / "spans"], None),
    "decontaminate": (lambda root, w: ["decontaminate", "--input", str(root / "raw"), "--benchmarks",
                                       str(w / "bench.jsonl"), "--output", str(w / "decon"), "--mode", "cut",
                                       "--set", "decontaminate.cut_margin_chars=20",
                                       "--set", "decontaminate.min_piece_chars=20"],
                      lambda w: [w / "decon" / "documents", w / "decon" / "contaminated"],
                      lambda root, w: _benchmark_of_raw_texts(root, w / "bench.jsonl")),
}


def _benchmark_of_raw_texts(root: Path, path: Path) -> None:
    """A benchmark whose items are the middle sentences of every fifth raw text: those documents get cut."""
    rows = sorted(DeltaTable(str(root / "raw")).to_pyarrow_table().select(["id", "text"]).to_pylist(),
                  key=lambda r: r["id"])
    items = [{"id": r["id"], "text": r["text"][len(r["text"]) // 3: 2 * len(r["text"]) // 3]}
             for r in rows[::5] if r["text"] and len(r["text"].split()) > 60]
    assert items
    path.write_text("".join(json.dumps(i) + "\n" for i in items))


def _prepared(root: Path, job: str, name: str) -> Path:
    work = root / f"{job}-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    setup = CASES[job][2]
    if setup:
        setup(root, work)
    return work


@pytest.mark.parametrize("job", list(CASES))
def test_a_run_killed_after_any_commit_is_completed_by_its_rerun(spark, inputs, backend, job):
    argv, outputs, _ = CASES[job]
    chosen = ["--set", f"tables.backend={backend}"]

    reference = _prepared(inputs, job, f"{backend}-reference")
    assert main([*argv(inputs, reference), *chosen], spark=spark) == 0
    expected = [_rows(p) for p in outputs(reference)]
    assert all(expected), "every output of the reference run holds rows"
    commits = len(outputs(reference))

    for n in DELTA_SPARK_KILL_AFTER if backend == "delta-spark" else range(1, commits + 1):
        work = _prepared(inputs, job, f"{backend}-killed-{n}")
        before = _versions(outputs(work))
        env = dict(os.environ, **{ENV: f"after_commit:{n}"}, PYSPARK_PYTHON=sys.executable)
        proc = subprocess.run([sys.executable, "-m", "corpussieve", *argv(inputs, work), *chosen, *QUICK],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == KILLED_EXIT_CODE, proc.stderr[-3000:]
        left = _versions(outputs(work))
        changed = [p for p in left if left[p] != before[p]]
        assert changed == [str(p) for p in outputs(work)[:n]], f"after commit {n}: {changed}"

        assert main([*argv(inputs, work), *chosen], spark=spark) == 0  # the rerun completes it
        assert [_rows(p) for p in outputs(work)] == expected, f"{job} on {backend}, killed after commit {n}"
        done = _versions(outputs(work))
        assert main([*argv(inputs, work), *chosen], spark=spark) == 0  # a complete run: nothing to do
        assert _versions(outputs(work)) == done


def test_the_rerun_of_an_interrupted_ingest_records_the_bad_record(spark, inputs, backend, capsys):
    """Regression: the table committed, the rejected table not; the rerun once rejected a and b as already in
    the table and lost c."""
    work = _prepared(inputs, "ingest", f"{backend}-regression")
    argv = CASES["ingest"][0](inputs, work)
    env = dict(os.environ, **{ENV: "after_commit:1"}, PYSPARK_PYTHON=sys.executable)
    proc = subprocess.run([sys.executable, "-m", "corpussieve", *argv, "--set", f"tables.backend={backend}", *QUICK],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == KILLED_EXIT_CODE, proc.stderr[-3000:]
    assert not DeltaTable.is_deltatable(str(work / "t_rejected"))
    capsys.readouterr()
    assert main([*argv, "--set", f"tables.backend={backend}"], spark=spark) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["completed_interrupted_run"]["committed_now"] == [str(work / "t_rejected")]
    kept = DeltaTable(str(work / "t")).to_pyarrow_table().to_pydict()
    rejected = DeltaTable(str(work / "t_rejected")).to_pyarrow_table().to_pydict()
    assert sorted(kept["id"]) == ["a", "b"]
    assert rejected["reject_reason"] == ["ingest:bad_field_type"] and rejected["record_index"] == [2]  # c, line 3
    assert rejected["reject_reasons"] == [["ingest:bad_field_type"]]
