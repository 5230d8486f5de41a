"""FineWeb quality rules (Penedo et al. 2024): prose lines end in punctuation, are not all short,
do not repeat, and the text is not a list of one-word lines."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from corpussieve.clean.filters.base import DocView, FilterConfig, QualityFilter, ratio

STOP_CHARS = (
    ".", "!", "?", "…", '"', "'", "”", "’", "»", "。", "！", "？", "।", "॥", "؟", "։", "።", "」", "』",
)  # fmt: skip


class FineWebQualityConfig(FilterConfig):
    """FineWeb quality rules (Penedo et al. 2024)."""

    min_line_punct_ratio: float = Field(
        0.12, ge=0, le=1, description="Share of lines ending in terminal punctuation; below it: 'line_punct_ratio'."
    )
    max_short_line_ratio: float = Field(
        0.67, ge=0, le=1, description="Share of lines at most short_line_chars long; at or above: 'short_lines'."
    )
    short_line_chars: int = Field(30, ge=1, description="A line this long or shorter is short.")
    max_dup_line_char_ratio: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Share of characters in repeated lines; at or above: 'dup_line_chars'. FineWeb uses 0.01, "
        "which rejects an article for one repeated subheading; site boilerplate is removed by its own stage.",
    )
    max_newline_word_ratio: float = Field(
        0.3, ge=0, description="Line breaks per word above this: 'list_like' (a list, not prose)."
    )
    count_punctuation_as_words: bool = Field(
        False, description="Reproduce the usual tokenization: punctuation tokens count as words."
    )


class FineWebQuality(QualityFilter):
    """Line punctuation ratio, short-line ratio, repeated-line characters, newlines per word."""

    name = "fineweb"
    config = FineWebQualityConfig
    reasons = {
        "line_punct_ratio": "too few lines end in terminal punctuation",
        "short_lines": "too many lines are short",
        "dup_line_chars": "too many characters are in repeated lines",
        "list_like": "too many line breaks per word (a list, not prose)",
    }
    cfg: FineWebQualityConfig

    def signal_names(self) -> tuple[str, ...]:
        return ("line_punct_ratio", "short_line_ratio", "dup_line_char_ratio", "newline_word_ratio")

    def measure(self, doc: DocView) -> dict[str, float]:
        lines = doc.nonempty_lines
        n_words = len(doc.words) + (len(doc.punctuation_tokens) if self.cfg.count_punctuation_as_words else 0)
        limit = self.cfg.short_line_chars
        # line breaks between non-empty lines, so blank lines between paragraphs do not count twice
        breaks = max(len(lines) - 1, 0)
        return {
            "line_punct_ratio": ratio(sum(1 for line in lines if line.endswith(STOP_CHARS)), len(lines)),
            "short_line_ratio": ratio(sum(1 for line in lines if len(line) <= limit), len(lines)),
            "dup_line_char_ratio": ratio(doc.duplicate_lines[1], sum(map(len, lines))),
            "newline_word_ratio": ratio(breaks, n_words),
        }

    def judge(self, signals: Mapping[str, float], language: str | None = None) -> list[str]:
        cfg = self.cfg
        reasons = []
        if signals["line_punct_ratio"] < cfg.min_line_punct_ratio:
            reasons.append("line_punct_ratio")
        if signals["short_line_ratio"] >= cfg.max_short_line_ratio:
            reasons.append("short_lines")
        if signals["dup_line_char_ratio"] >= cfg.max_dup_line_char_ratio:
            reasons.append("dup_line_chars")
        if signals["newline_word_ratio"] > cfg.max_newline_word_ratio:
            reasons.append("list_like")
        return reasons
