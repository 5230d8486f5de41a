"""URL blocklists in the clean job on the shared session: planted blocked pages (pages that would fail
extraction among them) are rejected with their list's reason and never extracted, unblocked pages come out
exactly as in a run without lists over the input without the blocked pages, the report counts per list with
example URLs, and the step alone gives the same marks whatever the partitioning."""

from __future__ import annotations

import json
import random

import pytest

from corpussieve.clean import blocklist as B
from corpussieve.clean.domain import registered_domain

from .test_filters import GOOD
from .test_job import generated, read, run_clean, write_input

pytestmark = pytest.mark.spark

BLOCKED_SITE = "discovery-normal-2.news"  # one of the three generated sites, blocked whole (www. and blog.)
GOOD_HTML = ("<html><head><title>Budget</title></head><body><article>"
             + "".join(f"<p>{p}</p>" for p in GOOD.split("\n\n")) + "</article></body></html>")


def planted() -> list[dict]:
    """(id, url, html, text): pages each list blocks, some that would fail extraction if anything read them,
    and pages no list blocks."""
    rng = random.Random(5)
    binary = "".join(chr(rng.randrange(0, 32)) for _ in range(5000))  # extract:binary, were it read
    too_large = "<html><body>" + "<div>x</div>" * 500_000 + "</body></html>"  # 6 MB: extract:too_large
    rows = [
        ("blk-binary", "https://cdn.adult.test/x", binary, None),
        ("blk-too-large", "HTTP://WWW.ADULT.TEST.:80/big", too_large, None),
        ("blk-text", "adult.test/t", None, "Plain text input that the blocklist stops. " * 20),
        ("blk-idna", "https://shop.bücher.test/", binary, None),
        ("blk-phish", "http://www.login.bank.test/verify/?id=7", GOOD_HTML, None),
        ("blk-phish-below", "https://login.bank.test/verify/step/2", GOOD_HTML, None),
        ("blk-word", "https://games.example/best-casino-online", GOOD_HTML, None),
        ("blk-two-lists", "https://malware.adult.test/", binary, None),
        ("ok-lookalike", "https://notadult.test/story", GOOD_HTML, None),
        ("ok-sibling", "https://login.bank.test/verify-other", GOOD_HTML, None),
        ("ok-no-url", None, GOOD_HTML, None),
        ("ok-bad-url", "http://exa mple.com/", GOOD_HTML, None),
    ]
    return [{"id": i, "url": u, "html": h, "text": t, "source": "planted", "gen_kind": None, "gen_junk_kind": None}
            for i, u, h, t in rows]


EXPECTED = {
    "blk-binary": ["url_blocklist:ut1_adult"],
    "blk-too-large": ["url_blocklist:ut1_adult"],
    "blk-text": ["url_blocklist:ut1_adult"],
    "blk-idna": ["url_blocklist:ut1_adult"],
    "blk-phish": ["url_blocklist:phishing"],
    "blk-phish-below": ["url_blocklist:phishing"],
    "blk-word": ["url_blocklist:banned_words"],
    "blk-two-lists": ["url_blocklist:ut1_adult", "url_blocklist:ut1_malware"],
}


def list_sets(tmp_path) -> list[str]:
    root = B.write_ut1_folder(tmp_path / "ut1", {
        "adult": {"domains": ["adult.test", "BÜCHER.test", BLOCKED_SITE]},
        "malware": {"domains": ["0.0.0.0 malware.adult.test"]},
        "press": {"domains": ["notadult.test", "games.example"]},  # a category not chosen blocks nothing
    })
    phishing = B.write_domain_list(tmp_path / "phishing.txt", ["https://login.bank.test/verify"])
    return [
        f"clean.url_blocklist.lists=[{{name: ut1, path: '{root}', categories: [adult, malware]}}, "
        f"{{name: phishing, path: '{phishing}', format: urls, url_prefix: true}}]",
        "clean.url_blocklist.banned_words.words=[casino]",
    ]


@pytest.fixture(scope="module")
def runs(spark, tables, tmp_path_factory):
    base = tmp_path_factory.mktemp("url_blocklist")
    rows = generated(90) + planted()
    site_blocked = [r["id"] for r in rows if registered_domain(r["url"]) == BLOCKED_SITE]
    assert 20 <= len(site_blocked) <= 40
    source = write_input(spark, tables, base / "in", rows)
    summary = run_clean(spark, tables, source, base / "with", sets=list_sets(base))
    blocked = set(EXPECTED) | set(site_blocked)
    plain_source = write_input(spark, tables, base / "in_unblocked", [r for r in rows if r["id"] not in blocked])
    run_clean(spark, tables, plain_source, base / "without")
    return {"base": base, "rows": rows, "summary": summary, "site_blocked": site_blocked, "blocked": blocked,
            "documents": read(tables, base / "with" / "documents"), "rejected": read(tables, base / "with" / "rejected"),
            "plain_documents": read(tables, base / "without" / "documents"),
            "plain_rejected": read(tables, base / "without" / "rejected"),
            "report": json.loads((base / "with" / "report.json").read_text())}


def test_blocked_pages_are_rejected_unread_with_their_lists(runs):
    rejected = runs["rejected"]
    for row_id, reasons in {**EXPECTED, **{i: ["url_blocklist:ut1_adult"] for i in runs["site_blocked"]}}.items():
        row = rejected[row_id]
        # a page that had been read would carry extract:binary / extract:too_large (or be kept) as well
        assert row["reject_reasons"] == reasons and row["reject_reason"] == reasons[0], row_id
        assert row["text"] is None and row["quality"] is None and row["language"] is None, row_id
    assert not set(runs["blocked"]) & set(runs["documents"])
    for row_id in ("ok-lookalike", "ok-sibling", "ok-no-url", "ok-bad-url"):
        assert row_id in runs["documents"], row_id


def test_unblocked_pages_are_exactly_as_without_the_lists(runs):
    docs, plain = runs["documents"], runs["plain_documents"]
    assert docs == plain  # every column of every kept document, site boilerplate included
    unblocked_rejected = {k: v for k, v in runs["rejected"].items() if k not in runs["blocked"]}
    assert unblocked_rejected == runs["plain_rejected"]
    assert len(docs) + len(runs["rejected"]) == len(runs["rows"])


def test_report_counts_per_list_with_example_urls(runs):
    report, summary = runs["report"], runs["summary"]
    names = [s["name"] for s in report["stages"]]
    assert names[:3] == ["read", "url_blocklist", "prepare"]
    section = report["url_blocklist"]
    by_list = {e["name"]: e for e in section["lists"]}
    n_site = len(runs["site_blocked"])
    assert {k: v["documents"] for k, v in by_list.items()} == {
        "ut1_adult": 5 + n_site, "ut1_malware": 1, "phishing": 2, "banned_words": 1}
    assert by_list["ut1_adult"]["documents_first"] == 5 + n_site and by_list["ut1_malware"]["documents_first"] == 0
    assert summary["url_blocklist_blocked"] == report["metrics"]["url_blocklist_blocked"] == {
        k: v["documents"] for k, v in by_list.items()}
    assert by_list["phishing"]["example_urls"] == ["http://www.login.bank.test/verify/?id=7",
                                                   "https://login.bank.test/verify/step/2"]
    assert by_list["ut1_adult"]["entries"] == 3 and by_list["phishing"]["format"] == "urls"
    assert section["documents_blocked"] == len(runs["blocked"])
    assert section["urls_missing"] == 1 and section["urls_invalid"] == 1
    assert section["urls_checked"] == len(runs["rows"])
    assert report["metrics"]["rejected_by_filter"]["url_blocklist"] == len(runs["blocked"])
    assert set(report["metrics"]["worker_seconds"]) == {"url_blocklist", "prepare", "lines", "filters", "step_pii"}
    # the blocked pages never reached the input step: its document count is the unblocked rows'
    steps = {s["step"]: s for s in report["steps"]}
    assert steps["input"]["docs"] == len(runs["rows"]) - len(runs["blocked"])
    reasons = {r["reason"]: r for r in report["reasons"]}
    assert reasons["url_blocklist:phishing"]["description"].startswith("the page's URL is on the named blocklist")
    html = (runs["base"] / "with" / "report.html").read_text()
    assert "URL blocklists" in html and "login.bank.test/verify/step/2" in html


def test_the_report_says_when_the_step_is_off(runs):
    report = json.loads((runs["base"] / "without" / "report.json").read_text())
    assert report["url_blocklist"]["enabled"] is False and "clean.url_blocklist" in report["url_blocklist"]["note"]
    assert "url_blocklist" not in [s["name"] for s in report["stages"]]
    assert report["metrics"]["url_blocklist_blocked"] is None


def test_the_step_alone_is_partition_independent(spark, runs):
    from pyspark.sql import functions as F

    from corpussieve.clean import stages
    from corpussieve.clean.config import CleanConfig
    from corpussieve.config import build_config

    cfg: CleanConfig = build_config(sets=list_sets(runs["base"] / "alone")).clean
    blocklist = B.load_blocklist(cfg.url_blocklist)
    rows = [{"id": r["id"], "url": r["url"]} for r in runs["rows"]]
    expected_names, expected_status = blocklist.match_many([r["url"] for r in rows])
    expected = {r["id"]: ([f"url_blocklist:{n}" for n in names], st)
                for r, names, st in zip(rows, expected_names, expected_status)}
    shared = spark.sparkContext.broadcast(blocklist)
    before = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    try:
        df = spark.createDataFrame(rows, "id string, url string")
        for partitions, batch_rows in ((1, 1000), (3, 7), (5, 1)):
            spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
            marked = stages.url_blocklist(df.repartition(partitions, F.rand(partitions)), shared)
            got = {r["id"]: (list(r["__url_reasons"]), r["__url_check"]) for r in marked.collect()}
            assert got == expected, (partitions, batch_rows)
    finally:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", before)
        shared.unpersist()
