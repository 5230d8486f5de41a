"""Quality bars through the Spark job: extraction on the 92 aeb-dev pages, good text kept, junk rejected."""

from __future__ import annotations

import random

import pytest

from corpussieve.clean.reasons import JUNK_EXPECTED_FAMILIES, families_of
from corpussieve.clean.scoring import score_extractions
from corpussieve.sample.junk import JUNK_KINDS, make_junk_page

from .test_job import read, run_clean, write_input

pytestmark = [pytest.mark.spark, pytest.mark.slow]

JUNK_PER_KIND = 14


def test_aeb_dev_pages_through_the_job(spark, tables, tmp_path, aeb_dev):
    rows = [{"id": key, "url": page["url"], "html": page["html"]} for key, page in aeb_dev.items()]
    source = write_input(spark, tables, tmp_path / "html_in", rows, "id string, url string, html string")
    run_clean(spark, tables, source, tmp_path / "html_out")
    out = read(tables, tmp_path / "html_out" / "documents") | read(tables, tmp_path / "html_out" / "rejected")
    assert set(out) == set(aeb_dev)
    score = score_extractions({k: r["text"] for k, r in out.items()}, {k: p["truth"] for k, p in aeb_dev.items()})
    # trafilatura at its best setting (no comments, favor_precision): F1 0.973, P 0.966, R 0.979
    assert score.f1 >= 0.973 and score.precision >= 0.966 and score.empty == 0, score

    truth_rows = [{"id": key, "url": page["url"], "text": page["truth"]} for key, page in aeb_dev.items()]
    source = write_input(spark, tables, tmp_path / "text_in", truth_rows, "id string, url string, text string")
    run_clean(spark, tables, source, tmp_path / "text_out")
    rejected = read(tables, tmp_path / "text_out" / "rejected")
    assert len(rejected) <= 0.05 * len(aeb_dev), {k: r["reject_reasons"] for k, r in rejected.items()}


@pytest.mark.parametrize("field", ["html", "text"])
def test_junk_through_the_job(spark, tables, tmp_path, field):
    sites = [{"name": f"Site {s}", "domain": f"site{s}.test", "nav": ["Home", "World", "Money", f"Section {s}"],
              "cookie": "We use cookies to improve your experience.", "footer_links": ["About Us", "Careers"]}
             for s in range(3)]
    rows = []
    for kind in JUNK_KINDS:
        for i in range(JUNK_PER_KIND):
            rng = random.Random(f"{kind}:{i}")
            site = sites[i % len(sites)]
            page = make_junk_page(kind, rng, site)
            rows.append({"id": f"{kind}-{i}", "url": f"https://www.{site['domain']}/{kind}/{i}", field: page[field],
                         "kind": kind})
    source = write_input(spark, tables, tmp_path / "in", rows, f"id string, url string, {field} string, kind string")
    run_clean(spark, tables, source, tmp_path / "out")
    rejected = read(tables, tmp_path / "out" / "rejected")
    right = [r for r in rejected.values() if families_of(r["reject_reasons"]) & set(JUNK_EXPECTED_FAMILIES[r["kind"]])]
    assert len(right) >= 0.9 * len(rows), sorted({(r["kind"], tuple(r["reject_reasons"])) for r in rejected.values()})
