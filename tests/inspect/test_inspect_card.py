"""The card's sections and card.html from hand-made aggregated figures (no Spark): every figure the card
states is in the page, the page is self-contained, and the warnings appear when they should."""

from __future__ import annotations

import re

import pytest

from corpussieve.inspect.config import InspectConfig
from corpussieve.inspect.figures import concentration
from corpussieve.inspect.report import card_sections, render_html, summary_of
from corpussieve.repetition.plan import plan_from_mapping


def partials():
    group = [
        {"source": "web", "language": "en", "key": None, "documents": 60, "empty": 2, "chars": 60_000, "tokens": 15_000},
        {"source": "web", "language": "de", "key": None, "documents": 20, "empty": 0, "chars": 20_000, "tokens": 5_000},
        {"source": "gen", "language": "en", "key": None, "documents": 20, "empty": 0, "chars": 40_000, "tokens": 30_000},
    ]
    bins = [{"source": None, "language": None, "key": "9", "documents": 98, "empty": 0, "chars": 0, "tokens": 50_000},
            {"source": None, "language": None, "key": "0", "documents": 2, "empty": 2, "chars": 0, "tokens": 0}]
    depth = [{"source": None, "language": None, "key": "2", "documents": 90, "empty": 0, "chars": 0, "tokens": 45_000},
             {"source": None, "language": None, "key": "(no url)", "documents": 10, "empty": 0, "chars": 0,
              "tokens": 5_000}]
    return {"group": group, "token_bins": bins, "char_bins": bins, "depth": depth}


DOMAINS = {"domains": 3, "domains_with_tokens": 3, "documents_with_domain": 90, "documents_without_domain": 10,
           "top": [{"domain": "big-site.org", "documents": 70, "empty": 0, "chars": 1, "tokens": 40_000},
                   {"domain": "small.co.uk", "documents": 10, "empty": 0, "chars": 1, "tokens": 3_000},
                   {"domain": "tiny.net", "documents": 10, "empty": 0, "chars": 1, "tokens": 2_000}]}
COLUMNS = {"rows": 100, "chars": {"quantiles": {"p50": 900.0}, "mean": 1000.0, "max": 5000.0},
           "signals": [{"signal": "gopher_quality.word_count", "documents": 95, "mean": 180.5, "min": 3.0,
                        "max": 912.0, "quantiles": {"p1": 5.0, "p10": 40.0, "p50": 150.0, "p90": 400.0,
                                                    "p99": 800.0}}]}
REJECTION = {"table": "/lake/rejected", "rejected": 25,
             "per_code": {"c4:too_few_sentences": 15, "gopher_quality:too_few_words": 12},
             "per_filter": {"c4": 15, "gopher_quality": 12}, "first_reason": {"c4:too_few_sentences": 15,
                                                                               "gopher_quality:too_few_words": 10},
             "per_source": {"web": 20, "gen": 5}}
REMOVAL = {"table": "/lake/removed", "removed": 25, "per_match": {"exact": 10, "near": 15}, "per_source": {"web": 25}}
REPETITION = {"job": "repetition", "documents_total": 100, "tokens_total": 50_000, "repeated_token_fraction": 0.2,
              "excess_token_fraction": 0.12, "exact_duplicate_documents": 3,
              "summary": {"grade": "High", "share_in_band": 0.04}}


def card(plan=None, **changes):
    args = dict(input_path="/lake/documents", input_version=3, tokenizer="cl100k", partials=partials(),
                domains=DOMAINS, concentration=concentration([40_000, 3_000, 2_000], 0.01), has_url=True,
                columns=COLUMNS, rejection=REJECTION, removal=REMOVAL, repetition=REPETITION,
                repetition_path="/lake/_reports/repetition/report.json", plan=plan, plan_path=None,
                cfg=InspectConfig(), assumed_params=8e8)
    args.update(changes)
    sections = card_sections(**args)
    body = {**sections, "summary": summary_of(sections, "/out"), "run_id": "abc", "finished_at": "now",
            "stages": [{"name": "measure", "seconds": 1.5, "rows_in": 100}]}
    return body, render_html(body)


def test_the_card_holds_every_figure_and_the_page_shows_them():
    body, page = card()
    q = body["quantity"]
    assert (q["documents"], q["tokens"], q["chars"], q["empty_documents"]) == (100, 50_000, 120_000, 2)
    assert q["per_source"]["gen"]["token_share"] == pytest.approx(0.6)
    assert q["per_language"]["en"]["tokens"] == 45_000
    rej = body["quality"]["rejection"]
    assert rej["rate"] == pytest.approx(25 / 125)
    assert rej["per_rule"][0]["reason"] == "c4:too_few_sentences" and rej["per_rule"][0]["description"]
    assert {r["source"]: r["rate"] for r in rej["per_source"]} == {"web": pytest.approx(20 / 100),
                                                                   "gen": pytest.approx(5 / 25)}
    assert body["quality"]["duplicates"]["rate"] == pytest.approx(25 / 150)
    assert body["quality"]["repetition"]["grade"] == "High"
    quality = next(a for a in body["axes"] if a["axis"] == "quality")
    assert quality["score"] == pytest.approx(0.8 * (1 - 25 / 150) * 0.88)
    assert body["weakest"]["axis"] == "quantity"  # 50k tokens against 16B
    # a tiny score keeps its digits: 50,000 x 4 / 16e9 = 1.25e-05, not 0.0
    assert body["summary"]["scores"]["quantity"] == 1.25e-05 and "0.00125%" in body["weakest"]["figure"]
    for shown in ("50,000", "120,000", "big-site.org", "c4:too_few_sentences", "20.00%", "gopher_quality.word_count",
                  "912", "Weakest axis: quantity", "16,000,000,000", "High", "tokens per source"):
        assert shown in page, shown
    assert "<script" not in page and not re.search(r"(src|href)=\"?https?:", page)
    assert "repetition grade is High" in " ".join(body["warnings"])


def test_a_plan_sets_the_quantity_target_and_marks_synthetic_sources():
    plan = plan_from_mapping({"model_params": 1e6, "training_tokens": 100_000,
                              "sources": {"gen": {"epochs": 1, "synthetic": True}}})
    body, page = card(plan=plan)
    quantity = next(a for a in body["axes"] if a["axis"] == "quantity")
    assert quantity["score"] == 1.0  # 50k x 4 >= 100k
    syn = body["synthetic"]
    assert syn["training_mix_share"] == pytest.approx(0.6) and syn["synthetic_tokens"] == 30_000
    assert any("Shumailov et al. 2023" in w for w in body["warnings"])
    assert "Gerstgrasser et al. 2024" in page and "60.00%" in page
    relaxed = plan_from_mapping({"model_params": 1e6, "training_tokens": 100_000,
                                 "sources": {"gen": {"epochs": 1, "synthetic": True}}})
    body, _ = card(plan=relaxed, cfg=InspectConfig(max_synthetic_share=0.7))
    assert body["synthetic"]["warnings"] == []


def test_without_the_optional_inputs_the_card_says_what_is_not_measured():
    body, page = card(rejection=None, removal=None, repetition=None, has_url=False, concentration=None,
                      columns={**COLUMNS, "signals": []})
    quality = next(a for a in body["axes"] if a["axis"] == "quality")
    assert quality["score"] is None and len(quality["not_measured"]) == 3
    coverage = next(a for a in body["axes"] if a["axis"] == "coverage")
    assert [f["name"] for f in coverage["factors"]] == ["language_spread", "source_spread"]
    assert body["weakest"]["not_measured"] == ["quality"]
    assert "not measured" in page and "no url column" in page
    assert body["synthetic"]["warnings"] == [] and "no plan given" in body["synthetic"]["note"]


def test_the_duplicate_factor_is_the_rate_the_card_shows():
    clusters = {**COLUMNS, "clusters": {"kept": 100, "cluster_members": 140, "removed": 40, "kept_with_copies": 9}}
    body, _ = card(removal=None, columns=clusters)
    dup = body["quality"]["duplicates"]
    assert dup["method"] == "cluster columns" and dup["rate"] == pytest.approx(40 / 140)
    quality = next(a for a in body["axes"] if a["axis"] == "quality")
    factor = next(f for f in quality["factors"] if f["name"] == "not_duplicate")
    assert factor["value"] == pytest.approx(1 - 40 / 140) and "40 of 140" in factor["figure"]
