"""The format job through Spark: the shards hold exactly the planned stream (read back with the independent
reader), the mix follows the plan, the order is the seed's, reruns commit and rewrite nothing, a new input
version replaces the shards, text shards hold the same stream, and bad input is refused by name."""

from __future__ import annotations

import hashlib
import json
from argparse import Namespace
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml
from deltalake import DeltaTable, write_deltalake

from corpussieve.errors import ConfigError, InputError
from corpussieve.repetition.tokenizers import get_tokenizer
from tests.format.conftest import read_megatron

pytestmark = pytest.mark.spark

GPT2_EOD = 50256
WORDS = [f"word{i}" for i in range(60)] + ["the", "a", "of", "and", "data", "model", "token", "river", "stone"]


def corpus(rng, sizes=(("web", 400), ("wiki", 100), ("forum", 100))):
    ids, texts, sources = [], [], []
    for source, n in sizes:
        for i in range(n):
            ids.append(f"{source}-{i:04d}")
            texts.append(" ".join(rng.choice(WORDS, int(rng.integers(10, 80)))))
            sources.append(source)
    for i in range(3):  # exact copies of a wiki page on the web
        ids.append(f"web-copy-{i}")
        texts.append(texts[ids.index("wiki-0007")])
        sources.append("web")
    return ids, texts, sources


def write_table(path, ids, texts, sources=None, mode="error"):
    columns = {"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())}
    if sources is not None:
        columns["source"] = pa.array(sources, pa.string())
    write_deltalake(str(path), pa.table(columns), mode=mode)
    return path


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("format")
    ids, texts, sources = corpus(np.random.default_rng(11))
    write_table(root / "docs", ids, texts, sources)
    tokenizer = get_tokenizer("gpt2")
    stream = Counter()
    for text, source in zip(texts, sources, strict=True):
        stream[source] += len(tokenizer.encode(text)) + 1
    # web read 0.7 times (its weight of the training tokens), wiki 2.5 times, forum once (the default)
    plan = {"model_params": 1.0e8, "training_tokens": float(0.7 * stream["web"] / 0.6),
            "sources": {"web": {"weight": 0.6}, "wiki": {"epochs": 2.5}}}
    (root / "plan.yaml").write_text(yaml.safe_dump(plan))
    return {"root": root, "table": root / "docs", "plan": root / "plan.yaml", "ids": ids, "texts": texts,
            "sources": sources, "stream": stream, "passes": {"web": 0.7, "wiki": 2.5, "forum": 1.0}}


@pytest.fixture
def run_format(spark, tables):
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.format import job
    from corpussieve.runlog import JobRun

    def run(table, out, plan=None, **settings):
        overrides = {f"format.{k}": v for k, v in settings.items()}
        config = build_config(overrides={"format.tokenizer": "gpt2", **overrides})
        ctx = JobContext(spark=spark, tables=tables, config=config, run=JobRun("format", config))
        args = Namespace(input=str(table), output=str(out), plan=str(plan) if plan else None, tokenizer=None,
                         shard_format=None, seed=None, conf=[], sets=[])
        summary = job.run(ctx, args)
        report = json.loads((Path(out) / "report.json").read_text())
        return summary, report

    return run


def manifest(out: Path) -> list[dict]:
    return sorted(DeltaTable(str(out / "manifest")).to_pyarrow_table().to_pylist(), key=lambda r: r["shard"])


def stream_of(out: Path) -> list[list[int]]:
    """Every document of the shards, in shard order, read with the independent reader."""
    documents = []
    for row in manifest(out):
        dtype, docs = read_megatron(out / row["path"])
        assert dtype == np.dtype("<u2")  # gpt2's 50,257 ids fit 16 bits
        documents += [d.tolist() for d in docs]
    return documents


@pytest.fixture(scope="module")
def formatted(lake, spark, tables, tmp_path_factory):
    """One run of the plan over the lake (module-wide: several tests read it)."""
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.format import job
    from corpussieve.runlog import JobRun

    out = tmp_path_factory.mktemp("formatted") / "out"
    config = build_config(overrides={"format.tokenizer": "gpt2", "format.shard_tokens": 8000})
    ctx = JobContext(spark=spark, tables=tables, config=config, run=JobRun("format", config))
    job.run(ctx, Namespace(input=str(lake["table"]), output=str(out), plan=str(lake["plan"]), conf=[], sets=[]))
    return out, json.loads((out / "report.json").read_text())


def test_the_shards_hold_exactly_the_planned_stream(lake, formatted):
    out, report = formatted
    tokenizer = get_tokenizer("gpt2")
    by_tokens: dict[tuple, list[str]] = {}
    for doc_id, text in zip(lake["ids"], lake["texts"], strict=True):
        by_tokens.setdefault((*tokenizer.encode(text).tolist(), GPT2_EOD), []).append(doc_id)
    read = stream_of(out)
    assert all(doc[-1] == GPT2_EOD and GPT2_EOD not in doc[:-1] for doc in read)
    seen = Counter(tuple(doc) for doc in read)
    assert set(seen) <= set(by_tokens), "every document of the shards is a whole document of the table"
    source_of = dict(zip(lake["ids"], lake["sources"], strict=True))
    copies = {}
    for key, ids in by_tokens.items():
        if len(ids) == 1:
            copies[ids[0]] = seen.get(key, 0)
    by_source: dict[str, Counter] = {}
    for doc_id, n in copies.items():
        by_source.setdefault(source_of[doc_id], Counter())[n] += 1
    assert set(by_source["forum"]) == {1}  # one pass: every document once
    assert set(by_source["wiki"]) == {2, 3}  # 2.5 passes: twice each, a subset a third time
    assert set(by_source["web"]) == {0, 1}  # 0.7 of a pass: a subset once
    tokens = Counter()
    for doc in read:
        ids = by_tokens[tuple(doc)]
        tokens[source_of[ids[0]] if len({source_of[i] for i in ids}) == 1 else "shared"] += len(doc)
    per_source = report["per_source"]
    assert tokens["forum"] == per_source["forum"]["tokens"] == per_source["forum"]["planned_tokens"]
    # wiki-0007's text is also three web pages: those tokens are told apart by the report, not by the text
    both = per_source["wiki"]["tokens"] + per_source["web"]["tokens"]
    assert tokens["wiki"] + tokens["web"] + tokens["shared"] == both
    assert sum(len(d) for d in read) == report["stream"]["tokens"] == report["summary"]["tokens"]
    assert report["stream"]["documents"] == len(read)


def test_each_source_gets_its_planned_share_of_the_tokens(lake, formatted):
    _, report = formatted
    stream, passes = lake["stream"], lake["passes"]
    total = sum(passes[s] * stream[s] for s in stream)
    for source, s in report["per_source"].items():
        assert s["passes"] == pytest.approx(passes[source])
        assert s["share"] == pytest.approx(passes[source] * stream[source] / total, abs=0.005)
        assert s["tokens"] == s["planned_tokens"]
    assert report["per_source"]["wiki"]["whole_epochs"] == 2
    assert report["stream"]["shards"] == len(report["shards"]) >= 3


def test_the_manifest_names_complete_shards_with_their_checksums(formatted):
    out, report = formatted
    rows = manifest(out)
    assert [r["shard"] for r in rows] == [s["shard"] for s in report["shards"]]
    for row in rows:
        data = (out / row["files"][0]).read_bytes()
        idx = (out / row["files"][1]).read_bytes()
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
        assert row["idx_sha256"] == hashlib.sha256(idx).hexdigest()
        assert row["bytes"] == len(data) + len(idx) and row["tokens"] * 2 == len(data)
        assert row["dtype"] == "uint16" and row["format"] == "megatron"
        assert sum(row["source_tokens"]) == row["tokens"] and sum(row["source_documents"]) == row["documents"]
    assert not (out / "_staging").exists()
    assert (out / "report.html").read_text().count("<table") >= 3
    assert report["tokenizer"]["idx_dtype_code"] == 8 and report["tokenizer"]["end_of_document"] == GPT2_EOD


def test_the_risk_counts_copies_in_the_corpus_times_passes(formatted):
    _, report = formatted
    risk = report["risk"]
    assert "times the passes" in risk["measures"]
    # wiki-0007's text: read 2 or 3 times as wiki plus up to 3 times as web copies; nothing else beyond 3 reads
    labels = {b["label"]: b["training_tokens"] for b in risk["chart"]["buckets"] if b["training_tokens"]}
    assert set(labels) <= {"1", "2-3", "4-7"} and "2-3" in labels and "1" in labels
    assert risk["grade"] == "Low"


def test_the_same_seed_gives_the_same_bytes_and_another_seed_another_order(lake, run_format, formatted, tmp_path):
    out, _ = formatted
    # on another number of partitions too: the order and the subsets depend on the seed and the ids alone
    again, _ = run_format(lake["table"], tmp_path / "again", lake["plan"], shard_tokens=8000, partitions=3)
    assert [r["sha256"] for r in manifest(tmp_path / "again")] == [r["sha256"] for r in manifest(out)]
    other, _ = run_format(lake["table"], tmp_path / "other", lake["plan"], shard_tokens=8000, seed=99)
    assert [r["sha256"] for r in manifest(tmp_path / "other")] != [r["sha256"] for r in manifest(out)]
    assert stream_of(tmp_path / "other") != stream_of(out)


def test_a_rerun_commits_nothing_and_rewrites_nothing(lake, run_format, formatted):
    out, report = formatted
    version = DeltaTable(str(out / "manifest")).version()
    files = {p: p.stat().st_mtime_ns for p in (out / "shards").rglob("*") if p.is_file()}
    summary, _ = run_format(lake["table"], out, lake["plan"], shard_tokens=8000)
    assert summary["already_complete"] is True
    assert DeltaTable(str(out / "manifest")).version() == version
    assert {p: p.stat().st_mtime_ns for p in (out / "shards").rglob("*") if p.is_file()} == files
    # another plan over the same input version into the same folder is refused, not silently kept
    with pytest.raises(ConfigError, match="another plan"):
        run_format(lake["table"], out, None, shard_tokens=8000)


def test_text_shards_hold_the_same_stream_in_the_same_order(lake, run_format, formatted, tmp_path):
    out, _ = formatted
    tokenizer = get_tokenizer("gpt2")
    text_of = dict(zip(lake["ids"], lake["texts"], strict=True))
    for fmt in ("jsonl", "parquet"):
        target = tmp_path / fmt
        run_format(lake["table"], target, lake["plan"], shard_tokens=8000, shard_format=fmt)
        rows = manifest(target)
        ids = []
        for row in rows:
            path = target / row["files"][0]
            if fmt == "jsonl":
                ids += [json.loads(line)["id"] for line in path.read_text().splitlines()]
            else:
                import pyarrow.parquet as pq

                table = pq.read_table(path)
                assert table.column("text").to_pylist() == [text_of[i] for i in table.column("id").to_pylist()]
                ids += table.column("id").to_pylist()
            assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert [[*tokenizer.encode(text_of[i]).tolist(), GPT2_EOD] for i in ids] == stream_of(out)


def test_a_new_input_version_replaces_the_shards(lake, run_format, tmp_path):
    table = tmp_path / "docs"
    write_table(table, lake["ids"][:50], lake["texts"][:50])
    out = tmp_path / "out"
    run_format(table, out)
    first = {p.name for p in (out / "shards").iterdir()}
    write_table(table, ["extra"], ["one more document"], mode="append")
    summary, report = run_format(table, out)
    assert report["input_version"] == 1 and summary["documents"] == 51
    assert report["per_source"]["(no source)"]["share"] == 1.0  # no source column: one source
    now = {p.name for p in (out / "shards").iterdir()}
    assert len(now) == 1 and now != first
    assert DeltaTable(str(out / "manifest")).version() == 1
    assert len(stream_of(out)) == 51


def test_bad_input_is_refused_naming_the_table_the_column_and_the_rows(lake, run_format, tmp_path):
    no_text = tmp_path / "no_text"
    write_deltalake(str(no_text), pa.table({"id": ["a"], "body": ["x"]}))
    with pytest.raises(InputError, match=r"no_text, column 'text': column is missing"):
        run_format(no_text, tmp_path / "o1")
    nulls = write_table(tmp_path / "nulls", ["a", "b", "c"], ["fine text", None, None])
    with pytest.raises(InputError, match=r"nulls, column 'text': 2 rows have a null text; rows with id 'b', 'c'"):
        run_format(nulls, tmp_path / "o2")
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"model_params": 1e8, "training_tokens": 1e4,
                                    "sources": {"webb": {"weight": 0.5}}}))
    with pytest.raises(InputError, match=r"docs, column 'source': the plan .* gives source 'webb' weight 0.5, but the "
                                         r"table holds no text of that source.*expected one of the table's sources: "
                                         r"forum, web, wiki"):
        run_format(lake["table"], tmp_path / "o3", plan)
    assert not (tmp_path / "o3" / "manifest").exists()


@pytest.mark.parametrize("shards", [1, 2, 6, 37])
def test_every_shard_travels_to_a_partition_of_its_own(spark, shards):
    from pyspark.sql import functions as F

    from corpussieve.format.stages import shard_slots

    rows = spark.range(3000).withColumn("shard", F.pmod(F.xxhash64("id"), F.lit(shards)).cast("int"))
    spread = rows.join(F.broadcast(shard_slots(spark, shards)), "shard").repartition(shards, "slot")
    parts = spread.select("shard").rdd.glom().map(lambda part: sorted({r[0] for r in part})).collect()
    assert parts == [[i] for i in range(shards)]
