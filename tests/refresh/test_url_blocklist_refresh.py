"""URL blocklists in the lake refresh (which runs clean's stages): blocked pages land in the lake's rejected
table with their list's reason and the refresh number, the log counts them per list, and a page on a
blocked site that a later batch brings is blocked too."""

from __future__ import annotations

import json
import random

import pytest

from corpussieve.clean.blocklist import write_domain_list

from .test_refresh import page, refresh, rows, write_jsonl

pytestmark = [pytest.mark.spark, pytest.mark.timeout(1800)]


def test_refresh_rejects_blocked_pages_unread(spark, tmp_path):
    rng = random.Random(11)
    footer = "Printed by the press."
    first = [page("quiet-news.example", n, rng, footer) for n in range(6)]
    first += [page("www.casino-site.example", n, rng, footer) for n in range(3)]
    first += [{**page("quiet-news.example", 99, rng, footer), "url": "https://quiet-news.example/poker/99"}]
    later = [page("blog.casino-site.example", n, rng, footer) for n in range(3, 5)]
    later += [page("quiet-news.example", n, rng, footer) for n in range(6, 8)]
    write_jsonl(tmp_path / "a", first)
    write_jsonl(tmp_path / "b", later)
    domains = write_domain_list(tmp_path / "lists" / "gambling.txt", ["casino-site.example"], header="gambling")
    sets = ["--set", f"clean.url_blocklist.lists=[{{name: gambling, path: '{domains}'}}]",
            "--set", "clean.url_blocklist.banned_words.words=[poker]"]
    lake = tmp_path / "lake"
    assert refresh(spark, lake, tmp_path / "a", *sets) == 0
    assert refresh(spark, lake, tmp_path / "b", *sets) == 0

    rejected = {r["id"]: r for r in rows(lake / "rejected")}
    blocked = {r["id"]: (r["reject_reasons"], r["refresh"]) for r in rejected.values()
               if r["reject_reason"].startswith("url_blocklist:")}
    assert blocked == {
        **{f"www.casino-site.example-{n}": (["url_blocklist:gambling"], 0) for n in range(3)},
        "quiet-news.example-99": (["url_blocklist:banned_words"], 0),
        **{f"blog.casino-site.example-{n}": (["url_blocklist:gambling"], 1) for n in range(3, 5)},
    }
    assert all(rejected[i]["text"] is None for i in blocked)
    documents = {r["id"] for r in rows(lake / "documents")}
    assert not documents & set(blocked) and len(documents) + len(rejected) == len(first) + len(later)
    log = [r for r in rows(lake / "refresh_log") if r["step"] == "clean"]

    details = {r["refresh"]: json.loads(r["details"]) for r in log}
    assert details[0]["url_blocklist_blocked"] == {"gambling": 3, "banned_words": 1}
    assert details[1]["url_blocklist_blocked"] == {"gambling": 2, "banned_words": 0}
    assert details[0]["rejected_by_filter"]["url_blocklist"] == 4
