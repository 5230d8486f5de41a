"""Span removal in clean (the ``spans`` stage, ``clean.spans``): the batch functions against the brute force,
and the Spark stage against ``repetition.reference.reference_strip`` over the documents the filters kept
(rejected documents' windows never count), whatever the partitioning, and against ``repetition --strip``."""

from __future__ import annotations

import json
import random
from argparse import Namespace

import numpy as np
import pyarrow as pa
import pytest

from corpussieve.clean import arrowfns
from corpussieve.clean.config import CleanConfig
from corpussieve.repetition.arrowfns import binary_array
from corpussieve.repetition.reference import reference_cut_text, reference_strip
from corpussieve.repetition.tokenizers import get_tokenizer
from corpussieve.sample.textgen import SentenceMaker


# -- the batch functions ---------------------------------------------------------------------------------------
def _cuts(removed: list[bool]) -> list[int]:
    """Token runs of ``removed`` as flat (start, end) pairs."""
    pairs, start = [], None
    for i, gone in enumerate([*removed, False]):
        if gone and start is None:
            start = i
        elif not gone and start is not None:
            pairs += [start, i]
            start = None
    return pairs


@pytest.mark.parametrize("name", ["word", "cl100k"])
def test_spans_batch_cuts_like_the_reference_and_judges_what_is_left(name):
    tok = get_tokenizer(name)
    maker = SentenceMaker(random.Random(3))
    shared = maker.sentence() + " " + maker.sentence()
    texts = [f"{maker.paragraph(3)} {shared} {maker.paragraph(2)}", f"{shared} {maker.paragraph(3)}", shared,
             f"{maker.sentence()} {shared}", None, f"{shared} été 日本 🙂 {shared}"]
    reasons = [[], [], [], [], ["input:empty"], []]
    docs = [tok.encode(t).tolist() if t else [] for t in texts]
    _, removed = reference_strip(docs, 8, 1)
    removed[4] = []
    units, cuts, lost = [], [], []
    for text, marks, ids in zip(texts, removed, docs, strict=True):
        lengths = tok.byte_lengths[ids] if tok.byte_lengths is not None and ids else None
        token_cuts = _cuts(marks)
        if lengths is not None:  # BPE cuts are in UTF-8 bytes
            at = np.concatenate([[0], np.cumsum(lengths)])
            token_cuts = [int(at[i]) for i in token_cuts]
        cuts.append(token_cuts)
        units.append(int(lengths.sum()) if lengths is not None else len(ids))
        lost.append(sum(marks))
    offsets = np.cumsum([0, *map(len, cuts)])
    batch = pa.record_batch({
        "id": [f"d{i}" for i in range(len(texts))], "text": texts,
        "__reasons": pa.array(reasons, pa.list_(pa.string())),
        "__span_units": pa.array([u if c else None for u, c in zip(units, cuts, strict=True)], pa.int64()),
        "__span_cuts": binary_array(np.array([x for c in cuts for x in c], dtype=np.int64), offsets),
        "__span_removed": pa.array([n if n else None for n in lost], pa.int64()),
    })
    unit = "bytes" if tok.byte_lengths is not None else "words"
    out = arrowfns.spans_batch(batch, unit, min_chars_left=len(texts[3]) - len(shared))
    got = out.column("text").to_pylist()
    for i, (text, marks, ids) in enumerate(zip(texts, removed, docs, strict=True)):
        if text is None:
            assert got[i] is None
            continue
        token_bytes = tok.byte_lengths[ids].tolist() if tok.byte_lengths is not None else None
        assert got[i] == reference_cut_text(text, marks, token_bytes), i
    assert sum(lost) > 0 and lost[0] == 0  # the first copy stays whole
    assert out.column("span_tokens_removed").to_pylist() == [*lost[:4], None, lost[5]]
    why = out.column("__reasons").to_pylist()
    assert why[2] == ["spans:no_text_left"]  # only a copy: nothing left
    assert why[3] == ["spans:too_short"]  # one sentence left
    assert why[0] == [] and why[4] == ["input:empty"]
    assert out.column("__chars_spans").to_pylist()[4] is None
    assert not set(arrowfns.SPAN_JOINED) & set(out.schema.names)


def test_top_over_limit_rows_are_the_most_counted_windows_over_k():
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 2**63, 40, dtype=np.uint64)
    counts = rng.integers(2, 9, 40).astype(np.int64)
    offsets = np.array([0, 17, 40])
    batch = pa.record_batch({"bucket": [0, 1], "entries": [17, 23], "hashes": binary_array(hashes, offsets),
                             "counts": binary_array(counts, offsets), "effective": pa.nulls(2, pa.binary())})
    out = arrowfns.top_over_limit_rows(batch, max_copies=3, limit=5)
    want = sorted(((-int(c), int(h)) for h, c in zip(hashes, counts, strict=True) if c > 3))[:5]
    assert list(zip(out.column("count").to_pylist(), out.column("hash").to_pylist(), strict=True)) == [
        (-c, np.uint64(h).astype(np.int64).item()) for c, h in want]


def test_settings_default_to_the_repetition_jobs_and_are_validated():
    from pydantic import ValidationError

    from corpussieve.clean.spans import min_chars_left, spans_settings
    from corpussieve.config import build_config

    assert spans_settings(build_config()) is None and CleanConfig().spans.enabled is False
    config = build_config(sets=["clean.spans.enabled=true", "repetition.span_tokens=30", "dedup.keep=lowest_id"])
    settings = spans_settings(config)
    assert (settings.span_tokens, settings.tokenizer, settings.strip.max_copies, settings.strip.keep) == (
        30, "cl100k", 1, "lowest_id")
    settings = spans_settings(build_config(sets=["clean.spans.enabled=true", "clean.spans.span_tokens=12",
                                                 "clean.spans.tokenizer=word", "clean.spans.max_copies=3"]))
    assert (settings.span_tokens, settings.tokenizer, settings.strip.max_copies) == (12, "word", 3)
    assert min_chars_left(CleanConfig()) == 200
    assert min_chars_left(CleanConfig.model_validate({"filters": {"length": {"enabled": False}}})) == 1
    assert min_chars_left(CleanConfig.model_validate({"spans": {"min_chars_left": 50}})) == 50
    for bad in ({"max_copies": 0}, {"span_tokens": 4}, {"tokenizer": "bert"}, {"min_chars_left": 0}):
        with pytest.raises(ValidationError):
            CleanConfig.model_validate({"spans": bad})


# -- the Spark stage against the reference -----------------------------------------------------------------------
SCHEMA = "id string, url string, text string, fetch_time string"
OFF = [f"clean.filters.{name}.enabled=false"
       for name in ("c4", "language", "gopher_quality", "gopher_repetition", "fineweb")]
SPANS = ["clean.spans.enabled=true", "clean.spans.span_tokens=8", "clean.spans.tokenizer=word"]


def corpus_rows() -> list[dict]:
    """Articles sharing passages inside their lines (never whole lines: the line rules and paragraph dedup leave
    them), with keep-order ties and null fetch times; a short page holding a passage, fetched first, that the
    length filter rejects (its copy must not count); a page that is only a passage (emptied) and one left short."""
    rng = random.Random(23)
    maker = SentenceMaker(rng)
    passages = [" ".join(maker.sentence() for _ in range(rng.randrange(1, 4))) for _ in range(6)]
    rows = []
    for n in range(70):
        lines = [maker.paragraph(rng.randrange(2, 5)) for _ in range(rng.randrange(2, 5))]
        for _ in range(rng.randrange(0, 3)):
            at = rng.randrange(len(lines))
            lines[at] = f"{lines[at]} {rng.choice(passages)} {maker.sentence()}"
        fetch = None if n % 9 == 0 else f"2024-0{1 + n % 5}-0{1 + n % 3}T00:00:00Z"
        rows.append({"id": f"doc-{(n * 37) % 100:03d}", "url": f"https://site{n}.example/a", "text": "\n".join(lines),
                     "fetch_time": fetch})
    rows.append({"id": "zz-short-first", "url": "https://short.example/", "fetch_time": "2020-01-01T00:00:00Z",
                 "text": passages[0]})  # under 200 characters: rejected by the length filter
    rows.append({"id": "zz-only-copies", "url": "https://copies.example/", "fetch_time": "2025-01-01T00:00:00Z",
                 "text": "\n".join(f"{p} {p}" for p in passages)})
    rows.append({"id": "zz-left-short", "url": "https://left.example/", "fetch_time": "2025-01-02T00:00:00Z",
                 "text": f"{passages[1]} {passages[2]} {passages[3]}\nA short line of its own here."})
    return rows


def _texts(tables, out):
    from .test_job import read

    docs, rejected = read(tables, out / "documents"), read(tables, out / "rejected")
    return docs, rejected, json.loads((out / "report.json").read_text())


def reference(baseline_docs: dict, name: str, span: int, k: int, min_chars: int) -> dict[str, dict]:
    """id -> {text, reason, removed} for the documents the filters kept: ``reference_strip`` over their texts in
    the keep order (fetch time, nulls last, then id), cut by ``reference_cut_text``."""
    tok = get_tokenizer(name)
    ids = sorted(baseline_docs, key=lambda i: (baseline_docs[i]["fetch_time"] is None,
                                              baseline_docs[i]["fetch_time"] or "", i))
    rank = {doc_id: r for r, doc_id in enumerate(ids)}
    order = sorted(baseline_docs)
    tokens = [tok.encode(baseline_docs[i]["text"]).tolist() for i in order]
    _, removed = reference_strip(tokens, span, k, [rank[i] for i in order])
    out = {}
    for doc_id, ids_, marks in zip(order, tokens, removed, strict=True):
        token_bytes = tok.byte_lengths[ids_].tolist() if tok.byte_lengths is not None else None
        text = reference_cut_text(baseline_docs[doc_id]["text"], marks, token_bytes) if any(marks) else \
            baseline_docs[doc_id]["text"]
        reason = None
        if any(marks):
            reason = ("spans:no_text_left" if not text.strip() else
                      "spans:too_short" if len(text.strip()) < min_chars else None)
        out[doc_id] = {"text": text, "reason": reason, "removed": sum(marks)}
    return out


def _check(planted, tables, out, name="word", span=8, k=1):
    docs, rejected, report = _texts(tables, out)
    base_docs, base_rejected = planted["baseline"]
    want = reference(base_docs, name, span, k, 200)
    assert set(docs) | set(rejected) == set(base_docs) | set(base_rejected)
    for doc_id, expected in want.items():
        row = docs.get(doc_id) or rejected[doc_id]
        assert row["text"] == expected["text"], doc_id
        assert row.get("reject_reason") == expected["reason"], doc_id
        assert row["span_tokens_removed"] == expected["removed"], doc_id
    for doc_id, row in base_rejected.items():  # rejected by the filters: untouched, never counted
        assert rejected[doc_id]["text"] == row["text"] and rejected[doc_id]["span_tokens_removed"] is None
    section = report["spans"]
    assert section["tokens_removed"] == sum(w["removed"] for w in want.values()) > 100
    assert section["documents_changed"] == sum(w["removed"] > 0 for w in want.values())
    assert report["metrics"]["span_tokens_removed"] == section["tokens_removed"]
    return docs, rejected, report, want


@pytest.fixture(scope="module")
def planted(spark, tables, tmp_path_factory):
    from .test_job import read, run_clean, write_input

    base = tmp_path_factory.mktemp("spans")
    rows = corpus_rows()
    source = write_input(spark, tables, base / "in", rows, SCHEMA)
    run_clean(spark, tables, source, base / "baseline", sets=OFF)
    baseline = (read(tables, base / "baseline" / "documents"), read(tables, base / "baseline" / "rejected"))
    assert "zz-short-first" in baseline[1] and len(baseline[0]) > 60
    return {"base": base, "rows": rows, "source": source, "baseline": baseline}


@pytest.mark.spark
def test_spark_span_removal_matches_the_reference_whatever_the_partitioning(spark, tables, planted):
    from .test_job import run_clean

    base = planted["base"]
    run_clean(spark, tables, planted["source"], base / "a", sets=[*OFF, *SPANS])
    shuffle = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "7")
    try:
        run_clean(spark, tables, planted["source"], base / "b",
                  sets=[*OFF, *SPANS, "clean.job.docs_per_partition=9", "clean.job.batch_rows=4",
                        "clean.spans.broadcast_max_rows=0", "repetition.windows_per_bucket=100000",
                        "repetition.lookup=shuffle"])
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", shuffle)
    a = _check(planted, tables, base / "a")
    b = _check(planted, tables, base / "b")
    assert a[0] == b[0] and a[1] == b[1]
    sa, sb = a[2]["spans"], b[2]["spans"]
    assert sa.pop("broadcast") is True and sb.pop("broadcast") is False
    # candidates are shipped per batch (at most K per window and batch): the batch size changes how many
    assert 0 < sa.pop("first_copy_candidates") < sb.pop("first_copy_candidates")
    assert sa == sb
    docs, rejected, report, want = a
    passage = planted["rows"][-3]["text"]  # the short page's passage, fetched first but rejected
    holders = sorted((i for i in want if passage in planted["baseline"][0][i]["text"]),
                     key=lambda i: (planted["baseline"][0][i]["fetch_time"] is None,
                                    planted["baseline"][0][i]["fetch_time"] or "", i))
    assert len(holders) >= 2 and passage in (docs.get(holders[0]) or rejected[holders[0]])["text"]
    assert rejected["zz-only-copies"]["reject_reason"] == "spans:no_text_left"
    assert rejected["zz-left-short"]["reject_reason"] == "spans:too_short"
    assert [s["name"] for s in report["stages"]] == ["read", "prepare", "site_lines", "paragraphs", "filters",
                                                     "spans", "write", "report"]
    assert sa["max_copies"] == 1 and sa["span_tokens"] == 8 and sa["keep"] == "earliest_fetch_time"
    assert sa["rejected"] == {"spans:no_text_left": 1, "spans:too_short": 1}
    # the prediction from the counts M(t) before, beside what was removed
    assert 0.7 < sa["tokens_removed"] / sa["predicted_tokens_removed"] < 1.3
    top = sa["top"]
    assert top and all(t["text"] and t["count"] >= 2 and t["copies_removed"] == t["count"] - 1 for t in top)
    assert [t["count"] for t in top] == sorted((t["count"] for t in top), reverse=True)
    html = (base / "a" / "report.html").read_text()
    assert "Repeated spans removed" in html and top[0]["text"][:30] in html


@pytest.mark.spark
def test_the_clean_stage_and_repetition_strip_agree(spark, tables, planted):
    """``repetition --strip 2`` over the baseline's documents cuts exactly what the clean stage with K = 2 cuts
    (cl100k: cuts at byte offsets)."""
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.repetition import job
    from corpussieve.runlog import JobRun

    from .test_job import read, run_clean

    base = planted["base"]
    sets = [*OFF, "clean.spans.enabled=true", "clean.spans.span_tokens=10", "clean.spans.max_copies=2"]
    run_clean(spark, tables, planted["source"], base / "k2", sets=sets)
    docs, rejected, report, want = _check(planted, tables, base / "k2", name="cl100k", span=10, k=2)
    config = build_config(overrides={"repetition.span_tokens": 10, "repetition.strip.max_copies": 2})
    args = Namespace(input=str(base / "baseline" / "documents"), output=str(base / "rep"), plan=None,
                     span_tokens=None, tokenizer=None, strip=2, conf=[], sets=[])
    job.run(JobContext(spark=spark, tables=tables, config=config, run=JobRun("repetition", config)), args)
    stripped = read(tables, base / "rep" / "stripped")
    assert set(stripped) == set(want)
    for doc_id, row in stripped.items():
        mine = docs.get(doc_id) or rejected[doc_id]
        assert mine["text"] == row["text"] and mine["span_tokens_removed"] == row["tokens_removed"], doc_id
    strip = json.loads((base / "rep" / "report.json").read_text())["strip"]
    assert strip["tokens_removed"] == report["spans"]["tokens_removed"]
    assert strip["predicted_tokens_removed"] == pytest.approx(report["spans"]["predicted_tokens_removed"], abs=0.1)


@pytest.mark.spark
def test_a_run_whose_filters_keep_nothing_removes_nothing(spark, tables, tmp_path):
    from .test_job import read, run_clean, write_input

    rows = [{"id": f"s{i}", "url": None, "text": "The same short line again.", "fetch_time": None} for i in range(6)]
    source = write_input(spark, tables, tmp_path / "in", rows, SCHEMA)
    run_clean(spark, tables, source, tmp_path / "out", sets=[*OFF, *SPANS])
    docs, rejected, report = _texts(tables, tmp_path / "out")
    assert not docs and {r["reject_reason"] for r in rejected.values()} == {"length:too_short"}
    assert all(r["span_tokens_removed"] is None for r in rejected.values())
    spans = report["spans"]
    assert (spans["documents"], spans["tokens_removed"], spans["predicted_tokens_removed"], spans["top"]) == (
        0, 0, 0.0, [])
    assert read(tables, tmp_path / "out" / "documents") == {}
