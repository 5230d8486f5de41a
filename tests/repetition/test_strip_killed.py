"""A ``repetition --strip`` run killed after its second commit (documents and spans landed, the stripped table
not) or its third (every table landed, no report) is completed by its rerun: the stripped table equals an
uninterrupted run's, nothing is committed twice, and a third run does nothing. On delta-rs (the killed-runs
suite covers the job's other outputs on both backends)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from deltalake import DeltaTable

from corpussieve.cli import main
from corpussieve.failpoints import ENV, KILLED_EXIT_CODE
from tests.repetition.test_strip_job import corpus, write_table

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.spark, pytest.mark.timeout(1800)]

QUICK = ["--set", "spark.jit=quick", "--set", "spark.shuffle_partitions=4", "--set", "spark.ui=false",
         "--log-level", "WARNING"]


def rows(path: Path) -> list[str]:
    table = DeltaTable(str(path)).to_pyarrow_table()
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())


def test_a_strip_run_killed_after_a_commit_is_completed_by_its_rerun(spark, tmp_path, capsys):
    ids, texts, sources, fetch = corpus(np.random.default_rng(21))
    table = write_table(tmp_path / "in", ids, texts, sources, fetch)

    def argv(out: Path) -> list[str]:
        return ["repetition", "--input", str(table), "--output", str(out), "--tokenizer", "word",
                "--span-tokens", "8", "--strip", "2", "--set", "tables.backend=delta-rs"]

    reference = tmp_path / "reference"
    assert main(argv(reference), spark=spark) == 0
    expected = rows(reference / "stripped")
    assert any('"tokens_removed": 0' not in r for r in expected)

    for n in (2, 3):
        out = tmp_path / f"killed-{n}"
        env = dict(os.environ, **{ENV: f"after_commit:{n}"}, PYSPARK_PYTHON=sys.executable)
        proc = subprocess.run([sys.executable, "-m", "corpussieve", *argv(out), *QUICK], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == KILLED_EXIT_CODE, proc.stderr[-3000:]
        assert DeltaTable.is_deltatable(str(out / "stripped")) == (n == 3)
        assert not (out / "report.json").exists()

        capsys.readouterr()
        assert main(argv(out), spark=spark) == 0  # the rerun completes the run
        summary = json.loads(capsys.readouterr().out)
        assert summary["tokens_removed"] > 0
        assert rows(out / "stripped") == expected
        versions = {name: DeltaTable(str(out / name)).version() for name in ("documents", "spans", "stripped")}
        assert versions == {"documents": 0, "spans": 0, "stripped": 0}  # nothing committed twice

        assert main(argv(out), spark=spark) == 0  # complete: nothing to do
        assert json.loads(capsys.readouterr().out)["already_complete"] is True
        assert {name: DeltaTable(str(out / name)).version() for name in versions} == versions
