"""Language identification with py3langid, whose model ships inside the package (no download).

Scores are normalized probabilities in [0, 1] (py3langid's ``norm_probs``). The model is loaded
once per worker process.

Why not ``LanguageIdentifier.classify`` itself: it counts the model's byte n-gram features with a
Python loop over every byte of the text (a DFA walk), which made language identification 40% of
the filter stack's time. ``VectorLangid`` computes the same counts with numpy. The DFA is an
Aho-Corasick automaton, so the state after byte ``i`` depends only on the last ``depth`` bytes (the
deepest trie state): starting every position from the initial state and applying ``depth``
vectorized transitions reaches exactly the state of the sequential walk. The Naive Bayes scoring
that follows is py3langid's, line for line; a test checks identical answers on many texts.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field

from corpussieve.clean.filters.base import DocView, FilterConfig, QualityFilter

_IDENTIFIER: Any = None


class VectorLangid:
    """py3langid's normalized-probability classifier with vectorized feature counting."""

    def __init__(self, identifier: Any) -> None:
        # the model stores float16; numpy's float16 matmul has no BLAS path. float32 holds every
        # float16 exactly, and the product is float32 either way.
        self.ptc = np.ascontiguousarray(identifier.nb_ptc, dtype=np.float32)
        self.pc = np.asarray(identifier.nb_pc)
        self.classes = list(identifier.nb_classes)
        # int32 halves the table's cache footprint (values are state row offsets, well under 2**31)
        self.nextmove = np.asarray(identifier.tk_nextmove).view(np.int32)
        self.rowbase = np.asarray(identifier.tk_row, dtype=np.int64) << 8
        # feature ids (under 2**17, -1 for none): int32 halves the sort in ``feature_counts``
        self.output = np.asarray(identifier.tk_output, dtype=np.int32)
        self.depth = self._max_depth()
        first: dict[str, int] = {}
        self.alias_pairs = []
        for i, c in enumerate(self.classes):
            if c in first:
                self.alias_pairs.append((first[c], i))
            else:
                first[c] = i

    def _max_depth(self) -> int:
        """Longest shortest path from the initial state (the trie depth), by breadth-first search."""
        seen = np.zeros(len(self.rowbase), dtype=bool)
        seen[0] = True
        frontier, depth = np.array([0]), 0
        while True:
            reached = np.unique(self.nextmove[self.rowbase[frontier][:, None] + np.arange(256)[None, :]])
            reached = reached[~seen[reached]]
            if len(reached) == 0:
                return depth
            seen[reached] = True
            frontier, depth = reached, depth + 1

    def feature_counts(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(feature ids, counts) of the features the DFA emits over ``data``."""
        text = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
        n = len(text)
        state = np.zeros(n, dtype=np.int64)
        for back in range(min(self.depth, n) - 1, -1, -1):
            # every position at least ``back`` bytes in reads the byte ``back`` places before it
            state[back:] = self.nextmove[self.rowbase[state[back:]] + text[: n - back]]
        features = self.output[state]
        return np.unique(features[features >= 0], return_counts=True)

    def classify(self, text: str) -> tuple[str, float]:
        """(language, probability), as ``LanguageIdentifier(norm_probs=True).classify``."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        ids, counts = self.feature_counts(data)
        if len(ids):
            scores = np.log1p(counts.astype(np.float32)) @ self.ptc[ids] + self.pc
        else:  # no feature: uniform, as py3langid under norm_probs
            scores = np.zeros(len(self.classes), dtype=np.float32)
        scores *= 1.0 / math.sqrt(len(data) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        for i, j in self.alias_pairs:
            scores[i] += scores[j]
            scores[j] = 0.0
        best = int(scores.argmax())
        return self.classes[best], float(scores[best])


def _identifier() -> VectorLangid:
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _IDENTIFIER = VectorLangid(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
    return _IDENTIFIER


def identify_language(text: str | None, max_chars: int = 20_000) -> tuple[str | None, float]:
    """(ISO 639-1 code, probability) of a text's language; (None, 0.0) for a text without letters."""
    if not text or not any(ch.isalpha() for ch in text[:max_chars]):
        return None, 0.0
    language, score = _identifier().classify(text[:max_chars])
    return str(language), min(max(float(score), 0.0), 1.0)


class LanguageConfig(FilterConfig):
    """Language identification with py3langid (ships its model; normalized probabilities)."""

    languages: list[str] | None = Field(
        None, description="Accepted ISO 639-1 codes; null accepts every language that clears min_score."
    )
    min_score: float = Field(0.5, ge=0, le=1, description="Lowest accepted language probability.")
    max_chars: int = Field(
        20_000, ge=100, description="Only the first this many characters are classified (speed, same answer)."
    )


class LanguageFilter(QualityFilter):
    """Keeps documents in the accepted languages whose language probability clears min_score."""

    name = "language"
    config = LanguageConfig
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
