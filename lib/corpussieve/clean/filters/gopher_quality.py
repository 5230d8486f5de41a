"""Gopher quality rules (Rae et al. 2021, appendix A): does this look like human prose?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from corpussieve.clean.filters.base import DocView, FilterConfig, QualityFilter, ratio
from corpussieve.clean.filters.stopwords import STOP_WORDS
from corpussieve.clean.words import count_in, count_with_letter

_BULLETS = ("•", "-", "*", "–", "·", "●", "▪", "‣", "◦")
_ELLIPSES = ("...", "…")


class GopherQualityConfig(FilterConfig):
    """Gopher quality rules (Rae et al. 2021), with words defined as tokens holding a letter or digit."""

    # 35, not Gopher's 50: 50 words is about 300 characters, stricter than the length filter's 200, and a
    # short news item or a paywall's lede (the first lines up to 250 characters of the aeb-dev articles)
    # fell under it: 35 rejects 17/45 and 15/47 of those ledes (fold A/B) where 50 rejected 19 and 20,
    # and every generated junk page is still rejected for the right kind of reason (issue 14)
    min_words: int = Field(35, ge=0, description="Fewer words: rejected 'too_few_words' (35 words ~ 200 chars).")
    max_words: int = Field(100_000, ge=1, description="More words: rejected 'too_many_words'.")
    min_mean_word_length: float = Field(3.0, ge=0, description="Shorter mean word length: 'short_words'.")
    max_mean_word_length: float = Field(10.0, gt=0, description="Longer mean word length: 'long_words'.")
    max_symbol_word_ratio: float = Field(
        0.1, ge=0, description="('#' + '...' + '…') per word above this: 'symbol_ratio'."
    )
    max_bullet_lines_ratio: float = Field(0.9, ge=0, le=1, description="Share of lines starting with a bullet.")
    max_ellipsis_lines_ratio: float = Field(0.3, ge=0, le=1, description="Share of lines ending with an ellipsis.")
    min_lines_for_line_ratios: int = Field(
        5, ge=0, description="The bullet and ellipsis line ratios are judged only on documents with this many lines "
        "(one truncated line of three is not a pattern).",
    )
    min_alpha_word_ratio: float = Field(
        0.8, ge=0, le=1, description="Share of words holding a letter; below it: 'non_alpha_words'."
    )
    min_stop_words: int = Field(
        2, ge=0, description="Fewer function words of the document's language: 'few_stop_words'."
    )
    count_punctuation_as_words: bool = Field(
        False,
        description="Reproduce the common flaw: punctuation tokens count as (non-alphabetic) words. Off: fixed.",
    )
    stop_words: Literal["per_language", "english"] = Field(
        "per_language",
        description="Function words of the detected language (languages without a list skip the rule), "
        "or always English as in Gopher.",
    )
    spaceless_languages: list[str] = Field(
        default_factory=lambda: ["zh", "ja", "th", "lo", "km", "my", "bo"],
        description="Languages written without spaces: word-length and word-count rules are not applied.",
    )

    @model_validator(mode="after")
    def _ranges(self) -> GopherQualityConfig:
        if self.min_words > self.max_words:
            raise ValueError("min_words must not exceed max_words")
        if self.min_mean_word_length > self.max_mean_word_length:
            raise ValueError("min_mean_word_length must not exceed max_mean_word_length")
        return self


class GopherQuality(QualityFilter):
    """Word count and length, symbol and ellipsis density, bullet-list shape, letters, function words."""

    name = "gopher_quality"
    config = GopherQualityConfig
    reasons = {
        "too_few_words": "fewer words than min_words",
        "too_many_words": "more words than max_words",
        "short_words": "mean word length under min_mean_word_length",
        "long_words": "mean word length over max_mean_word_length",
        "hash_ratio": "'#' per word over max_symbol_word_ratio",
        "ellipsis_ratio": "ellipses per word over max_symbol_word_ratio",
        "bullet_lines": "share of bullet lines over max_bullet_lines_ratio",
        "ellipsis_lines": "share of lines ending in an ellipsis over max_ellipsis_lines_ratio",
        "non_alpha_words": "share of words holding a letter under min_alpha_word_ratio",
        "few_stop_words": "fewer function words of the document's language than min_stop_words",
    }
    cfg: GopherQualityConfig

    def signal_names(self) -> tuple[str, ...]:
        return (
            "word_count", "mean_word_length", "hash_word_ratio", "ellipsis_word_ratio", "bullet_lines_ratio",
            "ellipsis_lines_ratio", "alpha_word_ratio", "stop_word_count", "lines",
        )  # fmt: skip

    def measure(self, doc: DocView) -> dict[str, float]:
        words = doc.words
        n_words = len(words)
        # the usual (flawed) variant: every punctuation character is one more, letterless, "word"
        n_tokens = n_words + (len(doc.punctuation_tokens) if self.cfg.count_punctuation_as_words else 0)
        lines = doc.nonempty_lines
        text = doc.text
        stops = STOP_WORDS["en"] if self.cfg.stop_words == "english" else STOP_WORDS.get(doc.language or "")
        stop_count = count_in(doc.words, stops) if stops else -1
        return {
            "word_count": float(n_words),
            "mean_word_length": float(doc.word_lengths.mean()) if n_words else 0.0,
            "hash_word_ratio": ratio(text.count("#"), n_tokens),
            "ellipsis_word_ratio": ratio(sum(text.count(e) for e in _ELLIPSES), n_tokens),
            "bullet_lines_ratio": ratio(sum(1 for line in lines if line.startswith(_BULLETS)), len(lines)),
            "ellipsis_lines_ratio": ratio(sum(1 for line in lines if line.endswith(_ELLIPSES)), len(lines)),
            "alpha_word_ratio": ratio(count_with_letter(doc.words), n_tokens),
            # -1: the language has no function-word list, the rule does not apply
            "stop_word_count": float(stop_count),
            "lines": float(len(lines)),
        }

    def judge(self, signals: Mapping[str, float], language: str | None = None) -> list[str]:
        cfg = self.cfg
        reasons = []
        spaceless = language in cfg.spaceless_languages
        if not spaceless:
            if signals["word_count"] < cfg.min_words:
                reasons.append("too_few_words")
            if signals["word_count"] > 0 and signals["mean_word_length"] < cfg.min_mean_word_length:
                reasons.append("short_words")
            if signals["mean_word_length"] > cfg.max_mean_word_length:
                reasons.append("long_words")
        if signals["word_count"] > cfg.max_words:
            reasons.append("too_many_words")
        if signals["hash_word_ratio"] > cfg.max_symbol_word_ratio:
            reasons.append("hash_ratio")
        if signals["ellipsis_word_ratio"] > cfg.max_symbol_word_ratio:
            reasons.append("ellipsis_ratio")
        if signals["lines"] >= cfg.min_lines_for_line_ratios:
            if signals["bullet_lines_ratio"] > cfg.max_bullet_lines_ratio:
                reasons.append("bullet_lines")
            if signals["ellipsis_lines_ratio"] > cfg.max_ellipsis_lines_ratio:
                reasons.append("ellipsis_lines")
        if signals["word_count"] > 0 and signals["alpha_word_ratio"] < cfg.min_alpha_word_ratio:
            reasons.append("non_alpha_words")
        if 0 <= signals["stop_word_count"] < cfg.min_stop_words:
            reasons.append("few_stop_words")
        return reasons
