"""Quality filters: each a named class with stated reasons and its own config, run as one stack.

``FilterStack.run`` cleans C4's bad lines, identifies the language, measures every enabled
filter's signals once and judges them. ``FilterStack.judge`` re-judges stored signals with other
thresholds, without the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from corpussieve.clean.config import (
    C4Config,
    FiltersConfig,
    FineWebQualityConfig,
    GopherQualityConfig,
    GopherRepetitionConfig,
    LanguageConfig,
    LengthConfig,
)
from corpussieve.clean.filters.base import DocView, QualityFilter
from corpussieve.clean.filters.c4 import C4
from corpussieve.clean.filters.fineweb import FineWebQuality
from corpussieve.clean.filters.gopher_quality import GopherQuality
from corpussieve.clean.filters.gopher_repetition import GopherRepetition
from corpussieve.clean.filters.language import LanguageFilter, identify_language
from corpussieve.clean.filters.length import LengthFilter

__all__ = [
    "C4", "DocView", "FilterOutcome", "FilterStack", "FineWebQuality", "GopherQuality", "GopherRepetition",
    "LanguageFilter", "LengthFilter", "QualityFilter", "identify_language", "usual_stack_config",
]  # fmt: skip


@dataclass
class FilterOutcome:
    """What the filter stack found for one document."""

    text: str
    language: str | None
    language_score: float
    signals: dict[str, dict[str, float]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        return not self.reasons


class FilterStack:
    """The enabled filters of a ``FiltersConfig``, in a fixed order."""

    def __init__(self, cfg: FiltersConfig | None = None) -> None:
        self.cfg = cfg or FiltersConfig()
        self.c4 = C4(self.cfg.c4)
        self.language = LanguageFilter(self.cfg.language)
        candidates: list[QualityFilter] = [
            self.c4,
            LengthFilter(self.cfg.length),
            self.language,
            GopherQuality(self.cfg.gopher_quality),
            GopherRepetition(self.cfg.gopher_repetition),
            FineWebQuality(self.cfg.fineweb),
        ]
        self.filters = [f for f in candidates if f.cfg.enabled]

    def run(self, text: str) -> FilterOutcome:
        """Clean C4 lines, identify the language, measure and judge every enabled filter."""
        line_signals: dict[str, float] = {}
        if self.c4.cfg.enabled:
            text, line_signals = self.c4.clean_lines(text)
        language, score = identify_language(text, self.cfg.language.max_chars)
        doc = DocView(text, language, score)
        outcome = FilterOutcome(text, language, score)
        for quality_filter in self.filters:
            signals, reasons = quality_filter.check(doc)
            if quality_filter is self.c4:
                signals = line_signals | signals
            outcome.signals[quality_filter.name] = signals
            outcome.reasons.extend(reasons)
        return outcome

    def judge(self, signals: Mapping[str, Mapping[str, float]], language: str | None) -> list[str]:
        """Reasons for stored signals under this stack's thresholds (filters without signals are skipped)."""
        reasons = []
        for quality_filter in self.filters:
            stored = signals.get(quality_filter.name)
            if stored is not None:
                reasons += [f"{quality_filter.name}:{r}" for r in quality_filter.judge(stored, language)]
        return reasons

    def signal_schema(self) -> pa.StructType:
        """Arrow type of the stored ``quality`` struct: one float64 struct per enabled filter."""
        fields = []
        for quality_filter in self.filters:
            names = quality_filter.signal_names()
            fields.append(pa.field(quality_filter.name, pa.struct([pa.field(n, pa.float64()) for n in names])))
        return pa.struct(fields)


def usual_stack_config() -> FiltersConfig:
    """The usual FineWeb-style stack, for comparison: Gopher repetition and quality with their
    published thresholds and the common tokenization (punctuation tokens are words, English stop
    words for every language), C4 with 3-word lines and 5 sentences but no punctuation rule, and
    FineWeb quality. No language or length filter."""
    return FiltersConfig(
        c4=C4Config(min_words_per_line=3, min_sentences=5),
        length=LengthConfig(enabled=False),
        language=LanguageConfig(enabled=False),
        gopher_quality=GopherQualityConfig(
            count_punctuation_as_words=True, stop_words="english", spaceless_languages=[], min_lines_for_line_ratios=0
        ),
        gopher_repetition=GopherRepetitionConfig(),
        fineweb=FineWebQualityConfig(count_punctuation_as_words=True, max_dup_line_char_ratio=0.01),
    )
