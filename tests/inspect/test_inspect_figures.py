"""The data card's pure figures against brute-force definitions: length bins, path depth, domain concentration,
the axis scores and the weakest axis, the synthetic share and its warnings, the plan's synthetic flag.

(tests/inspect has no __init__.py on purpose: with one, pytest would import it as the package ``inspect`` and
clash with the standard library's; the module names carry the prefix instead.)"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from corpussieve.errors import ConfigError
from corpussieve.inspect.figures import (
    bin_bounds,
    bin_quantile,
    concentration,
    concentration_from_sums,
    coverage_axis,
    length_bins,
    normalized_entropy,
    path_depth,
    quality_axis,
    quantity_axis,
    synthetic_share,
    top_count,
    weakest_axis,
)
from corpussieve.repetition.plan import plan_from_mapping


def test_length_bins_match_their_bounds():
    values = np.array([0, 1, 2, 3, 4, 7, 8, 1023, 1024, 1025, 2**40 - 1, 2**40], dtype=np.int64)
    for value, k in zip(values, length_bins(values)):
        low, high = bin_bounds(int(k))
        assert low <= value < high, (value, k)
    rng = np.random.default_rng(3)
    many = rng.integers(0, 10**7, 5000)
    brute = [0 if v == 0 else int(v).bit_length() for v in many]
    assert length_bins(many).tolist() == brute


def test_bin_quantile_is_the_bin_holding_the_rank():
    assert bin_quantile({}, 0.5) is None
    assert bin_quantile({3: 10, 5: 1}, 0.5) == 3
    assert bin_quantile({1: 1, 2: 1, 3: 8}, 0.5) == 3
    assert bin_quantile({1: 5, 2: 5}, 0.5) == 1


@pytest.mark.parametrize(("url", "depth"), [
    ("https://a.org", 0), ("https://a.org/", 0), ("https://a.org/x", 1), ("https://a.org/x/y/", 2),
    ("https://a.org//x///y?q=/z/w#/f", 2), ("http://[::1", None), (None, None), ("", None), ("not a url", None),
    ("/x/y", None),
])
def test_path_depth(url, depth):
    assert path_depth(url) == depth


def brute_concentration(values, fraction):
    """The definitions, computed the obvious way."""
    values = [v for v in values if v > 0]
    total = sum(values)
    p = [v / total for v in values]
    h = -sum(x * math.log(x) for x in p)
    k = max(1, math.ceil(fraction * len(values)))
    top = sum(sorted(values, reverse=True)[:k])
    return {"entropy": h, "normalized": h / math.log(len(values)) if len(values) > 1 else 0.0,
            "effective": math.exp(h), "top_share": top / total, "top_domains": k}


def test_concentration_matches_the_definitions():
    rng = random.Random(11)
    for _ in range(200):
        n = rng.randint(1, 400)
        values = [int(rng.paretovariate(1.1) * 10) if rng.random() > 0.1 else 0 for _ in range(n)]
        if not any(values):
            values[0] = 5
        fraction = rng.choice([0.01, 0.05, 0.2, 1.0])
        got = concentration(values, fraction)
        want = brute_concentration(values, fraction)
        assert got.domains == sum(1 for v in values if v > 0)
        assert got.entropy == pytest.approx(want["entropy"], abs=1e-9)
        assert got.normalized_entropy == pytest.approx(want["normalized"], abs=1e-9)
        assert got.effective_domains == pytest.approx(want["effective"], rel=1e-9)
        assert got.top_share == pytest.approx(want["top_share"], abs=1e-12)
        assert got.top_domains == want["top_domains"]


def test_concentration_extremes():
    even = concentration([100] * 50, 0.01)
    assert even.normalized_entropy == pytest.approx(1.0) and even.effective_domains == pytest.approx(50.0)
    assert even.top_domains == 1 and even.top_share == pytest.approx(1 / 50)
    one = concentration([123], 0.01)
    assert one.normalized_entropy == 0.0 and one.effective_domains == pytest.approx(1.0) and one.top_share == 1.0
    skewed = concentration([10**6] + [1] * 99, 0.01)
    assert skewed.normalized_entropy < 0.01 and skewed.top_share > 0.9999
    assert concentration_from_sums(0, 0, 0.0, 0, 0.01).domains == 0
    assert top_count(0, 0.01) == 0 and top_count(100, 0.01) == 1 and top_count(101, 0.01) == 2


def test_normalized_entropy():
    assert normalized_entropy([5]) is None and normalized_entropy([5, 0]) is None
    assert normalized_entropy([1, 1, 1]) == pytest.approx(1.0)
    p = np.array([0.9, 0.1])
    assert normalized_entropy([90, 10]) == pytest.approx(-(p * np.log(p)).sum() / math.log(2))


def test_quantity_score_is_tokens_times_allowed_epochs_over_training_tokens():
    axis = quantity_axis(10**9, 1e10, "the plan", 4.0)
    assert axis.score == pytest.approx(0.4)
    assert "6,000,000,000" not in axis.factors[0].lift and "1,500,000,000" in axis.factors[0].lift
    assert quantity_axis(10**10, 1e10, "the plan", 4.0).score == 1.0


def test_quality_score_is_the_product_of_the_measured_factors():
    full = quality_axis(kept=80, rejected=20, top_reason="c4:too_few_sentences", removed=100,
                        duplicate_source="the removed table", excess_token_fraction=0.1, grade="Low")
    # passed 0.8; duplicates 100 of 200 -> 0.5; excess 0.1 -> 0.9
    assert full.score == pytest.approx(0.8 * 0.5 * 0.9)
    assert [f.name for f in full.factors] == ["passed_filters", "not_duplicate", "not_excess_repeat"]
    assert full.weakest_factor().name == "not_duplicate"
    assert "c4:too_few_sentences" in full.factors[0].lift
    partial = quality_axis(kept=80, rejected=20, top_reason=None, removed=None, duplicate_source=None,
                           excess_token_fraction=None, grade=None)
    assert partial.score == pytest.approx(0.8) and len(partial.missing) == 2
    nothing = quality_axis(kept=80, rejected=None, top_reason=None, removed=None, duplicate_source=None,
                           excess_token_fraction=None, grade=None)
    assert nothing.score is None and len(nothing.missing) == 3


def test_coverage_is_the_mean_of_the_spreads_present():
    conc = concentration([100, 100, 100, 100], 0.01)
    axis = coverage_axis(domains=conc, top_domain="a.org", languages={"en": 90, "de": 10}, sources={"web": 5})
    language = normalized_entropy([90, 10])
    assert axis.score == pytest.approx((1.0 + language) / 2)
    assert [f.name for f in axis.factors] == ["domain_spread", "language_spread"]
    assert any(m.startswith("source_spread") for m in axis.missing)
    single_domain = coverage_axis(domains=concentration([7], 0.01), top_domain="a.org", languages={}, sources={})
    assert single_domain.score == 0.0
    assert coverage_axis(domains=None, top_domain=None, languages={}, sources={}).score is None


def test_the_weakest_axis_is_named_with_its_lowest_factor_and_the_overall_is_the_product():
    quantity = quantity_axis(10**9, 1e10, "the plan", 4.0)  # 0.4
    quality = quality_axis(kept=90, rejected=10, top_reason="x:y", removed=50, duplicate_source="d",
                           excess_token_fraction=None, grade=None)  # 0.9 * (1 - 50/150)
    coverage = coverage_axis(domains=concentration([10**6] + [1] * 99, 0.01), top_domain="big.org",
                             languages={}, sources={"a": 1, "b": 1})  # (~0 + 1) / 2
    weakest = weakest_axis([quantity, quality, coverage])
    assert weakest["axis"] == "quantity" and weakest["factor"] == "tokens_vs_training"
    assert weakest["overall"] == pytest.approx(quantity.score * quality.score * coverage.score)
    # with plenty of tokens the skewed domains are the weakest: named with the domain figure
    weakest = weakest_axis([quantity_axis(10**10, 1e10, "the plan", 4.0), quality, coverage])
    assert weakest["axis"] == "coverage" and weakest["factor"] == "domain_spread" and "big.org" in weakest["lift"]
    unmeasured = quality_axis(kept=1, rejected=None, top_reason=None, removed=None, duplicate_source=None,
                              excess_token_fraction=None, grade=None)
    weakest = weakest_axis([quantity, unmeasured])
    assert weakest["axis"] == "quantity" and weakest["not_measured"] == ["quality"]
    assert weakest["overall"] == pytest.approx(quantity.score)


def test_synthetic_share_warns_above_the_limit_and_when_the_mix_is_all_synthetic():
    tokens = {"web": 600, "gen": 400}
    below = synthetic_share(tokens, {"web": 1.0, "gen": 1.0}, ["gen"], 0.5)
    assert below["training_mix_share"] == pytest.approx(0.4) and below["warnings"] == []
    # two passes over the generated source: 800 of 1,400 training tokens
    above = synthetic_share(tokens, {"web": 1.0, "gen": 2.0}, ["gen"], 0.5)
    assert above["training_mix_share"] == pytest.approx(800 / 1400) and above["corpus_share"] == pytest.approx(0.4)
    assert len(above["warnings"]) == 1
    assert "Shumailov et al. 2023" in above["warnings"][0] and "Gerstgrasser et al. 2024" in above["warnings"][0]
    everything = synthetic_share({"gen": 10, "gen2": 5}, {"gen": 1.0, "gen2": 1.0}, ["gen", "gen2", "gone"], 1.0)
    assert everything["training_mix_share"] == 1.0 and "entirely synthetic" in everything["warnings"][0]
    assert everything["synthetic_sources_absent"] == ["gone"]
    assert synthetic_share(tokens, {}, [], 0.5)["warnings"] == []


def test_plan_sources_may_be_marked_synthetic_and_old_plans_still_load():
    plan = plan_from_mapping({"model_params": 8e8, "training_tokens": 1e9,
                              "sources": {"web": {"weight": 0.7}, "gen": {"epochs": 2, "synthetic": True}}})
    assert plan.sources["gen"].synthetic is True and plan.sources["web"].synthetic is False
    assert plan.passes({"web": 7e8, "gen": 1e8}) == {"web": pytest.approx(1.0), "gen": 2.0}
    with pytest.raises(ConfigError, match="plan.sources.gen: set exactly one"):
        plan_from_mapping({"model_params": 8e8, "sources": {"gen": {"synthetic": True}}})
    with pytest.raises(ConfigError, match="plan.sources.gen.synthetic"):
        plan_from_mapping({"model_params": 8e8, "sources": {"gen": {"epochs": 1, "synthetic": "maybe"}}})


def test_partial_figures_of_one_batch_without_spark():
    import pyarrow as pa

    from corpussieve.inspect.arrowfns import PARTIALS_DDL, partial_figures
    from corpussieve.repetition.tokenizers import get_tokenizer

    tok = get_tokenizer("word")
    texts = ["one two three", None, "four five", " ", "six"]
    batch = pa.RecordBatch.from_pydict({
        "text": texts, "source": ["a", "a", None, "b", "b"],
        "url": ["https://x.bbc.co.uk/n/1", "http://news.bbc.co.uk/", None, "https://a.github.io/p", "bad url"]})
    out = partial_figures(batch, tok).to_pylist()
    assert [f.split()[0] for f in PARTIALS_DDL.split(", ")] == list(out[0])
    groups = {r["source"]: (r["documents"], r["empty"], r["chars"], r["tokens"]) for r in out if r["kind"] == "group"}
    assert groups == {"a": (2, 1, 13, 3), "(no source)": (1, 0, 9, 2), "b": (2, 1, 4, 1)}
    domains = {r["key"]: r["documents"] for r in out if r["kind"] == "domain"}
    assert domains == {"bbc.co.uk": 2, "(no domain)": 2, "a.github.io": 1}
    depths = {r["key"]: r["documents"] for r in out if r["kind"] == "depth"}
    assert depths == {"2": 1, "0": 1, "(no url)": 2, "1": 1}
    bins = {r["key"]: r["documents"] for r in out if r["kind"] == "token_bins"}
    assert bins == {"2": 2, "0": 2, "1": 1}  # 3 and 2 tokens in [2, 4), none twice, one alone
    assert sum(r["__sec_tokenize"] > 0 for r in out) == 1  # the batch's seconds ride on one row
    assert {r["language"] for r in out if r["kind"] == "group"} == {"(unknown)"}
