"""The lake's names, its lock, and the refresh log's pure helpers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from corpussieve.config import build_config
from corpussieve.errors import ConcurrentWriteError, ConfigError
from corpussieve.refresh.config import LakeTableNames
from corpussieve.refresh.lake import Lake, LakeLock
from corpussieve.refresh.report import render_html, report_sections
from corpussieve.refresh.stages import last_consumed, refreshed_batches


def test_table_names_are_plain_distinct_folders():
    assert build_config(sets=["refresh.tables.documents=curated"]).refresh.tables.documents == "curated"
    with pytest.raises(ConfigError, match="refresh.tables.raw"):
        build_config(sets=["refresh.tables.raw=../elsewhere"])
    with pytest.raises(ConfigError, match="share the folder 'raw'"):
        build_config(sets=["refresh.tables.documents=raw"])
    with pytest.raises(ConfigError, match="share the folder 'raw_rejected'"):
        build_config(sets=["refresh.tables.rejected=raw_rejected"])


def test_lake_paths_and_transaction_ids(tmp_path):
    lake = Lake(str(tmp_path / "lake"), LakeTableNames(documents="curated"))
    assert lake.path("documents").endswith("/lake/curated")
    assert lake.path("raw_rejected").endswith("/lake/raw_rejected")
    other = Lake(str(tmp_path / "other"), LakeTableNames())
    assert lake.app_id("dedup") != other.app_id("dedup") and lake.app_id("dedup") != lake.app_id("clean")
    assert lake.app_id("dedup") == Lake(str(tmp_path / "lake"), LakeTableNames()).app_id("dedup")


def test_a_live_lock_is_an_error_naming_its_holder(tmp_path):
    lake = Lake(str(tmp_path), LakeTableNames())
    with LakeLock(lake, "run-a", "refresh", 24.0):
        with pytest.raises(ConcurrentWriteError, match="is busy: refresh \\(run run-a") as info:
            LakeLock(lake, "run-b", "forget", 24.0).acquire()
        assert "nothing was committed" in str(info.value)
    assert not os.path.exists(lake.lock_path)  # released
    LakeLock(lake, "run-c", "refresh", 24.0).acquire()  # free again


def test_a_dead_processes_lock_is_taken_over(tmp_path):
    lake = Lake(str(tmp_path), LakeTableNames())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with open(lake.lock_path, "w") as handle:
        json.dump({"host": socket.gethostname(), "pid": int(dead.stdout), "run_id": "killed", "command": "refresh",
                   "started": "2026-01-01T00:00:00+00:00"}, handle)
    with LakeLock(lake, "rerun", "refresh", 24.0) as lock:
        assert lock.held and json.load(open(lake.lock_path))["run_id"] == "rerun"


def test_another_hosts_lock_is_taken_over_only_when_stale(tmp_path):
    lake = Lake(str(tmp_path), LakeTableNames())
    import datetime as dt

    def hold(hours_ago):
        started = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours_ago)).isoformat()
        with open(lake.lock_path, "w") as handle:
            json.dump({"host": "elsewhere", "pid": 1, "run_id": "x", "command": "refresh", "started": started}, handle)

    hold(1)
    with pytest.raises(ConcurrentWriteError):
        LakeLock(lake, "r", "refresh", 24.0).acquire()
    hold(30)
    LakeLock(lake, "r", "refresh", 24.0).acquire()


def log(refresh, step, **kw):
    return {"refresh": refresh, "step": step, "finished_at": "t", "details": {}, **kw}


def test_the_log_says_what_was_consumed_and_refreshed():
    rows = [log(0, "ingest"), log(0, "dedup", input_to_version=0), log(0, "clean"), log(-1, "forget"),
            log(1, "ingest"), log(1, "dedup", input_to_version=3), log(2, "ingest")]
    assert refreshed_batches(rows) == [0, 1]
    assert last_consumed(rows) == 3
    assert last_consumed([]) is None and refreshed_batches([]) == []


def test_the_report_renders_history_and_trend():
    rows = [log(0, "dedup", rows_in=10, rows_out=8), log(0, "clean", rows_out=7, details={"rejected": 1}),
            log(0, "repetition", details={"repeated_token_fraction": 0.05, "grade": "Low"}),
            log(1, "dedup", rows_in=5, rows_out=3), log(1, "clean", rows_out=3, details={"rejected": 0}),
            log(1, "repetition", details={"repeated_token_fraction": 0.07, "grade": "Elevated"})]
    sections = report_sections(1, rows[3:], rows)
    assert [h["refresh"] for h in sections["lake_history"]] == [0, 1]
    assert sections["repetition_trend"] == [{"refresh": 0, "repeated_token_fraction": 0.05, "grade": "Low"},
                                            {"refresh": 1, "repeated_token_fraction": 0.07, "grade": "Elevated"}]
    html = render_html({"summary": {"lake": "L", "refresh": 1, "pages_not_cleaned": 2}, "run_id": "r",
                        "stages": [], **sections})
    assert "Repetition across refreshes" in html and "Elevated" in html and "2 duplicate pages" in html
