"""The inspect job through Spark on a small table built with the sample generator: every figure equals the
brute force over the same rows, the card does not depend on partitions or Arrow batches, bad input fails naming
the table, column and rows, and a card over a lake made by refresh picks up its rejected and removed tables and
its repetition report."""

from __future__ import annotations

import json
import subprocess
import sys
from argparse import Namespace
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from corpussieve.clean.domain import registered_domain
from corpussieve.errors import ConfigError, InputError
from corpussieve.inspect.figures import concentration, path_depth
from corpussieve.repetition.tokenizers import get_tokenizer
from corpussieve.sample.corpus import CorpusGenerator, CorpusSpec

REPO = Path(__file__).resolve().parents[2]

QUALITY = pa.struct([
    pa.field("gopher_quality", pa.struct([pa.field("word_count", pa.float64()),
                                          pa.field("alpha_word_ratio", pa.float64())])),
    pa.field("length", pa.struct([pa.field("chars", pa.float64())])),
])


def sample_rows(n: int = 120) -> list[dict]:
    """Generated documents plus what a real table holds at the edges: a null text, an empty one, no url, an
    unparseable url, null quality signals, two languages, dedup's cluster sizes."""
    gen = CorpusGenerator(CorpusSpec(docs=n, seed=5, include_html=False, docs_per_site=6))
    rows = []
    for i in range(n):
        r = gen.record(i)
        words = len(r["text"].split())
        rows.append({"id": r["id"], "url": r["url"], "text": r["text"], "source": r["source"],
                     "language": "de" if i % 7 == 0 else "en",
                     "quality": None if i % 10 == 0 else {"gopher_quality": {"word_count": float(words),
                                                                             "alpha_word_ratio": (i % 13) / 13},
                                                          "length": {"chars": float(len(r["text"]))}},
                     "cluster_size": 3 if i in (4, 9) else 1})
    rows += [
        {"id": "null-text", "url": "https://x.example.org/a/b", "text": None, "source": "web", "language": None,
         "quality": None, "cluster_size": 1},
        {"id": "empty-text", "url": "https://x.example.org/", "text": "  \n ", "source": None, "language": "en",
         "quality": None, "cluster_size": 1},
        {"id": "no-url", "url": None, "text": "A page whose address was lost.", "source": "web", "language": "en",
         "quality": None, "cluster_size": 1},
        {"id": "bad-url", "url": "not a url", "text": "Another page.", "source": "web", "language": "en",
         "quality": None, "cluster_size": 1},
    ]
    return rows


def write_rows(path: Path, rows: list[dict]) -> Path:
    schema = pa.schema([("id", pa.string()), ("url", pa.string()), ("text", pa.string()), ("source", pa.string()),
                        ("language", pa.string()), ("quality", QUALITY), ("cluster_size", pa.int64())])
    write_deltalake(str(path), pa.Table.from_pylist(rows, schema=schema))
    return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    rows = sample_rows()
    return {"rows": rows, "table": write_rows(tmp_path_factory.mktemp("inspect") / "docs", rows)}


@pytest.fixture
def run_inspect(spark, tables):
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.inspect import job
    from corpussieve.runlog import JobRun

    def run(out, table=None, **extra):
        settings = extra.pop("settings", {})
        config = build_config(overrides={f"inspect.{k}": v for k, v in settings.items()})
        ctx = JobContext(spark=spark, tables=tables, config=config, run=JobRun("inspect", config))
        args = Namespace(input=str(table) if table else None, output=str(out), lake=None, plan=None, rejected=None,
                         removed=None, repetition=None, tokenizer=None, conf=[], sets=[])
        for key, value in extra.items():
            setattr(args, key, str(value) if value is not None else None)
        summary = job.run(ctx, args)
        return summary, json.loads((Path(out) / "card.json").read_text())

    return run


@pytest.fixture(scope="module")
def card(spark, tables, sample, tmp_path_factory):
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.inspect import job
    from corpussieve.runlog import JobRun

    out = tmp_path_factory.mktemp("card")
    config = build_config()
    ctx = JobContext(spark=spark, tables=tables, config=config, run=JobRun("inspect", config))
    args = Namespace(input=str(sample["table"]), output=str(out), lake=None, plan=None, rejected=None, removed=None,
                     repetition=None, tokenizer=None)
    job.run(ctx, args)
    return json.loads((out / "card.json").read_text()), (out / "card.html").read_text()




@pytest.mark.spark
def test_quantity_equals_the_brute_force(sample, card):
    body, _ = card
    tok = get_tokenizer("cl100k")
    per_source: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_language: Counter = Counter()
    for r in sample["rows"]:
        n = len(tok.encode(r["text"]))
        s = per_source[r["source"] or "(no source)"]
        s[0] += 1
        s[1] += len(r["text"] or "")
        s[2] += n
        per_language[r["language"] or "(unknown)"] += n
    q = body["quantity"]
    assert q["documents"] == len(sample["rows"]) and q["empty_documents"] == 2
    assert {k: [v["documents"], v["chars"], v["tokens"]] for k, v in q["per_source"].items()} == dict(per_source)
    assert {k: v["tokens"] for k, v in q["per_language"].items()} == dict(per_language)
    assert q["tokens"] == sum(v[2] for v in per_source.values())


@pytest.mark.spark
def test_domains_and_path_depth_equal_the_brute_force(sample, card):
    body, page = card
    tok = get_tokenizer("cl100k")
    per_domain: Counter = Counter()
    depth: Counter = Counter()
    without = 0
    for r in sample["rows"]:
        domain = registered_domain(r["url"])
        if domain is None:
            without += 1
        else:
            per_domain[domain] += len(tok.encode(r["text"]))
        d = path_depth(r["url"])
        depth["(no url)" if d is None else str(d)] += 1
    want = concentration(per_domain.values(), 0.01)
    dom = body["coverage"]["domains"]
    assert dom["domains"] == len(per_domain) and dom["documents_without_domain"] == without == 2  # no url, "not a url"
    got = dom["concentration"]
    assert got["normalized_entropy"] == pytest.approx(want.normalized_entropy, abs=1e-9)
    assert got["effective_domains"] == pytest.approx(want.effective_domains, rel=1e-9)
    assert got["top_share"] == pytest.approx(want.top_share) and got["top_domains"] == want.top_domains
    largest = max(per_domain, key=lambda d: (per_domain[d], [-ord(c) for c in d]))
    assert dom["top"][0]["domain"] == largest and dom["top"][0]["tokens"] == per_domain[largest]
    assert {d["depth"]: d["documents"] for d in body["coverage"]["path_depth"]} == dict(depth)
    assert largest in page


@pytest.mark.spark
def test_quality_signals_and_cluster_columns(sample, card):
    body, _ = card
    signals = {s["signal"]: s for s in body["quality"]["signals"]}
    assert list(signals) == ["gopher_quality.word_count", "gopher_quality.alpha_word_ratio", "length.chars"]
    words = np.array([r["quality"]["gopher_quality"]["word_count"] for r in sample["rows"] if r["quality"]])
    s = signals["gopher_quality.word_count"]
    assert s["documents"] == words.size and s["min"] == words.min() and s["max"] == words.max()
    assert s["mean"] == pytest.approx(words.mean())
    ordered = np.sort(words)
    for name, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):  # percentile_approx: a value of rank ~q n
        rank = int(np.searchsorted(ordered, s["quantiles"][name], side="right"))
        assert abs(rank / words.size - q) <= 2 / words.size + 1e-9, (name, rank)
    dup = body["quality"]["duplicates"]
    assert dup["method"] == "cluster columns" and dup["removed"] == 4
    assert dup["rate"] == pytest.approx(4 / (len(sample["rows"]) + 4))
    chars = sorted(len(r["text"] or "") for r in sample["rows"])
    assert body["coverage"]["chars_per_document"]["max"] == chars[-1]


@pytest.mark.spark
def test_the_card_does_not_depend_on_partitions_or_batches(spark, sample, card, run_inspect, tmp_path):
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key)
    spark.conf.set(key, "7")
    try:
        _, other = run_inspect(tmp_path / "card", sample["table"], settings={"partitions": 3})
    finally:
        spark.conf.set(key, before)
    body, _ = card
    for section in ("quantity", "coverage", "axes", "weakest", "quality"):
        assert_same(other[section], body[section], section)


def assert_same(a, b, where: str) -> None:
    """Equal, floats up to the order Spark happened to sum them in (relative 1e-9)."""
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), where
    elif isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.mark.spark
def test_bad_input_names_the_table_column_and_rows(tmp_path, run_inspect, sample):
    with pytest.raises(InputError, match=r"table .*nowhere.*no Delta table|nowhere"):
        run_inspect(tmp_path / "o1", tmp_path / "nowhere")
    write_deltalake(str(tmp_path / "notext"), pa.table({"id": ["a"], "body": ["x"]}))
    with pytest.raises(InputError, match=r"notext, column 'text': column is missing"):
        run_inspect(tmp_path / "o2", tmp_path / "notext")
    write_deltalake(str(tmp_path / "dups"), pa.table({"id": ["a", "b", "a"], "text": ["x", "y", "z"]}))
    with pytest.raises(InputError, match=r"dups, column 'id'.*rows with id 'a'"):
        run_inspect(tmp_path / "o3", tmp_path / "dups")
    write_deltalake(str(tmp_path / "badq"), pa.table({"id": ["a"], "text": ["x"], "quality": [0.5]}))
    with pytest.raises(InputError, match=r"badq, column 'quality': column has type double"):
        run_inspect(tmp_path / "o4", tmp_path / "badq")
    (tmp_path / "other.json").write_text('{"job": "dedup"}')
    with pytest.raises(InputError, match="not a repetition job's report"):
        run_inspect(tmp_path / "o5", sample["table"], repetition=tmp_path / "other.json")
    with pytest.raises(ConfigError, match="--input TABLE or --lake DIR"):
        run_inspect(tmp_path / "o6")
    assert not (tmp_path / "o2" / "card.json").exists()


@pytest.mark.spark
def test_an_empty_table_gets_a_card_that_says_so(tmp_path, run_inspect):
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("url", pa.string())])
    write_deltalake(str(tmp_path / "empty"), pa.Table.from_pylist([], schema=schema))
    summary, body = run_inspect(tmp_path / "card", tmp_path / "empty")
    assert summary["documents"] == summary["tokens"] == 0 and summary["weakest_axis"] == "quantity"
    assert body["coverage"]["domains"]["domains"] == 0 and "the table holds no tokens" in body["warnings"]
    assert (tmp_path / "card" / "card.html").read_text().startswith("<!DOCTYPE html>")


def test_the_spark_submit_entry_runs():
    """jobs/inspect_job.py (not inspect.py, which would shadow the standard library: see its docstring)."""
    done = subprocess.run([sys.executable, str(REPO / "jobs" / "inspect_job.py"), "--help"], capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(REPO / "lib"), "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert "usage: corpussieve inspect" in done.stdout and "--lake DIR" in done.stdout


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_card_over_a_lake_made_by_refresh(spark, tmp_path, capsys):
    from corpussieve.cli import main

    assert main(["generate", "--output", str(tmp_path / "b0"), "--docs", "150", "--shards", "1", "--workers", "1",
                 "--junk-fraction", "0.1", "--log-level", "WARNING"]) == 0
    lake = tmp_path / "lake"
    assert main(["refresh", "--lake", str(lake), "--input", str(tmp_path / "b0"), "--repetition",
                 "--log-level", "WARNING"], spark=spark) == 0
    plan = tmp_path / "plan.yaml"
    plan.write_text("model_params: 1.0e6\ntraining_tokens: 1.0e5\nsources:\n"
                    "  curated-news: {epochs: 1, synthetic: true}\n")
    capsys.readouterr()
    assert main(["inspect", "--lake", str(lake), "--plan", str(plan), "--output", str(tmp_path / "card"),
                 "--log-level", "WARNING"], spark=spark) == 0
    summary = json.loads(capsys.readouterr().out)
    body = json.loads((tmp_path / "card" / "card.json").read_text())
    kept = DeltaTable(str(lake / "documents")).to_pyarrow_table(columns=["id"]).num_rows
    rejected = DeltaTable(str(lake / "rejected")).to_pyarrow_table(columns=["reject_reasons"])
    removed = DeltaTable(str(lake / "removed")).to_pyarrow_table(columns=["match"])
    assert body["quantity"]["documents"] == kept
    rej = body["quality"]["rejection"]
    assert rej["rejected"] == rejected.num_rows > 0
    firsts = Counter(r[0] for r in rejected.column("reject_reasons").to_pylist())
    assert {r["reason"]: r["documents"] for r in rej["first_reason"]} == dict(firsts)
    dup = body["quality"]["duplicates"]
    assert dup["method"] == "removed table" and dup["removed"] == removed.num_rows > 0
    assert dup["per_match"] == dict(Counter(removed.column("match").to_pylist()))
    assert body["quality"]["repetition"]["same_table"] is True and body["quality"]["repetition"]["grade"]
    assert [a["axis"] for a in body["axes"]] == ["quantity", "quality", "coverage"]
    assert all(a["score"] is not None for a in body["axes"]) and summary["weakest_axis"] == body["weakest"]["axis"]
    assert body["synthetic"]["synthetic_sources"] == ["curated-news"] and 0 < body["synthetic"]["corpus_share"] < 1
    assert (tmp_path / "card" / "card.html").exists()
    assert {i["role"] for i in body["inputs"] if "role" in i} == {"rejected", "removed"}
