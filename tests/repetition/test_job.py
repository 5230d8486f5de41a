"""The repetition job through Spark: exact against the brute force, independent of partitioning, accurate on
injected repeats, robust to bad input, and its outputs (report.json, report.html, the two Delta tables)."""

from __future__ import annotations

import json
from argparse import Namespace

import numpy as np
import pytest
from deltalake import write_deltalake

from corpussieve.errors import ConfigError, InputError
from corpussieve.repetition.config import RiskConfig
from corpussieve.repetition.coverage import BUCKET_LABELS, MassTable, multiplicity_bucket
from corpussieve.repetition.reference import reference_coverage
from corpussieve.repetition.risk import assess_risk, grade_for_share, harmful_band
from corpussieve.repetition.synthetic import InjectionSpec, injected_corpus
from corpussieve.repetition.tokenizers import get_tokenizer

pytestmark = pytest.mark.spark


def write_table(path, ids, texts, sources=None):
    import pyarrow as pa

    columns = {"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())}
    if sources is not None:
        columns["source"] = pa.array(sources, pa.string())
    write_deltalake(str(path), pa.table(columns))
    return path


@pytest.fixture
def run_repetition(spark, tables):
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.repetition import job
    from corpussieve.runlog import JobRun

    def run(table, out, plan=None, **settings):
        overrides = {f"repetition.{k}": v for k, v in settings.items()}
        config = build_config(overrides=overrides)
        ctx = JobContext(spark=spark, tables=tables, config=config, run=JobRun("repetition", config))
        args = Namespace(input=str(table), output=str(out), plan=str(plan) if plan else None, span_tokens=None,
                         tokenizer=None, conf=[], sets=[])
        summary = job.run(ctx, args)
        report = json.loads((out / "report.json").read_text())
        return summary, report

    return run


@pytest.fixture
def arrow_batch_rows(spark):
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key)

    def set_rows(rows: int) -> None:
        spark.conf.set(key, str(rows))

    yield set_rows
    spark.conf.set(key, before)


def small_corpus(rng):
    """Documents over a tiny vocabulary (so repeats of 5 words happen, inside and across documents), a shared
    passage, a document repeating one line, empty, null and short documents, in three sources."""
    words = [f"w{i}" for i in range(12)]
    passage = " ".join(rng.choice(words, 40))
    texts = []
    for i in range(70):
        length = int(rng.integers(0, 90))
        text = " ".join(rng.choice(words, length))
        if i % 9 == 0:
            text = f"{text} {passage} {text[:20]}"
        texts.append(text)
    texts += ["", None, "too short", "one line again. " * 30]
    ids = [f"doc-{i:03d}" for i in range(len(texts))]
    sources = [("web", "wiki", "forum")[i % 3] for i in range(len(texts))]
    return ids, texts, sources


def test_job_equals_brute_force_and_ignores_partitioning(run_repetition, arrow_batch_rows, tables, tmp_path):
    ids, texts, sources = small_corpus(np.random.default_rng(1))
    table = write_table(tmp_path / "in", ids, texts, sources)
    plan = tmp_path / "plan.yaml"
    plan.write_text("model_params: 1.6e9\nsources:\n  web: {epochs: 2}\n  wiki: {epochs: 0.5}\n")
    runs = []
    for i, (partitions, rows, lookup, block_tokens) in enumerate(
        ((1, 4096, "broadcast", 4_000_000), (5, 7, "shuffle", 1_000), (3, 2, "auto", 1_000))
    ):
        arrow_batch_rows(rows)
        out = tmp_path / f"out{i}"
        summary, report = run_repetition(table, out, plan=plan, tokenizer="word", span_tokens=8,
                                         partitions=partitions, lookup=lookup, block_tokens=block_tokens)
        documents = {r["id"]: r.asDict() for r in tables.read(str(out / "documents")).collect()}
        spans = sorted(tuple(sorted(r.asDict().items())) for r in tables.read(str(out / "spans")).collect())
        runs.append((report, documents, spans))
    assert runs[1][0]["shuffle"]["lookup"] == "shuffle" and runs[0][0]["shuffle"]["lookup"] == "broadcast"

    tokenizer = get_tokenizer("word")
    docs = [tokenizer.encode(t).tolist() for t in texts]
    passes = {"web": 2.0, "wiki": 0.5, "forum": 1.0}
    ref = reference_coverage(docs, 8, [passes[s] for s in sources])
    for report, documents, spans in runs:
        fig = ref.figures
        assert report["tokens_total"] == fig.tokens and report["documents_total"] == len(texts)
        assert report["repeated_tokens"] == fig.repeated_tokens
        assert report["within_document_repeated_tokens"] == fig.within_document_tokens
        assert report["cross_document_repeated_tokens"] == fig.cross_document_tokens
        assert report["excess_tokens"] == pytest.approx(fig.excess_tokens, rel=1e-12)
        assert report["unrepeatable_documents"] == fig.unrepeatable_documents
        assert report["spans"] == fig.spans and report["max_count"] == fig.max_count
        assert [h["tokens"] for h in report["multiplicity_histogram"]] == list(fig.bucket_tokens)
        assert [h["spans"] for h in report["multiplicity_histogram"]] == list(fig.bucket_spans)
        risk = assess_risk(fig.effective_mass, model_params=1.6e9, plan_note="")
        assert report["risk"]["share_in_band"] == risk.share_in_band
        assert report["risk"]["grade"] == risk.grade
        for i, doc_id in enumerate(ids):
            row = documents[doc_id]
            assert row["tokens"] == ref.documents.tokens[i]
            assert row["repeated_tokens"] == ref.documents.repeated_tokens[i]
            assert row["max_span_count"] == ref.documents.max_count[i]
            assert row["cross_document_tokens"] == ref.documents.cross_document_tokens[i]
        assert report["plan"]["passes"] == passes
    # Same input, any partitioning, batch size, block size or lookup: the same outputs to the last bit.
    strip = ("run_id", "started_at", "finished_at", "seconds", "stages", "outputs", "metrics", "config", "output",
             "shuffle", "run_key", "recovery", "summary")  # the run's identity names its output folder
    first = {k: v for k, v in runs[0][0].items() if k not in strip}
    for report, documents, spans in runs[1:]:
        assert {k: v for k, v in report.items() if k not in strip} == first
        assert documents == runs[0][1] and spans == runs[0][2]


@pytest.mark.parametrize(
    ("fraction", "copies", "grade"),
    [(0.05, 100, "High"), (0.12, 300, "Critical"), (0.04, 4, "Low")],
)
def test_injected_repetition_is_measured_to_half_a_point(run_repetition, tmp_path, fraction, copies, grade):
    data = injected_corpus(InjectionSpec(documents=200, words_per_document=300, fraction=fraction, copies=copies,
                                         seed=copies), get_tokenizer("cl100k"))
    table = write_table(tmp_path / "in", data.ids, data.texts)
    _, report = run_repetition(table, tmp_path / "out")
    assert report["tokens_total"] == data.total_tokens
    assert abs(report["repeated_token_fraction"] - data.true_fraction) < 0.005
    bucket = BUCKET_LABELS[int(multiplicity_bucket(np.array([copies]))[0])]
    in_bucket = next(h for h in report["multiplicity_histogram"] if h["bucket"] == bucket)
    assert in_bucket["tokens"] >= 0.98 * report["repeated_tokens"]
    assert in_bucket["tokens"] >= 0.99 * data.injected_tokens
    in_band = harmful_band(RiskConfig().assumed_model_params).contains(copies)
    assert grade_for_share(data.true_fraction if in_band else 0.0) == grade == report["risk"]["grade"]
    assert report["plan"] == "no plan: one pass assumed"
    assert report["cross_document_repeated_fraction"] >= 0.9 * report["repeated_token_fraction"]


def test_bad_documents_are_counted_and_one_huge_repetitive_document_is_within_document(
    run_repetition, tables, tmp_path
):
    prose = injected_corpus(InjectionSpec(documents=5, fraction=0.0), get_tokenizer("cl100k")).texts
    ids = ["empty", "null", "short", "huge", *[f"prose-{i}" for i in range(len(prose))]]
    texts = ["", None, "Only a few tokens here.", "The same line, over and over again.\n" * 100_000, *prose]
    table = write_table(tmp_path / "in", ids, texts, ["s"] * len(ids))
    out = tmp_path / "out"
    _, report = run_repetition(table, out)
    assert report["documents_total"] == len(ids) and report["empty_documents"] == 2
    assert report["unrepeatable_documents"] == 3
    documents = {r["id"]: r for r in tables.read(str(out / "documents")).collect()}
    huge = documents["huge"]
    assert huge["repeated_tokens"] == huge["tokens"] > 800_000
    assert huge["within_document_tokens"] == huge["tokens"] and huge["cross_document_tokens"] == 0
    assert huge["max_span_count"] >= 10_000 and huge["spans"] == 1
    assert all(documents[f"prose-{i}"]["repeated_tokens"] == 0 for i in range(len(prose)))
    assert documents["empty"]["tokens"] == 0 and documents["null"]["tokens"] == 0
    assert report["within_document_repeated_fraction"] == pytest.approx(huge["tokens"] / report["tokens_total"])
    assert report["multiplicity_histogram"][-1]["tokens"] == huge["tokens"]  # 10000+
    top = report["top_spans"][0]
    assert top["text"].startswith("The same line, over and over again.") and not top["cross_document"]


def test_outputs_report_html_and_tables(run_repetition, tables, tmp_path):
    data = injected_corpus(InjectionSpec(documents=80, fraction=0.1, copies=50, seed=5,
                                         sources=("crawl", "news")), get_tokenizer("cl100k"))
    texts = list(data.texts)
    texts[1] = texts[0]  # an exact duplicate
    texts[2] = "  " + texts[0].replace(" ", "\n ")  # the same text, laid out differently
    table = write_table(tmp_path / "in", data.ids, texts, data.sources)
    out = tmp_path / "out"
    summary, report = run_repetition(table, out)
    for key in ("tokens_total", "documents_total", "repeated_token_fraction", "excess_token_fraction",
                "exact_duplicate_documents", "within_document_repeated_fraction",
                "cross_document_repeated_fraction", "multiplicity_histogram", "per_source", "risk", "tokenizer",
                "plan", "stages", "top_spans"):
        assert key in report, key
    assert [h["bucket"] for h in report["multiplicity_histogram"]] == list(BUCKET_LABELS)
    assert report["exact_duplicate_documents"] == 2
    assert report["exact_duplicates"]["largest_groups"][0] == {"first_id": data.ids[0], "copies": 3}
    assert set(report["per_source"]) == {"crawl", "news"}
    assert sum(s["tokens_total"] for s in report["per_source"].values()) == report["tokens_total"]
    assert sum(s["exact_duplicate_documents"] for s in report["per_source"].values()) == 2
    assert report["tokenizer"]["name"] == "cl100k" and len(report["tokenizer"]["vocab_sha256"]) == 64
    assert {"grade", "share_in_band", "band", "explanation"} <= set(report["risk"])
    assert "Closest published configuration" in report["risk"]["explanation"]
    assert [s["name"] for s in report["stages"]] == ["read", "tokenize", "count", "coverage", "exact_duplicates",
                                                     "spans", "risk", "write", "report"]
    assert summary == report["summary"]
    assert report["excess_token_fraction"] < report["repeated_token_fraction"]
    assert summary["grade"] == report["risk"]["grade"]

    html = (out / "report.html").read_text()
    for needle in ("<svg", "Training risk", "Top repeated spans", "Per source", report["risk"]["grade"],
                   "#d1495b", "crawl"):
        assert needle in html, needle
    assert "<script" not in html and "http://" not in html and "https://" not in html

    spans = tables.read(str(out / "spans")).orderBy("rank").collect()
    # The passage lost the copies that documents 1 and 2 held before they were overwritten.
    assert spans and spans[0]["rank"] == 1 and 45 <= spans[0]["count"] <= 50 and spans[0]["documents"] >= 20
    assert spans[0]["example_ids"] and spans[0]["bucket"] == "10-99" and spans[0]["cross_document"]
    assert data.passages[0][:60] in spans[0]["text"]
    # Length is the shortest occurrence's; an occurrence can reach a little further where context repeats too.
    occurrences, length = spans[0]["occurrences"], spans[0]["length"]
    assert occurrences * length <= spans[0]["token_mass"] <= 1.02 * occurrences * length
    assert spans[0]["min_length"] == length <= spans[0]["max_length"]
    # The whole duplicated document is its own cluster, seen twice (the re-laid-out copy has other tokens).
    assert any(s["count"] == 2 and s["example_ids"] == [data.ids[0], data.ids[1]] for s in spans)
    documents = {r["id"]: r for r in tables.read(str(out / "documents")).collect()}
    assert len(documents) == len(data.ids)
    assert documents[data.ids[1]]["exact_duplicate_of"] == data.ids[0]
    assert documents[data.ids[2]]["exact_duplicate_of"] == data.ids[0]
    assert documents[data.ids[0]]["exact_duplicate_of"] is None
    assert {"id", "tokens", "repeated_tokens", "max_span_count", "repeated_fraction"} <= set(documents[data.ids[0]].asDict())


def test_missing_text_column_is_an_input_error(run_repetition, tmp_path):
    import pyarrow as pa

    write_deltalake(str(tmp_path / "in"), pa.table({"id": ["a"], "body": ["some text"]}))
    with pytest.raises(InputError, match="'text'"):
        run_repetition(tmp_path / "in", tmp_path / "out")


def test_duplicate_ids_are_an_input_error(run_repetition, tmp_path):
    table = write_table(tmp_path / "in", ["a", "b", "a"], ["x y", "z", "w"])
    with pytest.raises(InputError, match="more than once"):
        run_repetition(table, tmp_path / "out")


def test_invalid_plan_names_the_field_and_exits_2(spark, tmp_path, capsys):
    from corpussieve.cli import main

    table = write_table(tmp_path / "in", ["a"], ["some text"])
    plan = tmp_path / "plan.yaml"
    plan.write_text("model_params: 8e8\nsources:\n  web: {epochs: -2}\n")
    code = main(["repetition", "--input", str(table), "--output", str(tmp_path / "out"), "--plan", str(plan),
                 "--set", "tables.backend=delta-rs"], spark=spark)
    assert code == 2
    assert "plan.sources.web.epochs" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="model_params"):
        from corpussieve.repetition.plan import load_plan

        plan.write_text("sources: {}\n")
        load_plan(plan)


def test_empty_table(run_repetition, tmp_path):
    table = write_table(tmp_path / "in", [], [])
    _, report = run_repetition(table, tmp_path / "out")
    assert report["tokens_total"] == 0 and report["documents_total"] == 0
    assert report["repeated_token_fraction"] == 0.0 and report["risk"]["grade"] == "Low"
    assert MassTable.empty().total() == 0
