"""Language identification with py3langid, whose model ships inside the package (no download).

Scores are normalized probabilities in [0, 1] (py3langid's ``norm_probs``). The identifier is
loaded once per worker process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from corpussieve.clean.config import LanguageConfig
from corpussieve.clean.filters.base import DocView, QualityFilter

_IDENTIFIER: Any = None


def _identifier() -> Any:
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


def identify_language(text: str | None, max_chars: int = 20_000) -> tuple[str | None, float]:
    """(ISO 639-1 code, probability) of a text's language; (None, 0.0) for a text without letters."""
    if not text or not any(ch.isalpha() for ch in text[:max_chars]):
        return None, 0.0
    language, score = _identifier().classify(text[:max_chars])
    return str(language), min(max(float(score), 0.0), 1.0)


class LanguageFilter(QualityFilter):
    """Keeps documents in the accepted languages whose language probability clears min_score."""

    name = "language"
    reasons = {
        "unknown": "no language could be identified (no letters)",
        "low_score": "language probability under min_score",
        "not_accepted": "language not in the accepted list",
    }
    cfg: LanguageConfig

    def signal_names(self) -> tuple[str, ...]:
        return ("language_score",)

    def measure(self, doc: DocView) -> dict[str, float]:
        if doc.language_score is not None:
            return {"language_score": doc.language_score}
        return {"language_score": identify_language(doc.text, self.cfg.max_chars)[1]}

    def judge(self, signals: Mapping[str, float], language: str | None = None) -> list[str]:
        if language is None:
            return ["unknown"]
        if signals["language_score"] < self.cfg.min_score:
            return ["low_score"]
        if self.cfg.languages is not None and language not in self.cfg.languages:
            return ["not_accepted"]
        return []
