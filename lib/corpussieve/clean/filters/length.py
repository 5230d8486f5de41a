"""Minimum and maximum document length, in characters."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, model_validator

from corpussieve.clean.filters.base import DocView, FilterConfig, QualityFilter


class LengthConfig(FilterConfig):
    """Minimum and maximum document length in characters."""

    min_chars: int = Field(200, ge=0, description="Shorter documents are rejected 'too_short'.")
    max_chars: int = Field(1_000_000, ge=1, description="Longer documents are rejected 'too_long'.")

    @model_validator(mode="after")
    def _range(self) -> LengthConfig:
        if self.min_chars > self.max_chars:
            raise ValueError("min_chars must not exceed max_chars")
        return self


class LengthFilter(QualityFilter):
    """Too short to be worth training on, or too long to be a web document."""

    name = "length"
    config = LengthConfig
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
