"""Quality filters: each a named class with declared reasons and its own config, run as one stack.

``FILTERS`` is the registry, in run order: ``FiltersConfig`` (``clean.filters``: one sub-config per
filter, keyed by its name) and ``FilterStack`` are both built from it, so adding a filter is one module
(its config class and its ``QualityFilter``) and one entry here.

``FilterStack.run`` lets filters clean lines (C4 drops its bad lines), identifies the language, measures
every enabled filter's signals once and judges them. ``FilterStack.judge`` re-judges stored signals with
other thresholds, without the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field, create_model

from corpussieve.clean.filters.base import DocView, FilterConfig, QualityFilter
from corpussieve.clean.filters.c4 import C4, C4Config
from corpussieve.clean.filters.fineweb import FineWebQuality, FineWebQualityConfig
from corpussieve.clean.filters.gopher_quality import GopherQuality, GopherQualityConfig
from corpussieve.clean.filters.gopher_repetition import GopherRepetition, GopherRepetitionConfig
from corpussieve.clean.filters.language import LanguageConfig, LanguageFilter, identify_language
from corpussieve.clean.filters.length import LengthConfig, LengthFilter
from corpussieve.configbase import StrictModel

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "C4", "FILTERS", "DocView", "FilterConfig", "FilterOutcome", "FilterStack", "FiltersConfig", "FineWebQuality",
    "GopherQuality", "GopherRepetition", "LanguageFilter", "LengthFilter", "QualityFilter", "identify_language",
    "usual_stack_config",
]  # fmt: skip

#: every filter, in the order the stack runs them (and ``clean.filters`` lists their configs)
FILTERS: tuple[type[QualityFilter], ...] = (C4, LengthFilter, LanguageFilter, GopherQuality, GopherRepetition,
                                            FineWebQuality)


def _filters_config(filters: tuple[type[QualityFilter], ...]) -> type[StrictModel]:
    """``clean.filters``: one field per filter, named after it, holding its config (defaults when absent)."""
    names = [f.name for f in filters]
    if len(set(names)) != len(names):
        raise ValueError(f"two filters share a name: {names}")
    fields: dict[str, Any] = {f.name: (f.config, Field(default_factory=f.config)) for f in filters}
    return create_model("FiltersConfig", __base__=StrictModel, __module__=__name__,
                        __doc__="The document filter stack, in the order signals are measured.", **fields)


FiltersConfig = _filters_config(FILTERS)


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
    """The enabled filters of a ``FiltersConfig``, in registry order.

    Cheap to build (one object per filter holding its config; the language model is loaded once per
    process), so a worker builds one per task and ``clean_document`` one per call.
    """

    def __init__(self, cfg: Any = None) -> None:
        self.cfg = cfg if cfg is not None else FiltersConfig()
        candidates = [f(getattr(self.cfg, f.name)) for f in FILTERS]
        self.filters: list[QualityFilter] = [f for f in candidates if f.cfg.enabled]
        # the filters that change the text before it is judged (C4's line rules)
        self._line_cleaners = [f for f in self.filters if type(f).clean_lines is not QualityFilter.clean_lines]

    def run(self, text: str) -> FilterOutcome:
        """Let filters clean lines, identify the language, measure and judge every enabled filter."""
        line_signals: dict[str, dict[str, float]] = {}
        for cleaner in self._line_cleaners:
            text, line_signals[cleaner.name] = cleaner.clean_lines(text)
        language, score = identify_language(text, self.cfg.language.max_chars)
        doc = DocView(text, language, score)
        outcome = FilterOutcome(text, language, score)
        for quality_filter in self.filters:
            signals, reasons = quality_filter.check(doc)
            before = line_signals.get(quality_filter.name)
            if before is not None:
                signals = before | signals
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
        import pyarrow as pa

        fields = []
        for quality_filter in self.filters:
            names = quality_filter.signal_names()
            fields.append(pa.field(quality_filter.name, pa.struct([pa.field(n, pa.float64()) for n in names])))
        return pa.struct(fields)


def usual_stack_config() -> Any:
    """The usual FineWeb-style stack, for comparison: Gopher repetition and quality with their
    published thresholds (50 words) and the common tokenization (punctuation tokens are words, English stop
    words for every language), C4 with 3-word lines and 5 sentences but no punctuation rule, and
    FineWeb quality. No language or length filter."""
    return FiltersConfig(
        c4=C4Config(min_words_per_line=3, min_sentences=5),
        length=LengthConfig(enabled=False),
        language=LanguageConfig(enabled=False),
        gopher_quality=GopherQualityConfig(
            min_words=50, count_punctuation_as_words=True, stop_words="english", spaceless_languages=[],
            min_lines_for_line_ratios=0,
        ),
        gopher_repetition=GopherRepetitionConfig(),
        fineweb=FineWebQualityConfig(count_punctuation_as_words=True, max_dup_line_char_ratio=0.01),
    )
