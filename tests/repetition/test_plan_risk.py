"""Training plans (validation, passes) and the risk model (band, grade, explanation, chart)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from corpussieve.errors import ConfigError
from corpussieve.repetition.config import RepetitionConfig, RiskConfig
from corpussieve.repetition.coverage import MassTable
from corpussieve.repetition.plan import load_plan, plan_from_mapping, resolve_plan
from corpussieve.repetition.risk import (
    PUBLISHED,
    SpanCluster,
    assess_risk,
    closest_published,
    grade_for_share,
    harmful_band,
)


def write(tmp_path, text: str):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_plan_file_with_epochs_and_weights(tmp_path):
    plan = load_plan(
        write(
            tmp_path,
            "model_params: 8e8\ntraining_tokens: 1.0e10\nsources:\n  web: {weight: 0.5}\n  wiki: {epochs: 3}\n",
        )
    )
    assert plan.model_params == 8e8  # YAML reads 8e8 as a string; it is still accepted as a number
    passes = plan.passes({"web": 1e9, "wiki": 2e8, "forum": 5e7})
    assert passes == {"web": 5.0, "wiki": 3.0, "forum": 1.0}
    resolved = resolve_plan(plan, {"web": 1e9, "wiki": 2e8, "forum": 5e7}, assumed_model_params=8e8)
    assert resolved.from_plan and "800M" in resolved.note and "wiki x3" in resolved.note
    assert resolved.planned_training_tokens({"web": 1e9, "wiki": 2e8, "forum": 5e7}) == 5e9 + 6e8 + 5e7


def test_no_plan_means_one_pass_and_says_so():
    resolved = resolve_plan(None, {"web": 10, "wiki": 5}, assumed_model_params=8e8)
    assert resolved.passes == {"web": 1.0, "wiki": 1.0}
    assert not resolved.from_plan
    assert "No training plan" in resolved.note and "one pass" in resolved.note and "800M" in resolved.note


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model_params: 8e8\nsources:\n  web: {epochs: -1}\n", "plan.sources.web.epochs: must be > 0"),
        ("model_params: 8e8\nsources:\n  web: {epochs: 0}\n", "plan.sources.web.epochs: must be > 0"),
        ("model_params: 8e8\nsources:\n  web: {epochs: 1, weight: 0.5}\n", "plan.sources.web: set exactly one"),
        ("model_params: 8e8\nsources:\n  web: {}\n", "plan.sources.web: set exactly one"),
        ("model_params: 8e8\nsources:\n  web: {weight: 0.5}\n", "plan.training_tokens: required"),
        (
            "model_params: 8e8\ntraining_tokens: 1e9\nsources:\n  web: {weight: 1.5}\n",
            "plan.sources.web.weight: must be <= 1",
        ),
        (
            "model_params: 8e8\ntraining_tokens: 1e9\nsources:\n  a: {weight: 0.6}\n  b: {weight: 0.6}\n",
            "plan.sources: weights add up to 1.2",
        ),
        ("model_params: lots\n", "plan.model_params: must be a number"),
        ("model_params: .inf\n", "plan.model_params: must be finite"),
        ("training_tokens: 1e9\n", "plan.model_params: required"),
        ("model_params: 8e8\nsources:\n  web: {epoch: 2}\n", "plan.sources.web.epoch: unknown key"),
        ("model_params: -5\n", "plan.model_params: must be > 0"),
    ],
)
def test_invalid_plans_name_the_field(tmp_path, text, message):
    with pytest.raises(ConfigError, match="plan error") as info:
        load_plan(write(tmp_path, text))
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_plan_file_must_exist_and_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_plan(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="mapping"):
        load_plan(write(tmp_path, "- 1\n- 2\n"))


def test_weight_of_a_source_without_tokens_is_an_error():
    plan = plan_from_mapping({"model_params": 1e9, "training_tokens": 1e9, "sources": {"web": {"weight": 0.5}}})
    with pytest.raises(ConfigError, match=r"plan\.sources\.web\.weight"):
        plan.passes({"web": 0})


def test_band_at_the_published_anchor_and_its_shift_with_size():
    band = harmful_band(8e8)
    assert (band.low, band.peak, band.high) == pytest.approx((10.0, 100.0, 1000.0))
    small, large = harmful_band(1e8), harmful_band(7e9)
    assert small.peak > band.peak > large.peak
    assert large.low == 4.0  # floored at Muennighoff et al.'s 4 harmless repeats
    huge = harmful_band(1e12)
    assert (huge.low, huge.high) == (4.0, 40.0)
    flat = harmful_band(1e11, RiskConfig(peak_exponent=0.0))
    assert flat.peak == 100.0


def test_grades_and_thresholds():
    assert [grade_for_share(s) for s in (0.2, 0.1, 0.05, 0.03, 0.01, 0.005, 0.004, 0.0)] == [
        "Critical",
        "Critical",
        "High",
        "High",
        "Elevated",
        "Elevated",
        "Low",
        "Low",
    ]
    custom = RiskConfig(critical_share=0.5, high_share=0.2, elevated_share=0.1)
    assert grade_for_share(0.3, custom) == "High"
    with pytest.raises(ValidationError):
        RiskConfig(critical_share=0.01, high_share=0.03)


def test_share_in_band_counts_training_tokens():
    # 1000 training tokens: 850 seen once, 100 seen 100x, 30 seen 4x (below the band), 20 seen 5000x (above).
    table = MassTable(np.array([1.0, 4.0, 100.0, 5000.0]), np.array([850.0, 30.0, 100.0, 20.0]))
    result = assess_risk(table, model_params=8e8, plan_note="No training plan given: one pass.")
    assert result.share_in_band == pytest.approx(0.10)
    assert result.share_below_band == pytest.approx(0.88)
    assert result.share_above_band == pytest.approx(0.02)
    assert result.grade == "Critical"
    assert result.closest is PUBLISHED[0]
    assert "Hernandez et al. 2022" in result.explanation and "400M" in result.explanation
    assert "No training plan given" in result.explanation
    assert "more than 10 and at most 1,000 times" in result.explanation
    chart = result.chart
    assert sum(b.training_tokens for b in chart.buckets) == pytest.approx(1000.0)
    assert (chart.band_low, chart.band_high) == (10.0, 1000.0)
    in_band = [b.label for b in chart.buckets if b.overlaps_band]
    assert in_band[0] == "8-15" and in_band[-1] == "512-1023"


def test_drivers_are_the_in_band_clusters_with_most_training_tokens():
    table = MassTable(np.array([1.0, 50.0]), np.array([900.0, 100.0]))
    spans = [
        SpanCluster(1, 50, 20, 20.0, "cookie banner"),
        SpanCluster(2, 200, 50, 50.0, "license text"),
        SpanCluster(3, 60, 9000, 9000.0, "menu"),  # above the band: not a driver
        SpanCluster(4, 60, 3, 3.0, "rare"),  # below the band
    ]
    result = assess_risk(table, model_params=8e8, plan_note="", top_spans=spans)
    assert [s.key_hash for s in result.drivers] == [2, 1]
    assert "license text" in result.explanation and "menu" not in result.explanation.split("Span clusters")[1]


def test_closest_published_configuration():
    assert closest_published(8e8, 0.1, 100).source.startswith("Hernandez")
    assert closest_published(9e9, 1.0, 4).repeats == 4
    assert closest_published(9e9, 1.0, 20).repeats == 16


def test_whole_corpus_for_four_epochs_is_not_graded_harmful():
    table = MassTable(np.array([4.0]), np.array([1e6]))
    result = assess_risk(table, model_params=7e9, plan_note="")
    assert result.grade == "Low" and result.share_in_band == 0.0
    assert result.closest.repeats == 4


def test_empty_corpus_grades_low():
    result = assess_risk(MassTable.empty(), model_params=8e8, plan_note="")
    assert result.grade == "Low" and result.share_in_band == 0.0 and not math.isnan(result.typical_repeats)


def test_repetition_config_validation():
    cfg = RepetitionConfig()
    assert cfg.span_tokens == 50 and cfg.tokenizer == "cl100k" and cfg.risk.reference_peak_repeats == 100
    with pytest.raises(ValidationError):
        RepetitionConfig(span_tokens=7)
    with pytest.raises(ValidationError):
        RepetitionConfig(tokenizer="llama")
    with pytest.raises(ValidationError):
        RepetitionConfig(top_span=3)
    with pytest.raises(ValidationError):
        RiskConfig(band_width=1.0)
