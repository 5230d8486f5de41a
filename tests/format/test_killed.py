"""A format run killed right after its manifest commit (``CORPUSSIEVE_FAILPOINT=after_commit:1``, the process
ends as ``kill -9`` ends it) leaves a manifest naming only complete shards; its rerun commits nothing, rewrites
no shard and writes the report; a third run does nothing. On delta-rs, with the word tokenizer (int64 shards)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from corpussieve.cli import main
from corpussieve.failpoints import ENV, KILLED_EXIT_CODE
from tests.format.conftest import read_megatron

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.timeout(900)]

QUICK = ["--set", "spark.jit=quick", "--set", "spark.shuffle_partitions=4", "--set", "spark.ui=false",
         "--log-level", "WARNING"]


def shard_files(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in (out / "shards").rglob("*") if p.is_file()}


def test_a_run_killed_after_its_commit_is_completed_by_its_rerun_without_rewriting(spark, tmp_path, capsys):
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(40)]
    table = tmp_path / "docs"
    write_deltalake(str(table), pa.table({
        "id": [f"d{i:03d}" for i in range(200)],
        "text": [" ".join(rng.choice(words, int(rng.integers(5, 60)))) for _ in range(200)],
        "source": ["a" if i % 3 else "b" for i in range(200)]}))
    (tmp_path / "plan.yaml").write_text("model_params: 1.0e8\ndefault_epochs: 1.5\n")
    out = tmp_path / "out"
    argv = ["format", "--input", str(table), "--output", str(out), "--plan", str(tmp_path / "plan.yaml"),
            "--tokenizer", "word", "--set", "format.shard_tokens=2000", "--set", "tables.backend=delta-rs"]

    env = dict(os.environ, **{ENV: "after_commit:1"}, PYSPARK_PYTHON=sys.executable)
    proc = subprocess.run([sys.executable, "-m", "corpussieve", *argv, *QUICK], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == KILLED_EXIT_CODE, proc.stderr[-3000:]
    assert DeltaTable(str(out / "manifest")).version() == 0 and not (out / "report.json").exists()
    rows = DeltaTable(str(out / "manifest")).to_pyarrow_table().to_pylist()
    assert len(rows) >= 2
    for row in rows:  # every shard the manifest names is there, whole
        assert hashlib.sha256((out / row["files"][0]).read_bytes()).hexdigest() == row["sha256"]
        dtype, docs = read_megatron(out / row["path"])
        assert dtype == np.dtype("<i8") and len(docs) == row["documents"]
        assert all(d[-1] == 2**32 for d in docs)
    before = shard_files(out)

    capsys.readouterr()
    assert main(argv, spark=spark) == 0  # the rerun: the report, nothing committed, nothing rewritten
    summary = json.loads(capsys.readouterr().out)
    assert summary["shards"] == len(rows) and "already_complete" not in summary
    assert DeltaTable(str(out / "manifest")).version() == 0
    assert shard_files(out) == before
    report = json.loads((out / "report.json").read_text())
    assert report["stream"]["files_moved"] == 0 and report["outputs"][0]["committed"] is False
    assert not (out / "_staging").exists()

    assert main(argv, spark=spark) == 0  # complete: nothing to do
    assert json.loads(capsys.readouterr().out)["already_complete"] is True
    assert DeltaTable(str(out / "manifest")).version() == 0 and shard_files(out) == before
