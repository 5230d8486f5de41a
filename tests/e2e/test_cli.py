"""The command line as a user meets it: exit codes and one-line errors, the console entry point, history."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "corpussieve", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_missing_input_names_the_path(tmp_path):
    proc = _cli("ingest", "--input", str(tmp_path / "nope"), "--output", str(tmp_path / "t"),
                "--set", "spark.ui=false")
    assert proc.returncode == 3
    assert f"table {tmp_path / 'nope'}: input path does not exist" in proc.stderr


def test_generate_ingest_history_round_trip(tmp_path):
    assert _cli("generate", "--output", str(tmp_path / "raw"), "--docs", "30", "--workers", "1").returncode == 0
    table = tmp_path / "lake" / "raw"
    proc = _cli("ingest", "--input", str(tmp_path / "raw"), "--output", str(table), "--conf",
                str(REPO / "conf" / "local.yaml"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["documents"] == 30 and summary["version"] == 0
    assert "stage read: done" in proc.stderr and "stage write: done" in proc.stderr
    report = json.loads(Path(summary["report"]).read_text())
    assert [s["name"] for s in report["stages"]] == ["read", "normalize", "write", "report"]
    assert Path(summary["report"]).with_suffix(".html").is_file()
    history = _cli("history", str(table), "--conf", str(REPO / "conf" / "local.yaml"))
    entries = [json.loads(line) for line in history.stdout.splitlines()]
    assert [e["version"] for e in entries] == [0] and entries[0]["corpussieve"]["job"] == "ingest"
