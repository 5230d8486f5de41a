"""``corpussieve repetition --strip K`` through Spark: the stripped table equals the brute force (tokens removed,
text cut) under dedup's keep order, whatever the partitioning, batch size or lookup; the report measures the
result again; the CLI end to end."""

from __future__ import annotations

import datetime as dt
import json
from argparse import Namespace

import numpy as np
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from corpussieve.cli import main
from corpussieve.repetition.reference import reference_coverage, reference_cut_text, reference_strip
from corpussieve.repetition.tokenizers import get_tokenizer

pytestmark = pytest.mark.spark

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def write_table(path, ids, texts, sources, fetch_times):
    write_deltalake(str(path), pa.table({
        "id": pa.array(ids, pa.string()),
        "text": pa.array(texts, pa.string()),
        "source": pa.array(sources, pa.string()),
        "fetch_time": pa.array(fetch_times, pa.timestamp("us", tz="UTC")),
        "url": pa.array([f"https://example.org/{i}" for i in ids], pa.string()),
    }))
    return path


def corpus(rng, unicode=False):
    """Tiny-vocabulary documents (accidental repeats inside and across documents), a shared passage at
    document edges and in the middle, a document repeating one line, empty, null and short documents; fetch
    times with ties and nulls, so that the keep order needs every one of its keys."""
    words = [f"w{i}" for i in range(10)] + (["é", "日本", "🙂", "a-b", "x.y"] if unicode else [])
    passage = " ".join(rng.choice(words, 30))
    texts = []
    for i in range(60):
        text = " ".join(rng.choice(words, int(rng.integers(0, 70))))
        if i % 7 == 0:
            text = f"{passage} {text}"
        if i % 11 == 0:
            text = f"{text} {passage}"
        texts.append(text)
    texts += ["", None, "too short", "one line again. " * 20]
    ids = [f"doc-{(i * 37) % 100:03d}" for i in range(len(texts))]
    sources = [("web", "wiki")[i % 2] for i in range(len(texts))]
    fetch = [None if i % 5 == 0 else T0 + dt.timedelta(days=int(i % 4)) for i in range(len(texts))]
    return ids, texts, sources, fetch


def keep_order(ids, fetch):
    """Dedup's earliest_fetch_time rule: fetch time (nulls last), then the lowest id."""
    order = sorted(range(len(ids)), key=lambda i: (fetch[i] is None, fetch[i] or T0, ids[i]))
    ranks = [0] * len(ids)
    for r, i in enumerate(order):
        ranks[i] = r
    return ranks


@pytest.fixture
def run_strip(spark, tables):
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.repetition import job
    from corpussieve.runlog import JobRun

    def run(table, out, k, **settings):
        overrides = {f"repetition.{key}": v for key, v in settings.items()}
        args = Namespace(input=str(table), output=str(out), plan=None, span_tokens=None, tokenizer=None,
                         strip=k, conf=[], sets=[])
        config = build_config(overrides={**overrides, "repetition.strip.max_copies": k})
        ctx = JobContext(spark=spark, tables=tables, config=config, run=JobRun("repetition", config))
        job.run(ctx, args)
        report = json.loads((out / "report.json").read_text())
        rows = {r["id"]: r.asDict() for r in tables.read(str(out / "stripped")).collect()}
        return report, rows

    return run


@pytest.fixture
def arrow_batch_rows(spark):
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key)
    yield lambda rows: spark.conf.set(key, str(rows))
    spark.conf.set(key, before)


def check_against_brute_force(report, rows, ids, texts, fetch, tokenizer, span, k):
    docs = [tokenizer.encode(t).tolist() for t in texts]
    kept, removed = reference_strip(docs, span, k, keep_order(ids, fetch))
    assert set(rows) == set(ids)
    for i, doc_id in enumerate(ids):
        row = rows[doc_id]
        assert row["tokens_before"] == len(docs[i])
        assert row["tokens_removed"] == sum(removed[i]), doc_id
        lengths = tokenizer.byte_lengths[docs[i]].tolist() if tokenizer.byte_lengths is not None else None
        expected = texts[i] if texts[i] is None else reference_cut_text(texts[i], removed[i], lengths)
        assert row["text"] == expected, doc_id
        assert row["url"] == f"https://example.org/{doc_id}" and row["source"] in ("web", "wiki")
    st = report["strip"]
    assert st["tokens_removed"] == sum(map(sum, removed)) > 0
    assert st["documents_changed"] == sum(1 for r in removed if any(r))
    after = reference_coverage(kept, span).figures
    assert st["after"]["tokens_total"] == after.tokens == st["before"]["tokens_total"] - st["tokens_removed"]
    assert st["after"]["repeated_tokens"] == after.repeated_tokens
    assert st["after"]["repeated_token_fraction"] < st["before"]["repeated_token_fraction"]
    before = reference_coverage(docs, span).figures
    assert st["before"]["repeated_tokens"] == before.repeated_tokens


@pytest.mark.parametrize("k", [1, 3])
def test_strip_equals_brute_force_and_ignores_partitioning(run_strip, arrow_batch_rows, tmp_path, k):
    ids, texts, sources, fetch = corpus(np.random.default_rng(k))
    table = write_table(tmp_path / "in", ids, texts, sources, fetch)
    tokenizer = get_tokenizer("word")
    results = []
    for i, (partitions, rows, lookup) in enumerate(((1, 4096, "broadcast"), (5, 7, "shuffle"), (3, 3, "auto"))):
        arrow_batch_rows(rows)
        report, stripped = run_strip(table, tmp_path / f"out{i}", k, tokenizer="word", span_tokens=8,
                                     partitions=partitions, lookup=lookup, block_tokens=1_000)
        check_against_brute_force(report, stripped, ids, texts, fetch, tokenizer, 8, k)
        results.append((report["strip"], stripped))
    for strip, stripped in results[1:]:
        assert stripped == results[0][1]
        assert {k: v for k, v in strip.items() if k not in ("output", "shuffle")} == \
               {k: v for k, v in results[0][0].items() if k not in ("output", "shuffle")}


def test_strip_with_bpe_cuts_the_text_on_character_boundaries(run_strip, tmp_path):
    ids, texts, sources, fetch = corpus(np.random.default_rng(7), unicode=True)
    table = write_table(tmp_path / "in", ids, texts, sources, fetch)
    report, stripped = run_strip(table, tmp_path / "out", 2, span_tokens=8, partitions=3)
    check_against_brute_force(report, stripped, ids, texts, fetch, get_tokenizer("cl100k"), 8, 2)
    assert report["strip"]["keep"] == "earliest_fetch_time" and report["strip"]["max_copies"] == 2


def test_the_keep_rule_decides_which_copy_stays(run_strip, tmp_path):
    passage = " ".join(f"p{i}" for i in range(20))
    ids = ["a", "b", "c"]
    texts = [f"{passage} one", f"{passage} two words", f"start {passage}"]
    fetch = [T0 + dt.timedelta(days=2), None, T0]
    table = write_table(tmp_path / "in", ids, texts, ["s"] * 3, fetch)
    _, rows = run_strip(table, tmp_path / "earliest", 1, tokenizer="word", span_tokens=8)
    assert [rows[i]["text"] for i in ids] == [" one", " two words", f"start {passage}"]  # c fetched first
    _, rows = run_strip(table, tmp_path / "longest", 1, tokenizer="word", span_tokens=8,
                        **{"strip.keep": "longest_text"})
    assert [rows[i]["text"] for i in ids] == [" one", f"{passage} two words", "start"]
    _, rows = run_strip(table, tmp_path / "lowest", 1, tokenizer="word", span_tokens=8, **{"strip.keep": "lowest_id"})
    assert [rows[i]["tokens_removed"] for i in ids] == [0, 20, 20]


def test_cli_strip_end_to_end(spark, tmp_path, capsys):
    ids, texts, sources, fetch = corpus(np.random.default_rng(11))
    table = write_table(tmp_path / "in", ids, texts, sources, fetch)
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["repetition", "--input", str(table), "--output", str(out), "--tokenizer", "word",
                 "--span-tokens", "8", "--strip", "1"], spark=spark) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tokens_removed"] > 0 and summary["stripped"] == str(out / "stripped")
    assert summary["repeated_token_fraction_after"] < summary["repeated_token_fraction"]
    report = json.loads((out / "report.json").read_text())
    assert [o["path"].rstrip("/").rsplit("/", 1)[-1] for o in report["outputs"]] == ["documents", "spans", "stripped"]
    assert "Span removal" in (out / "report.html").read_text()
    assert report["strip"]["predicted_tokens_removed"] > 0
    assert {"strip", "strip_measure"} <= {s["name"] for s in report["stages"]}
    # without --strip nothing is stripped and no stripped table is written
    other = tmp_path / "plain"
    assert main(["repetition", "--input", str(table), "--output", str(other), "--tokenizer", "word",
                 "--span-tokens", "8"], spark=spark) == 0
    assert not (other / "stripped").exists() and "strip" not in json.loads((other / "report.json").read_text())
