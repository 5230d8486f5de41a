"""C4 rules (Raffel et al. 2020): drop bad lines, then reject documents that still look wrong.

The line rules change the text (they are cleaning, measured as counts of dropped lines); the
document rules (lorem ipsum, curly braces, too few sentences) are judged on the kept lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from corpussieve.clean.config import C4Config
from corpussieve.clean.filters.base import DocView, QualityFilter

END_PUNCTUATION = (".", "?", "!", '"', "'", "”", "’", "…", "。", "！", "？", "।", "؟")
POLICY_SUBSTRINGS = (
    "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies",
)  # fmt: skip
# a sentence ends at terminal punctuation followed by space, or glued to a capitalized next
# sentence ("on Wednesday.The stabbing"), which is how paragraphs joined without a space look
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？।؟])[\"'”’)\]]*\s+|(?<=[a-z][.!?])(?=[A-Z][a-z])")
_WORD_CHAR = re.compile(r"\w")


def count_sentences(line: str) -> int:
    """Sentences in a line: pieces ending in terminal punctuation, plus an unterminated tail."""
    return sum(1 for piece in _SENTENCE_END.split(line) if _WORD_CHAR.search(piece))


class C4(QualityFilter):
    """Line removals (punctuation rule, short lines, javascript, policy, giant words), then
    lorem ipsum, curly braces and minimum sentences on what is left."""

    name = "c4"
    reasons = {
        "lorem_ipsum": "holds 'lorem ipsum' (placeholder text)",
        "curly_braces": "holds more '{' than max_curly_braces (code or templates)",
        "too_few_sentences": "fewer sentences than min_sentences after line removal",
    }
    cfg: C4Config

    def clean_lines(self, text: str) -> tuple[str, dict[str, float]]:
        """The text with C4's bad lines removed (blank lines kept as paragraph breaks), and counts."""
        cfg = self.cfg
        dropped = {"punctuation": 0, "short": 0, "javascript": 0, "policy": 0, "long_word": 0}
        kept: list[str] = []
        total = 0
        for line in text.split("\n"):
            stripped = line.strip()
            if not stripped:
                kept.append("")
                continue
            total += 1
            words = stripped.split()
            lowered = stripped.lower()
            if words and max(map(len, words)) > cfg.max_word_length:
                dropped["long_word"] += 1
            elif cfg.punctuation_rule and (not stripped.endswith(END_PUNCTUATION) or stripped.endswith("...")):
                dropped["punctuation"] += 1
            elif len(words) < cfg.min_words_per_line:
                dropped["short"] += 1
            elif cfg.drop_javascript_lines and "javascript" in lowered:
                dropped["javascript"] += 1
            elif cfg.drop_policy_lines and any(p in lowered for p in POLICY_SUBSTRINGS):
                dropped["policy"] += 1
            else:
                kept.append(stripped)
        signals = {"lines": float(total)} | {f"dropped_{k}_lines": float(v) for k, v in dropped.items()}
        return "\n".join(kept).strip("\n"), signals

    def signal_names(self) -> tuple[str, ...]:
        return (
            "lines", "dropped_punctuation_lines", "dropped_short_lines", "dropped_javascript_lines",
            "dropped_policy_lines", "dropped_long_word_lines", "lorem_ipsum", "curly_braces", "sentences",
        )  # fmt: skip

    def measure(self, doc: DocView) -> dict[str, float]:
        """Document signals of an already line-cleaned text (``clean_lines`` adds the line counts)."""
        return {
            "lorem_ipsum": float("lorem ipsum" in doc.text.lower()),
            "curly_braces": float(doc.text.count("{")),
            "sentences": float(sum(count_sentences(line) for line in doc.nonempty_lines)),
        }

    def judge(self, signals: Mapping[str, float], language: str | None = None) -> list[str]:
        cfg = self.cfg
        reasons = []
        if cfg.reject_lorem_ipsum and signals["lorem_ipsum"]:
            reasons.append("lorem_ipsum")
        if cfg.reject_curly_braces and signals["curly_braces"] > cfg.max_curly_braces:
            reasons.append("curly_braces")
        if signals["sentences"] < cfg.min_sentences:
            reasons.append("too_few_sentences")
        return reasons
