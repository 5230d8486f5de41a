"""The clean Spark job end to end: outputs, bad input, determinism, the site-lines stage, re-thresholding."""

from __future__ import annotations

import json
import random
from argparse import Namespace

import pandas as pd
import pytest

from corpussieve.clean.config import CleanConfig, LineBoilerplateConfig
from corpussieve.clean.reasons import JUNK_EXPECTED_FAMILIES, families_of
from corpussieve.errors import InputError
from corpussieve.reasons import describe, undeclared
from corpussieve.sample.corpus import CorpusGenerator, CorpusSpec

from .test_filters import GOOD

pytestmark = pytest.mark.spark

SCHEMA = "id string, url string, text string, html string, source string, gen_kind string, gen_junk_kind string"
GOOD_PARAGRAPH = (
    "The city council approved the new budget on Tuesday after a long debate about the cost of repairs to "
    "the old bridge. Members of the public were invited to speak, and many of them said that the libraries "
    "should stay open for longer hours during the winter."
)


def generated(docs: int, seed: int = 11) -> list[dict]:
    gen = CorpusGenerator(CorpusSpec(docs=docs, seed=seed, docs_per_site=30))
    keys = ["id", "url", "text", "html", "source", "gen_kind", "gen_junk_kind"]
    return [{k: record.get(k) for k in keys} for record in map(gen.record, range(docs))]


def bad_rows() -> list[dict]:
    """One row per kind of bad input; the id says what it is."""
    rng = random.Random(5)
    garbage = "".join(chr(rng.randrange(0, 256)) for _ in range(5000))
    big = "<html><body>" + "<p>" + "word " * 200 + "</p>" * 1 + ("<div>x</div>" * 1_700_000) + "</body></html>"
    undecodable = ("<html><body><p>" + b"\xff\xfe\xfa\xfb caf\xe9 ".decode("utf-8", errors="replace") * 400
                   + "</p></body></html>")
    broken = GOOD.replace("city council", "cafÃ© council").split("\n\n")  # UTF-8 read as Latin-1
    mojibake = ("<html><head><title>Budget</title></head><body><article>"
                + "".join(f"<p>{p}</p>" for p in broken) + "</article></body></html>")
    rows = [
        ("bad-not-html", "Just a plain sentence with no markup at all, repeated. " * 30, None),
        ("bad-binary", garbage, None),
        ("bad-20mb", big, None),
        ("bad-undecodable", undecodable, None),
        ("bad-mojibake", mojibake, None),
        ("bad-empty-html", "", None),
        ("bad-empty-both", "", ""),
        ("bad-null-both", None, None),
        ("bad-whitespace-text", None, "   \n\t  "),
        ("bad-huge-text", None, "word " * 1_200_000),
    ]
    return [{"id": i, "url": f"https://bad.example/{i}", "html": h, "text": t, "source": "bad", "gen_kind": None,
             "gen_junk_kind": None} for i, h, t in rows]


EXPECTED_BAD = {
    "bad-not-html": "extract:not_html",
    "bad-binary": "extract:binary",
    "bad-20mb": "extract:too_large",
    "bad-undecodable": "extract:binary",
    "bad-empty-html": "input:empty",
    "bad-empty-both": "input:empty",
    "bad-null-both": "input:empty",
    "bad-whitespace-text": "input:empty",
    "bad-huge-text": "input:too_large",
}


def write_input(spark, tables, path, rows, schema=SCHEMA):
    df = spark.createDataFrame(pd.DataFrame(rows), schema) if rows else spark.createDataFrame([], schema)
    tables.write(df, str(path), "overwrite")
    return str(path)


def run_clean(spark, tables, source, output, sets=()):
    from corpussieve.cli import JobContext
    from corpussieve.clean import job
    from corpussieve.config import build_config
    from corpussieve.runlog import JobRun

    config = build_config(sets=list(sets))
    ctx = JobContext(spark=spark, tables=tables, config=config, run=JobRun("clean", config))
    args = Namespace(input=str(source), output=str(output), conf=[], sets=list(sets))
    return job.run(ctx, args)


def read(tables, path):
    return {r["id"]: r.asDict(recursive=True) for r in tables.read(str(path)).collect()}


@pytest.fixture(scope="module")
def mixed_run(spark, tables, tmp_path_factory):
    base = tmp_path_factory.mktemp("clean_job")
    rows = generated(180) + bad_rows()
    source = write_input(spark, tables, base / "in", rows)
    summary = run_clean(spark, tables, source, base / "out")
    return {"base": base, "rows": rows, "source": source, "summary": summary,
            "documents": read(tables, base / "out" / "documents"), "rejected": read(tables, base / "out" / "rejected")}


def test_every_row_lands_in_exactly_one_output(mixed_run):
    docs, rejected, rows = mixed_run["documents"], mixed_run["rejected"], mixed_run["rows"]
    assert len(docs) + len(rejected) == len(rows)
    assert set(docs) | set(rejected) == {r["id"] for r in rows} and not set(docs) & set(rejected)
    summary = mixed_run["summary"]
    assert summary["kept"] == len(docs) and summary["rejected_rows"] == len(rejected)
    assert len(docs) > 0.75 * len(rows)


def test_bad_input_is_rejected_with_a_reason(mixed_run):
    rejected = mixed_run["rejected"]
    for row_id, reason in EXPECTED_BAD.items():
        assert rejected[row_id]["reject_reasons"] == [reason], row_id
        assert rejected[row_id]["reject_reason"] == reason and rejected[row_id]["reject_detail"] is None
        assert rejected[row_id]["quality"] is None and rejected[row_id]["text"] is None
    repaired = mixed_run["documents"]["bad-mojibake"]  # broken encoding that can be repaired is kept
    assert "café council" in repaired["text"] and "Ã" not in repaired["text"]


def test_outputs_columns_and_signals(mixed_run):
    docs, rejected = mixed_run["documents"], mixed_run["rejected"]
    doc = next(iter(docs.values()))
    assert {"id", "url", "text", "source", "gen_kind", "language", "language_score", "quality"} <= set(doc)
    assert "html" not in doc and not any(k.startswith("__") for k in doc)
    assert set(doc["quality"]) == {"c4", "length", "language", "gopher_quality", "gopher_repetition", "fineweb"}
    assert all(d["language"] == "en" and d["text"] and "<" not in d["text"][:50] for d in docs.values()
               if d["gen_kind"] == "article")
    filtered = [r for r in rejected.values() if r["quality"] is not None]
    assert filtered and all(r["reject_reason"] == r["reject_reasons"][0] for r in filtered)
    assert set(next(iter(rejected.values()))) == set(doc) | {"reject_reason", "reject_reasons", "reject_detail"}
    assert list(next(iter(rejected.values())))[-3:] == ["reject_reason", "reject_reasons", "reject_detail"]
    assert undeclared(code for r in rejected.values() for code in r["reject_reasons"]) == []


def test_generated_junk_is_rejected_for_the_right_reason(mixed_run):
    junk = [r for r in mixed_run["rows"] if r["gen_junk_kind"]]
    assert junk
    rejected = mixed_run["rejected"]
    for row in junk:
        assert row["id"] in rejected, row["gen_junk_kind"]
        assert families_of(rejected[row["id"]]["reject_reasons"]) & set(JUNK_EXPECTED_FAMILIES[row["gen_junk_kind"]])


def test_report_json_and_html(mixed_run):
    out = mixed_run["base"] / "out"
    report = json.loads((out / "report.json").read_text())
    metrics = report["metrics"]
    assert metrics["docs_in"] == len(mixed_run["rows"]) == metrics["kept"] + metrics["rejected"]
    assert sum(metrics["rejected_by_filter"].values()) == metrics["rejected"]
    assert metrics["rejected_by_first_reason"]["extract:binary"] == 2
    assert [s["name"] for s in report["stages"]] == ["read", "prepare", "site_lines", "paragraphs", "filters", "write",
                                                     "report"]
    steps = {s["step"]: s for s in report["steps"]}
    assert steps["input"]["chars"] > steps["extract"]["chars"] > 0
    assert steps["input"]["docs"] == len(mixed_run["rows"]) - 4  # the four empty inputs have no input step
    assert steps["filters"]["chars_of_kept_docs"] == sum(len(d["text"]) for d in mixed_run["documents"].values())
    examples = report["rejection_examples"]
    assert [e["id"] for e in examples["extract:binary"]] == ["bad-binary", "bad-undecodable"]
    assert all(len(e["excerpt"] or "") <= 200 for items in examples.values() for e in items)
    assert set(report["boilerplate"]) >= {"site_boilerplate_lines", "corpus_boilerplate_lines", "top_lines"}
    assert set(metrics["worker_seconds"]) == {"prepare", "lines", "filters", "step_pii"}  # one per document step
    first = {r["reason"]: r for r in report["reasons"]}
    assert {code: r["documents"] for code, r in first.items()} == metrics["rejected_by_first_reason"]
    assert {r["reason"]: r["documents"] for r in report["reasons_any"]} == metrics["reasons_any"]
    assert first["extract:binary"]["description"] == describe("extract:binary")
    assert all(r["description"] for r in report["reasons"] + report["reasons_any"])
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "extract:binary" in html
    assert describe("extract:binary") in html
    assert "<script" not in html and "http://" not in html.split("</style>")[0]


def test_text_inputs_lose_their_site_chrome(spark, tables, tmp_path):
    from collections import Counter, defaultdict

    from corpussieve.clean.domain import registered_domain

    rows = [dict(r, html=None) for r in generated(150, seed=4) if r["gen_kind"] == "article"]
    source = write_input(spark, tables, tmp_path / "in", rows)
    summary = run_clean(spark, tables, source, tmp_path / "out")
    docs = read(tables, tmp_path / "out" / "documents")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    # chrome: whole lines found in at least half of a site's pages (nav, tagline, footer)
    site_of = {r["id"]: registered_domain(r["url"]) for r in rows}
    per_site: dict[str, Counter] = defaultdict(Counter)
    sizes = Counter(site_of.values())
    for r in rows:
        per_site[site_of[r["id"]]].update(set(r["text"].split("\n")))
    chrome = {site: {line for line, n in lines.items() if n >= max(5, sizes[site] / 2)}
              for site, lines in per_site.items() if sizes[site] >= 5}
    assert sum(len(c) for c in chrome.values()) >= 20
    bodies = {r["id"]: [" ".join(p.split()) for p in r["text"].split("\n") if len(p) > 200]
              for r in rows}  # article paragraphs (repair squeezes their spaces)
    holders = Counter(p for body in bodies.values() for p in set(body))
    for row_id, doc in docs.items():
        lines = set(doc["text"].split("\n"))
        assert not lines & chrome.get(site_of[row_id], set()), row_id
        assert all(p in lines for p in bodies[row_id] if holders[p] == 1), row_id
    # a paragraph several pages carry (a syndicated passage) stays in one of them only (paragraph dedup)
    kept_lines = [set(doc["text"].split("\n")) for doc in docs.values()]
    repeated = [p for p, n in holders.items() if n > 1]
    assert repeated and all(sum(p in lines for lines in kept_lines) <= 1 for p in repeated)
    assert summary["boilerplate_lines_removed"] > 5 * len(docs)
    assert report["boilerplate"]["sites_with_boilerplate"] >= 3
    assert all(line["line"] for line in report["boilerplate"]["top_lines"])
    assert len(docs) >= 0.9 * len(rows)


def test_same_output_whatever_the_partitioning(spark, tables, tmp_path):
    rows = generated(90, seed=21) + bad_rows()[:3]
    for r in rows[::2]:
        r["html"] = None  # a mix of html and text inputs
    source = write_input(spark, tables, tmp_path / "in", rows)
    compression = "spark.sql.inMemoryColumnarStorage.compressed"
    session_setting = spark.conf.get(compression)
    run_clean(spark, tables, source, tmp_path / "a")
    run_clean(spark, tables, source, tmp_path / "b",
              sets=["clean.job.docs_per_partition=7", "clean.job.batch_rows=5", "clean.job.compress_cache=true"])
    assert spark.conf.get(compression) == session_setting  # the job's own setting does not leak
    for name in ("documents", "rejected"):
        a, b = read(tables, tmp_path / "a" / name), read(tables, tmp_path / "b" / name)
        assert a == b and a
    report_a = json.loads((tmp_path / "a" / "report.json").read_text())
    report_b = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report_a["boilerplate"] == report_b["boilerplate"]
    assert report_a["rejection_examples"] == report_b["rejection_examples"]
    assert report_b["stages"][0]["partitions"] >= 14


def test_spark_site_lines_match_the_reference(spark, tables, tmp_path):
    from corpussieve.clean.sitelines import find_boilerplate
    from corpussieve.clean.stages import find_site_lines, line_counts, prepare

    rows = [dict(r, html=None) for r in generated(120, seed=8)]
    cfg = CleanConfig(lines=LineBoilerplateConfig(min_corpus_docs=10, min_corpus_sites=2, min_site_size=5))
    df = spark.createDataFrame(pd.DataFrame(rows), SCHEMA).repartition(3)
    prepared = prepare(df, cfg).cache()
    site, corpus = find_site_lines(*line_counts(prepared), cfg)
    got_site: dict[str, set[int]] = {}
    for r in site.collect():
        got_site.setdefault(r["site"], set()).add(r["hash"])
    got_corpus = {r["hash"] for r in corpus.collect()}
    docs = [(r["__site"], [(k["hash"], k["short"]) for k in r["__line_keys"]])
            for r in prepared.filter("text is not null").select("__site", "__line_keys").collect()]
    want_site, want_corpus = find_boilerplate(docs, cfg.lines)
    prepared.unpersist()
    assert got_site == want_site and got_corpus == want_corpus
    assert len(want_site) >= 3 and want_corpus


def test_a_page_that_times_out_inside_spark_is_rejected(spark, tables, tmp_path):
    slow = "<html><body><article>" + ('<div class="c"><p>Some words about the topic of the day, with more '
                                      'words after them.</p><span>x</span></div>') * 12000 + "</article></body></html>"
    quick = "<html><body><article>" + "".join(f"<p>{p}</p>" for p in GOOD.split("\n\n")) + "</article></body></html>"
    rows = [{"id": "slow", "url": "https://a.example/slow", "html": slow},
            {"id": "quick", "url": "https://a.example/quick", "html": quick}]
    source = write_input(spark, tables, tmp_path / "in", rows, "id string, url string, html string")
    run_clean(spark, tables, source, tmp_path / "out", sets=["clean.extraction.timeout_seconds=0.5"])
    rejected = read(tables, tmp_path / "out" / "rejected")
    docs = read(tables, tmp_path / "out" / "documents")
    assert rejected["slow"]["reject_reasons"] == ["extract:timeout"]
    assert "quick" in docs and "text" in docs["quick"] and "html" not in docs["quick"]


def test_input_errors_name_the_table_and_rows(spark, tables, tmp_path):
    no_body = write_input(spark, tables, tmp_path / "nobody", [{"id": "a", "url": "u"}], "id string, url string")
    with pytest.raises(InputError, match=r"nobody.*none of the columns html, text"):
        run_clean(spark, tables, no_body, tmp_path / "o1")
    dup_rows = [{"id": i, "text": "x"} for i in ["a", "b", "a", "c", "c", "d"]]
    dups = write_input(spark, tables, tmp_path / "dups", dup_rows, "id string, text string")
    with pytest.raises(InputError, match=r"dups.*'id'.*2 ids appear more than once.*'a', 'c'"):
        run_clean(spark, tables, dups, tmp_path / "o2")
    nulls = write_input(spark, tables, tmp_path / "nulls", [{"id": None, "text": "x", "url": "https://n.example/1"},
                                                            {"id": "b", "text": "y", "url": None}],
                        "id string, text string, url string")
    with pytest.raises(InputError, match=r"nulls.*1 row has a null id.*n.example/1"):
        run_clean(spark, tables, nulls, tmp_path / "o3")
    wrong = write_input(spark, tables, tmp_path / "wrong", [{"id": "a", "text": 3}], "id string, text long")
    with pytest.raises(InputError, match=r"wrong.*'text'.*wrong column type"):
        run_clean(spark, tables, wrong, tmp_path / "o4")
    assert not (tmp_path / "o2" / "documents").exists()


def test_rethreshold_reproduces_and_changes_verdicts(mixed_run, tables):
    from corpussieve.clean import rethreshold

    out = mixed_run["base"] / "out"
    both = tables.read(str(out / "documents")).unionByName(tables.read(str(out / "rejected")),
                                                           allowMissingColumns=True)
    same = {r["id"]: r for r in rethreshold(both, CleanConfig()).collect()}
    for row_id, row in same.items():
        assert row["reasons_rethresholded"] == list(row["reject_reasons"] or []), row_id
    stricter = CleanConfig.model_validate({"filters": {"gopher_quality": {"min_words": 400}}})
    judged = {r["id"]: r for r in rethreshold(both, stricter).collect()}
    newly = [i for i, r in judged.items() if not r["kept_rethresholded"] and same[i]["kept_rethresholded"]]
    assert newly and all("gopher_quality:too_few_words" in judged[i]["reasons_rethresholded"] for i in newly)
    assert judged["bad-binary"]["reasons_rethresholded"] == ["extract:binary"]
