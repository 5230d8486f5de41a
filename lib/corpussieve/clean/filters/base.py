"""What every quality filter is: measure signals once, judge them against thresholds later.

``measure`` depends only on the text (and the detected language), never on a threshold, so the
signals can be stored in a ``quality`` struct and re-judged with other thresholds without being
recomputed. ``judge`` returns reason names; a document is kept when no enabled filter names one.

A filter is one module: its config class (a ``FilterConfig``) and its ``QualityFilter`` subclass, whose
``name`` is its key under ``clean.filters`` and whose ``reasons`` are declared (``corpussieve.reasons``)
when the class is defined. ``corpussieve.clean.filters.FILTERS`` lists the filters in run order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from corpussieve.clean import words as w
from corpussieve.configbase import StrictModel
from corpussieve.reasons import Codes, declare


class FilterConfig(StrictModel):
    """Common to every filter."""

    enabled: bool = Field(True, description="Run this filter (its signals are measured only when enabled).")


@dataclass
class DocView:
    """One document's text, with the views filters share computed once, on first use."""

    text: str
    language: str | None = None
    language_score: float | None = None

    @cached_property
    def lines(self) -> list[str]:
        """All lines, as split on newlines (blank ones included)."""
        return self.text.split("\n")

    @cached_property
    def nonempty_lines(self) -> list[str]:
        """Lines holding something other than whitespace, stripped."""
        return [stripped for line in self.lines if (stripped := line.strip())]

    @cached_property
    def words(self) -> list[str]:
        """The words (see ``corpussieve.clean.words``)."""
        return w.split_words(self.text)

    @cached_property
    def word_lengths(self) -> np.ndarray:
        return w.word_lengths(self.words)

    @cached_property
    def word_ids(self) -> np.ndarray:
        """An integer id per distinct word, aligned with the words (n-grams are hashed from them)."""
        return w.word_ids(self.words)

    @cached_property
    def duplicate_lines(self) -> tuple[int, int]:
        """(number, characters) of non-empty lines that repeat an earlier one (two filters use it)."""
        return duplicate_items(self.nonempty_lines)

    @cached_property
    def punctuation_tokens(self) -> list[str]:
        """Punctuation characters, one token each (only for reproducing the usual tokenization)."""
        return w.punctuation_tokens(self.text)


class QualityFilter(ABC):
    """One named rule set with its config (a pydantic sub-config with ``enabled`` and thresholds)."""

    #: the filter's key under ``clean.filters`` and the step of its reason codes ('gopher_quality')
    name: ClassVar[str]
    #: its config class, the type of ``clean.filters.<name>``
    config: ClassVar[type[FilterConfig]]
    #: reason names this filter can return, with what each means (declared as ``<name>:<reason>``)
    reasons: ClassVar[Mapping[str, str]]
    #: the declared codes by reason name (``GopherQuality.codes["too_few_words"]``)
    codes: ClassVar[Codes]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Declare a concrete filter's reasons when its class is defined, so a report can describe them."""
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            config = cls.__dict__.get("config")
            if not (isinstance(config, type) and issubclass(config, FilterConfig)):
                raise TypeError(f"filter {cls.__name__} needs a config class derived from FilterConfig")
            cls.codes = declare(cls.name, cls.reasons)

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg

    def clean_lines(self, text: str) -> tuple[str, dict[str, float]]:
        """The text as this filter wants the stack to judge it, and signals about the change; runs before
        the language is identified. Most filters change nothing (C4 drops its bad lines)."""
        return text, {}

    @abstractmethod
    def signal_names(self) -> tuple[str, ...]:
        """The keys ``measure`` returns, in a fixed order (the stored struct's fields)."""

    @abstractmethod
    def measure(self, doc: DocView) -> dict[str, float]:
        """Threshold-free signals of the document."""

    @abstractmethod
    def judge(self, signals: Mapping[str, float], language: str | None = None) -> list[str]:
        """Reason names for rejecting a document with these signals; empty to keep it."""

    def check(self, doc: DocView) -> tuple[dict[str, float], list[str]]:
        """Measure and judge; reasons come prefixed with the filter name ('gopher_quality:too_few_words')."""
        signals = self.measure(doc)
        return signals, [f"{self.name}:{reason}" for reason in self.judge(signals, doc.language)]


def duplicate_items(items: Sequence[str]) -> tuple[int, int]:
    """(number, characters) of items that repeat an earlier item."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def ratio(numerator: float, denominator: float) -> float:
    """numerator/denominator, 0.0 for an empty denominator."""
    return float(numerator) / denominator if denominator else 0.0
