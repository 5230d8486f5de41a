"""Grade how much of a planned training run falls in the harmful band of repeat counts.

The band and the thresholds are :class:`~corpussieve.repetition.config.RiskConfig` (sources and the
interpolations made are in that module's docstring). ``share_in_band`` is the share of *training* tokens
(corpus tokens weighted by the passes over their source) whose effective repeat count lies in the band.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from corpussieve.repetition.config import RiskConfig
from corpussieve.repetition.coverage import MassTable
from corpussieve.repetition.plan import format_params

GRADES: tuple[str, ...] = ("Low", "Elevated", "High", "Critical")

CHART_EDGES: tuple[float, ...] = (0.0, *(float(2**k) for k in range(0, 25)), math.inf)
"""Effective-repeat buckets of the chart: [0, 1), then powers of two [1, 2), [2, 4), ... [2^24, inf)."""


@dataclass(frozen=True)
class HarmfulBand:
    """Effective repeat counts ``low < repeats <= high`` are harmful for a model of ``model_params`` parameters.

    The lower edge is exclusive so that the floor (``min_harmful_repeats``, e.g. 4 epochs) stays harmless.
    """

    model_params: float
    peak: float
    low: float
    high: float

    def contains(self, repeats: float) -> bool:
        return self.low < repeats <= self.high


def harmful_band(model_params: float, config: RiskConfig | None = None) -> HarmfulBand:
    """The band for a model size: ``peak / width .. peak * width`` around the scaled peak, floored."""
    cfg = config or RiskConfig()
    if model_params <= 0:
        raise ValueError(f"model_params must be > 0, got {model_params}")
    peak = cfg.reference_peak_repeats * (cfg.reference_params / model_params) ** cfg.peak_exponent
    low = max(cfg.min_harmful_repeats, peak / cfg.band_width)
    high = max(peak * cfg.band_width, low * cfg.band_width)
    return HarmfulBand(model_params=model_params, peak=peak, low=low, high=high)


@dataclass(frozen=True)
class PublishedConfiguration:
    """A measured configuration from the literature, for the report to compare against."""

    source: str
    model_params: float
    repeated_share: float
    """Share of training tokens that were repeats."""
    repeats: float
    """How many times the repeated tokens were seen."""
    setup: str
    effect: str


PUBLISHED: tuple[PublishedConfiguration, ...] = (
    PublishedConfiguration(
        "Hernandez et al. 2022 (arXiv 2205.10487)",
        8e8,
        0.10,
        100.0,
        "800M params, 0.1% of the data repeated 100x, so 10% of training tokens were repeats",
        "performance of a 400M model (half the parameters), although 90% of the tokens stayed unique",
    ),
    PublishedConfiguration(
        "Muennighoff et al. 2023 (arXiv 2305.16264)",
        9e9,
        1.0,
        4.0,
        "the whole corpus repeated for 4 epochs (models up to 9B params)",
        "negligible change in loss compared with unique data",
    ),
    PublishedConfiguration(
        "Muennighoff et al. 2023 (arXiv 2305.16264)",
        9e9,
        1.0,
        16.0,
        "the whole corpus repeated for about 16 epochs",
        "returns from further repetition diminish sharply",
    ),
)

MEMORIZATION_NOTE = (
    "Lee et al. 2021 (arXiv 2107.06499) found a 61-word sentence repeated over 60,000 times in C4; models "
    "trained on deduplicated data emitted memorized text ten times less often."
)


@dataclass(frozen=True)
class SpanCluster:
    """One repeated span across the corpus (the Spark job groups spans by key hash)."""

    key_hash: int
    tokens: int
    """Length of the span in tokens."""
    count: int
    """Copies in the corpus."""
    effective_repeats: float
    """Times the span is seen in training (count x passes, summed over sources)."""
    preview: str = ""
    measured_training_tokens: float | None = None
    """Training tokens of all copies as measured (copy lengths x passes, summed), when the copies' lengths
    differ; by default ``tokens x effective_repeats``."""

    @property
    def training_tokens(self) -> float:
        if self.measured_training_tokens is not None:
            return self.measured_training_tokens
        return self.tokens * self.effective_repeats


@dataclass(frozen=True)
class ChartBucket:
    low: float
    high: float
    label: str
    training_tokens: float
    share: float
    overlaps_band: bool


@dataclass(frozen=True)
class EffectiveRepeatChart:
    """Training-token mass per effective-repeat bucket (log scale), with the band edges to draw."""

    buckets: list[ChartBucket]
    band_low: float
    band_high: float

    def to_dict(self) -> dict[str, object]:
        return {
            "band_low": self.band_low,
            "band_high": self.band_high,
            "buckets": [b.__dict__ for b in self.buckets],
        }


@dataclass(frozen=True)
class RiskAssessment:
    grade: str
    share_in_band: float
    share_below_band: float
    share_above_band: float
    training_tokens: float
    band: HarmfulBand
    closest: PublishedConfiguration
    typical_repeats: float
    """Median effective repeat count (by training tokens) of the tokens in the band (or of all repeated ones)."""
    drivers: list[SpanCluster]
    chart: EffectiveRepeatChart
    plan_note: str
    explanation: str = field(repr=False)


def grade_for_share(share: float, config: RiskConfig | None = None) -> str:
    cfg = config or RiskConfig()
    if share >= cfg.critical_share:
        return "Critical"
    if share >= cfg.high_share:
        return "High"
    if share >= cfg.elevated_share:
        return "Elevated"
    return "Low"


def effective_repeat_chart(effective_mass: MassTable, band: HarmfulBand) -> EffectiveRepeatChart:
    edges = np.array(CHART_EDGES)
    mass = effective_mass.bucketed(edges)
    total = effective_mass.total()
    buckets = []
    for i, tokens in enumerate(mass):
        low, high = edges[i], edges[i + 1]
        if low == 0:
            label = "<1"
        elif math.isinf(high):
            label = f">={low:.0f}"
        elif high - low == 1:
            label = f"{low:.0f}"
        else:
            label = f"{low:.0f}-{high - 1:.0f}"
        buckets.append(
            ChartBucket(
                low=float(low),
                high=float(high),
                label=label,
                training_tokens=float(tokens),
                share=float(tokens / total) if total else 0.0,
                overlaps_band=bool(low <= band.high and high > band.low),
            )
        )
    return EffectiveRepeatChart(buckets, band.low, band.high)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    if values.size == 0 or weights.sum() <= 0:
        return 1.0
    cumulative = np.cumsum(weights)
    return float(values[np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def closest_published(model_params: float, share: float, repeats: float) -> PublishedConfiguration:
    """The published configuration nearest in (log model size, log share of repeats, log repeat count)."""

    def distance(p: PublishedConfiguration) -> float:
        return (
            abs(math.log10(model_params / p.model_params))
            + abs(math.log10(max(share, 1e-4) / p.repeated_share))
            + abs(math.log10(max(repeats, 1.0) / p.repeats))
        )

    return min(PUBLISHED, key=distance)


def assess_risk(
    effective_mass: MassTable,
    *,
    model_params: float,
    plan_note: str,
    top_spans: Sequence[SpanCluster] = (),
    config: RiskConfig | None = None,
    max_drivers: int = 10,
) -> RiskAssessment:
    """Grade a corpus under a plan from its training-token mass per effective repeat count."""
    cfg = config or RiskConfig()
    band = harmful_band(model_params, cfg)
    total = effective_mass.total()
    values, mass = effective_mass.values, effective_mass.mass
    in_band = (values > band.low) & (values <= band.high)
    share_in = float(mass[in_band].sum() / total) if total else 0.0
    share_above = float(mass[values > band.high].sum() / total) if total else 0.0
    share_below = float(mass[values <= band.low].sum() / total) if total else 0.0
    grade = grade_for_share(share_in, cfg)
    if in_band.any():
        typical = _weighted_median(values[in_band], mass[in_band])
        matched_share = share_in
    else:
        repeated = values >= 2
        typical = _weighted_median(values[repeated], mass[repeated])
        matched_share = float(mass[repeated].sum() / total) if total else 0.0
    closest = closest_published(model_params, matched_share, typical)
    drivers = sorted(
        (s for s in top_spans if band.contains(s.effective_repeats)),
        key=lambda s: (-s.training_tokens, s.key_hash),
    )[:max_drivers]
    chart = effective_repeat_chart(effective_mass, band)
    assessment = RiskAssessment(
        grade=grade,
        share_in_band=share_in,
        share_below_band=share_below,
        share_above_band=share_above,
        training_tokens=total,
        band=band,
        closest=closest,
        typical_repeats=typical,
        drivers=drivers,
        chart=chart,
        plan_note=plan_note,
        explanation="",
    )
    return _with_explanation(assessment, cfg)


def _times(value: float) -> str:
    """A repeat count for prose: 3 significant digits, thousands separated (0.457, 11.4, 1,000, 64,500)."""
    if value >= 100:
        return f"{float(f'{value:.3g}'):,.0f}"
    return f"{value:.3g}"


def _with_explanation(a: RiskAssessment, cfg: RiskConfig) -> RiskAssessment:
    band = a.band
    lines = [
        f"Grade: {a.grade}. {a.share_in_band:.2%} of training tokens ({a.share_in_band * a.training_tokens:,.0f} of "
        f"{a.training_tokens:,.0f}) are seen more than {_times(band.low)} and at most {_times(band.high)} times, "
        f"the harmful band for a model of {format_params(band.model_params)} parameters "
        f"(greatest harm near {_times(band.peak)}x). Thresholds: Critical >= {cfg.critical_share:.1%}, "
        f"High >= {cfg.high_share:.1%}, Elevated >= {cfg.elevated_share:.1%}.",
        f"Closest published configuration: {a.closest.source}: {a.closest.setup} -> {a.closest.effect}. "
        f"Here: {a.share_in_band:.2%} of training tokens in the band, typically repeated {_times(a.typical_repeats)}x.",
        f"Outside the band: {a.share_below_band:.2%} below (seen at most {_times(band.low)} times), "
        f"{a.share_above_band:.2%} above (more than {_times(band.high)} times).",
        a.plan_note,
    ]
    if a.share_above_band > 0:
        lines.append(f"Above the band repeats are cheap to memorize verbatim: {MEMORIZATION_NOTE}")
    if a.drivers:
        lines.append("Span clusters driving the grade (training tokens = copy tokens x passes, summed):")
        for i, s in enumerate(a.drivers, 1):
            preview = f" {s.preview[:80]!r}" if s.preview else ""
            lines.append(
                f"  {i}. ~{s.tokens} tokens x {s.count:,} copies, seen {_times(s.effective_repeats)}x "
                f"-> {s.training_tokens:,.0f} training tokens{preview}"
            )
    elif a.share_in_band > 0:
        lines.append("No listed span cluster falls in the band; the in-band mass comes from smaller clusters.")
    explanation = "\n".join(lines)
    return RiskAssessment(**{**a.__dict__, "explanation": explanation})
