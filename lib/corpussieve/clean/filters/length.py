"""Minimum and maximum document length, in characters."""

from __future__ import annotations

from collections.abc import Mapping

from corpussieve.clean.config import LengthConfig
from corpussieve.clean.filters.base import DocView, QualityFilter


class LengthFilter(QualityFilter):
    """Too short to be worth training on, or too long to be a web document."""

    name = "length"
    reasons = {"too_short": "fewer characters than min_chars", "too_long": "more characters than max_chars"}
    cfg: LengthConfig

    def signal_names(self) -> tuple[str, ...]:
        return ("chars",)

    def measure(self, doc: DocView) -> dict[str, float]:
        return {"chars": float(len(doc.text))}

    def judge(self, signals: Mapping[str, float], language: str | None = None) -> list[str]:
        if signals["chars"] < self.cfg.min_chars:
            return ["too_short"]
        if signals["chars"] > self.cfg.max_chars:
            return ["too_long"]
        return []
