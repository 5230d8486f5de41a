"""The bookkeeping kit every job uses: counters that merge, worker column totals, and one ending."""

from __future__ import annotations

import json
import random

import pytest

from corpussieve.runlog import Counters, JobRun


def test_counters_total_equals_a_brute_force_sum():
    rng = random.Random(3)
    parts = [{f"k{rng.randrange(5)}": rng.choice([rng.randrange(100), rng.random()]) for _ in range(4)}
             for _ in range(50)]
    expected: dict[str, float] = {}
    for part in parts:
        for name, value in part.items():
            expected[name] = expected.get(name, 0) + value
    total = Counters.total(parts)
    assert set(total) == set(expected)
    for name in expected:
        assert total[name] == pytest.approx(expected[name])
    # merging is associative: two halves merged give the same totals
    halves = Counters.total(parts[:20]).merge(Counters.total(parts[20:]))
    assert halves == pytest.approx(total)


def test_counters_add_and_ignore_missing_values():
    c = Counters().add("docs").add("docs", 2).merge({"docs": None, "bytes": 10})
    assert c == {"docs": 3, "bytes": 10}


def test_finish_writes_the_report_and_its_html_and_returns_the_summary(tmp_path):
    run = JobRun("demo", config={"x": 1})
    with run.stage("read") as st:
        st.rows_out = 5
    with run.stage("report"):
        pass
    summary = run.finish({"documents": 5}, str(tmp_path / "out" / "report.json"),
                         lambda report: f"<html>{report['summary']['documents']}</html>", extra={"a": 1})
    assert summary["documents"] == 5 and summary["seconds"] >= 0
    assert summary["report"] == str(tmp_path / "out" / "report.json")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["job"] == "demo" and report["summary"] == summary and report["extra"] == {"a": 1}
    assert [s["name"] for s in report["stages"]] == ["read", "report"]
    assert report["stages"][0]["rows_out"] == 5
    assert report["config"] == {"x": 1}
    assert (tmp_path / "out" / "report.html").read_text() == "<html>5</html>"


def test_finish_without_html_writes_only_json(tmp_path):
    JobRun("demo").finish({}, str(tmp_path / "r.json"))
    assert (tmp_path / "r.json").exists() and not list(tmp_path.glob("*.html"))


@pytest.mark.spark
def test_worker_totals_sums_bookkeeping_columns_in_one_pass(spark):
    from pyspark.sql import functions as F

    from corpussieve.runlog import worker_totals

    rows = [(i, float(i) / 10, i % 3 if i % 4 else None, f"t{i}") for i in range(40)]
    df = spark.createDataFrame(rows, "id long, __sec_prepare double, __n_lines long, text string")
    totals = worker_totals(df, extra=[F.max("id").alias("max_id")])
    assert totals["rows"] == 40
    assert totals["sec_prepare"] == pytest.approx(sum(r[1] for r in rows))
    assert totals["n_lines"] == sum(r[2] for r in rows if r[2] is not None)
    assert totals["max_id"] == 39
    assert "text" not in totals and "id" not in totals
    empty = worker_totals(df.limit(0))
    assert empty == {"rows": 0, "sec_prepare": 0, "n_lines": 0}


def test_stages_count_their_spark_jobs_and_nested_stages_hand_back(spark):
    sc = spark.sparkContext
    df = spark.range(100)
    actions = {"count": lambda: df.count(), "filtered": lambda: df.filter("id > 5").count(),
               "max": lambda: df.agg({"id": "max"}).first()}
    jobs_of = {}
    for name, action in actions.items():  # how many jobs each action runs (adaptive execution may add some)
        sc.setJobGroup(f"probe-{name}", name)
        action()
        jobs_of[name] = len(sc.statusTracker().getJobIdsForGroup(f"probe-{name}"))
    sc.setLocalProperty("spark.jobGroup.id", None)
    run = JobRun("demo", {})
    with run.stage("outer"):
        actions["count"]()
        with run.stage("inner"):
            actions["filtered"]()
        actions["max"]()
    with run.stage("none"):
        pass
    jobs = {s.name: s.spark_jobs for s in run.stages}
    assert jobs == {"inner": jobs_of["filtered"], "outer": jobs_of["count"] + jobs_of["max"], "none": 0}
    assert min(jobs_of.values()) >= 1
    assert [s.as_dict()["spark_jobs"] for s in run.stages] == list(jobs.values())
    assert sc.getLocalProperty("spark.jobGroup.id") is None
