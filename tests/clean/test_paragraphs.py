"""Paragraph dedup across documents (clean's paragraphs stage): the batch kernels against brute force, the
removal rules' priorities, and the Spark job against a plain-Python reference (split, normalize, hash, count,
first by the keep order, remove) on small corpora, with identical outputs whatever the partitioning."""

from __future__ import annotations

import json
import random
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pytest
import xxhash

from corpussieve.clean import arrowfns
from corpussieve.clean.config import CleanConfig
from corpussieve.clean.lines import normalize_line, rejoin, split_lines
from corpussieve.clean.paragraphs import paragraph_keys
from corpussieve.clean.sitelines import hash_batch_lines
from corpussieve.dedup.keep import choose_kept
from corpussieve.sample.corpus import CorpusGenerator, CorpusSpec
from corpussieve.sample.textgen import SentenceMaker


def line_hash(line: str) -> tuple[int, int]:
    """(signed xxh3 of the normalized line, 0 when empty; its normalized length), one line at a time."""
    folded = normalize_line(line)
    if not folded:
        return 0, 0
    value = xxhash.xxh3_64_intdigest(folded.encode("utf-8"))
    return (value - (1 << 64) if value >= 1 << 63 else value), len(folded)


def brute_paragraphs(text: str, min_chars: int) -> list[int]:
    return sorted({h for h, n in map(line_hash, split_lines(text)) if n >= min_chars})


# -- the batch kernels ---------------------------------------------------------------------------------------
def test_paragraph_keys_are_each_documents_distinct_long_lines():
    rng = random.Random(4)
    maker = SentenceMaker(rng)
    pool = [maker.paragraph(rng.randrange(1, 4)) for _ in range(12)] + ["short line", "", "  ", "Ok."]
    docs = [[rng.choice(pool).upper() if rng.random() < 0.2 else rng.choice(pool) for _ in range(rng.randrange(0, 9))]
            for _ in range(60)]
    cfg = CleanConfig().lines
    found = {}
    for min_chars in (20, 120, 200):
        offsets, hashes = paragraph_keys(hash_batch_lines(docs, cfg), min_chars)
        got = [hashes[offsets[i]:offsets[i + 1]].tolist() for i in range(len(docs))]
        assert got == [brute_paragraphs("\n".join(d), min_chars) for d in docs]
        found[min_chars] = sum(map(len, got))
    assert found[20] > found[120] > found[200] > 5


def _batch(texts, drop_lists, site_lists=None):
    cfg = CleanConfig()
    batch = pa.record_batch({"id": [f"d{i}" for i in range(len(texts))], "text": texts})
    prepared = arrowfns.prepare_batch(batch, cfg)
    prepared = prepared.append_column("__paragraph_drop", pa.array(drop_lists, pa.list_(pa.int64())))
    if site_lists is not None:
        prepared = prepared.append_column("__site_lines", pa.array(site_lists, pa.list_(pa.int64())))
    return prepared


def test_remove_drops_every_copy_counts_and_says_why_a_document_emptied():
    maker = SentenceMaker(random.Random(9))
    p, q = maker.paragraph(5), maker.paragraph(5)
    (hp, _), (hq, _) = line_hash(p), line_hash(q)
    texts = [f"Title\n{p}\n\n{p.lower()}\nEnd of story.", p, f"{q}\n{p}", p]
    prepared = _batch(texts, [[hp], [hp], [hp, hq], None], site_lists=[None, None, [hq], None])
    out = arrowfns.remove_batch(prepared, np.zeros(0, dtype=np.int64), np.array([hp], dtype=np.int64))
    assert out.column("text").to_pylist() == ["Title\n\nEnd of story.", "", "", p]  # the break stays once
    assert out.column("__lines_paragraph").to_pylist() == [2, 1, 1, 0]  # both copies of doc 0 (case folded)
    assert out.column("__lines_site").to_pylist() == [0, 0, 1, 0]  # q is the site's: the site rule counts it
    assert out.column("__chars_paragraph").to_pylist() == [2 * len(p), len(p), len(p), 0]
    assert out.column("__reasons").to_pylist() == [[], ["paragraphs:no_text_left"], ["paragraphs:no_text_left"], []]
    assert out.column("__sample_lines").to_pylist()[1] == [{"hash": hp, "line": p[:arrowfns.EXCERPT_CHARS]}]
    assert not {"__paragraphs", "__paragraph_drop"} & set(out.schema.names)
    # a document emptied by the line rules alone keeps the site-lines reason
    emptied = arrowfns.remove_batch(_batch([q], [[]], site_lists=[[hq]]), np.zeros(0, dtype=np.int64))
    assert emptied.column("__reasons").to_pylist() == [["site_lines:no_text_left"]]


def test_prepare_adds_no_paragraph_column_when_the_stage_is_off():
    cfg = CleanConfig.model_validate({"paragraphs": {"enabled": False}})
    out = arrowfns.prepare_batch(pa.record_batch({"id": ["a"], "text": ["x " * 200]}), cfg)
    assert "__paragraphs" not in out.schema.names
    assert "__paragraphs" not in [f.name for f in arrowfns.prepare_columns(cfg)[0]]


# -- the Spark stage against the reference ----------------------------------------------------------------------
SCHEMA = "id string, url string, text string, fetch_time string"
#: every filter but length (its signal keeps the quality struct non-empty; no filter but c4 edits the text)
OFF = [f"clean.filters.{name}.enabled=false"
       for name in ("c4", "language", "gopher_quality", "gopher_repetition", "fineweb")]
LINES = ["clean.lines.min_corpus_docs=8", "clean.lines.min_corpus_sites=3"]


def corpus_rows() -> list[dict]:
    """Generated articles with syndicated passages (exact repeated paragraphs), near and exact duplicates,
    plus planted cases: keep-order ties, a null fetch time, a page that is only a copy, a long line that is
    corpus-wide boilerplate (<= 300 normalized chars) and a long line that is one site's boilerplate and also
    on another site."""
    gen = CorpusGenerator(CorpusSpec(docs=110, seed=13, docs_per_site=22, span_fraction=0.5, span_pool=5,
                                     junk_fraction=0.0))
    rows = [{k: r.get(k) for k in ("id", "url", "text", "fetch_time")} for r in map(gen.record, range(110))]
    maker = SentenceMaker(random.Random(21))
    tie, nulls = maker.paragraph(4), maker.paragraph(4)
    notice = ("Notice: this article is provided for information only and does not constitute advice; "
              "readers should consult a qualified professional before acting on anything described here, "
              "and the publisher accepts no liability.")
    assert 200 <= len(normalize_line(notice)) <= 300
    same_time = "2024-03-01T00:00:00Z"
    for n, site in enumerate(("alpha", "beta", "gamma")):  # three ties on fetch_time: the lowest id keeps
        rows.append({"id": f"tie-{2 - n}", "url": f"https://{site}.example/t{n}", "fetch_time": same_time,
                     "text": f"{maker.paragraph(3)}\n{tie}\n{maker.paragraph(3)}"})
    rows.append({"id": "only-a-copy", "url": "https://epsilon.example/c", "fetch_time": "2024-12-31T00:00:00Z",
                 "text": tie})  # emptied by paragraph dedup
    rows.append({"id": "aaa-null-time", "url": "https://delta.example/n", "fetch_time": None,
                 "text": f"{nulls}\n{maker.paragraph(3)}"})
    rows.append({"id": "zzz-timed", "url": "https://delta.example/m", "fetch_time": "2024-12-30T00:00:00Z",
                 "text": f"{maker.paragraph(3)}\n{nulls}"})
    for n in range(12):  # a short-enough long line on 12 pages of 4 sites: corpus-wide boilerplate
        rows.append({"id": f"notice-{n:02d}", "url": f"https://site{n % 4}.example/p{n}",
                     "fetch_time": f"2024-05-{n + 1:02d}T00:00:00Z", "text": f"{maker.paragraph(4)}\n{notice}"})
    house = maker.paragraph(5)  # on every page of one site (its boilerplate), and on one page elsewhere
    for n in range(6):
        rows.append({"id": f"house-{n}", "url": f"https://house.example/p{n}", "fetch_time": "2024-01-01T00:00:00Z",
                     "text": f"{maker.paragraph(4)}\n{house}"})
    rows.append({"id": "house-elsewhere", "url": "https://other.example/p", "fetch_time": "2024-12-31T00:00:00Z",
                 "text": f"{house}\n{maker.paragraph(4)}"})
    return rows


def reference(prepared: list[dict], rows: dict[str, dict], site_sets: dict, corpus: set, keep: str,
              min_chars: int = 200) -> dict[str, dict]:
    """The rule in plain Python: id -> {text, reason} after the line rules and paragraph dedup."""
    lines_of, holders = {}, defaultdict(list)
    for doc in prepared:
        if doc["text"] is None:
            continue
        lines = split_lines(doc["text"])
        hashes = [line_hash(line) for line in lines]
        lines_of[doc["id"]] = (lines, hashes, site_sets.get(doc["__site"], set()))
        if doc["__reasons"]:
            continue
        site = site_sets.get(doc["__site"], set())
        for h in {h for h, n in hashes if n >= min_chars and h not in site and h not in corpus}:
            holders[h].append(rows[doc["id"]])
    drop = defaultdict(set)
    for h, docs in holders.items():
        first = choose_kept(docs, keep)
        for doc in docs:
            if doc["id"] != first:
                drop[doc["id"]].add(h)
    out = {}
    for doc_id, (lines, hashes, site) in lines_of.items():
        rule = [("site" if h in site else "corpus" if h in corpus else "paragraph" if h in drop[doc_id] else None)
                if h != 0 else None for h, _ in hashes]
        text = rejoin(lines, [r is None for r in rule]) if any(rule) else rejoin(lines)
        reason = None
        if any(rule) and not text.strip():
            reason = "paragraphs:no_text_left" if "paragraph" in rule else "site_lines:no_text_left"
        out[doc_id] = {"text": text, "reason": reason, "paragraphs": rule.count("paragraph")}
    return out


def _prepared_and_lines(spark, rows, sets):
    import pandas as pd

    from corpussieve.clean.sitelines import find_boilerplate
    from corpussieve.clean.stages import prepare
    from corpussieve.config import build_config

    cfg = build_config(sets=sets).clean
    prepared = prepare(spark.createDataFrame(pd.DataFrame(rows), SCHEMA), cfg).select(
        "id", "text", "__site", "__reasons", "__line_keys").collect()
    docs = [(r["__site"], [(k["hash"], k["short"]) for k in r["__line_keys"]])
            for r in prepared if r["text"] is not None]
    site_sets, corpus = find_boilerplate(docs, cfg.lines)
    return [r.asDict() for r in prepared], site_sets, corpus


@pytest.fixture(scope="module")
def planted(spark, tables, tmp_path_factory):
    from .test_job import write_input

    base = tmp_path_factory.mktemp("paragraphs")
    rows = corpus_rows()
    source = write_input(spark, tables, base / "in", rows, SCHEMA)
    prepared, site_sets, corpus = _prepared_and_lines(spark, rows, LINES)
    return {"base": base, "rows": rows, "source": source, "prepared": prepared, "site_sets": site_sets,
            "corpus": corpus}


def _outputs(tables, out):
    from .test_job import read

    docs, rejected = read(tables, out / "documents"), read(tables, out / "rejected")
    return docs, rejected, json.loads((out / "report.json").read_text())


def _check_against_reference(planted, tables, out, keep):
    docs, rejected, report = _outputs(tables, out)
    rows = {r["id"]: r for r in planted["rows"]}
    want = reference(planted["prepared"], rows, planted["site_sets"], planted["corpus"], keep)
    got = {**{i: {"text": d["text"], "reason": None} for i, d in docs.items()},
           **{i: {"text": r["text"], "reason": r["reject_reason"]} for i, r in rejected.items()}}
    assert set(got) == set(rows)
    for doc_id, expected in want.items():
        assert got[doc_id]["text"] == expected["text"], doc_id
        if expected["reason"] is not None:
            assert got[doc_id]["reason"] == expected["reason"], doc_id
        else:
            assert got[doc_id]["reason"] in (None, "length:too_short"), doc_id
    removed = sum(w["paragraphs"] for w in want.values())
    assert report["metrics"]["paragraphs_removed"] == removed > 20
    assert report["metrics"]["docs_with_paragraphs_removed"] == sum(w["paragraphs"] > 0 for w in want.values())
    return docs, rejected, report, want


@pytest.mark.spark
def test_spark_paragraph_dedup_matches_the_reference_whatever_the_partitioning(spark, tables, planted):
    from .test_job import run_clean

    base = planted["base"]
    run_clean(spark, tables, planted["source"], base / "a", sets=[*OFF, *LINES])
    shuffle = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "7")
    try:
        run_clean(spark, tables, planted["source"], base / "b",
                  sets=[*OFF, *LINES, "clean.job.docs_per_partition=9", "clean.job.batch_rows=4",
                        "clean.paragraphs.broadcast_max_rows=0"])  # the shuffle join of the drop lists
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", shuffle)
    a = _check_against_reference(planted, tables, base / "a", "earliest_fetch_time")
    b = _check_against_reference(planted, tables, base / "b", "earliest_fetch_time")
    assert a[0] == b[0] and a[1] == b[1]
    assert a[2]["paragraphs"].pop("broadcast") is True and b[2]["paragraphs"].pop("broadcast") is False
    assert a[2]["paragraphs"] == b[2]["paragraphs"] and b[2]["stages"][0]["partitions"] >= 12
    docs, rejected, report, _ = a
    text = {**{i: d["text"] for i, d in docs.items()}, **{i: r["text"] for i, r in rejected.items()}}
    # ties on fetch_time fall to the lowest id; a null fetch time sorts last
    shared = split_lines(next(r for r in planted["rows"] if r["id"] == "tie-0")["text"])[1]
    assert [shared in text[f"tie-{n}"] for n in range(3)] == [True, False, False]
    nulls = split_lines(next(r for r in planted["rows"] if r["id"] == "zzz-timed")["text"])[1]
    assert nulls in text["zzz-timed"] and nulls not in text["aaa-null-time"]
    # the corpus-wide long line leaves every page; one site's house paragraph stays on the page elsewhere
    house = split_lines(next(r for r in planted["rows"] if r["id"] == "house-elsewhere")["text"])[0]
    assert house in text["house-elsewhere"] and not any(house in text[f"house-{n}"] for n in range(6))
    assert not any("does not constitute advice" in text[f"notice-{n:02d}"] for n in range(12))
    assert rejected["only-a-copy"]["reject_reason"] == "paragraphs:no_text_left"
    section = report["paragraphs"]
    assert section["repeated"] >= 5 and section["keep"] == "earliest_fetch_time" and section["min_chars"] == 200
    top = section["top"]
    assert top and all(t["paragraph"] and t["docs"] >= 2 and t["first_id"] for t in top)
    assert [t["docs"] for t in top] == sorted((t["docs"] for t in top), reverse=True)
    assert report["metrics"]["paragraph_chars_removed"] > 200 * report["metrics"]["paragraphs_removed"] // 2
    assert [s["name"] for s in report["stages"]] == ["read", "prepare", "site_lines", "paragraphs", "filters",
                                                     "write", "report"]
    html = (base / "a" / "report.html").read_text()
    assert "Repeated paragraphs" in html and top[0]["paragraph"][:40] in html


@pytest.mark.spark
def test_longest_text_keeps_the_paragraph_in_the_longest_input(spark, tables, planted):
    from .test_job import run_clean

    out = planted["base"] / "longest"
    run_clean(spark, tables, planted["source"], out, sets=[*OFF, *LINES, "dedup.keep=longest_text"])
    _, _, report, _ = _check_against_reference(planted, tables, out, "longest_text")
    assert report["paragraphs"]["keep"] == "longest_text"


@pytest.mark.spark
def test_the_stage_turned_off_removes_no_paragraph(spark, tables, planted):
    from .test_job import run_clean

    out = planted["base"] / "off"
    run_clean(spark, tables, planted["source"], out, sets=[*OFF, *LINES, "clean.paragraphs.enabled=false"])
    docs, rejected, report = _outputs(tables, out)
    assert report["metrics"]["paragraphs_removed"] == 0 and "paragraphs" not in report
    assert "paragraphs" not in [s["name"] for s in report["stages"]]
    assert not any(r["reject_reason"] == "paragraphs:no_text_left" for r in rejected.values())
