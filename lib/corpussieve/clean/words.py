"""What a word is, for the quality filters.

A word is a run of letters, digits and combining marks, optionally joined by an apostrophe or a
hyphen ("don't", "COVID-19", "l’homme"); a number keeps its decimal or thousands separator
("12.5", "1,300"). Punctuation is never a word.

Why this matters: the Gopher alphabetic-word rule ("at least 80% of words hold a letter") is
commonly computed over the tokens of a word tokenizer that splits "," and "." into tokens of their
own. Those tokens hold no letter, so every comma and full stop counts against the document: news
prose, dense in punctuation and numbers, falls under 80% and is rejected. Counting only real words
measures what the rule was meant to measure (number tables, symbol soup, code) and keeps prose.
``punctuation_tokens`` reproduces the old tokenization for comparison.

The per-word measures below are plain Python over the word list: a document has a few hundred
words, and Arrow's per-call overhead on arrays that small costs more than the work itself. Their
Unicode semantics are Arrow's (``utf8_is_numeric``, ``utf8_lower``), which the signals were first
computed with; a test checks them against Arrow on every code point a word can hold.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict

import numpy as np

# A letter or digit in any script ([^\W_]), then letters, digits and the combining marks of these
# ranges. Underscores are turned into spaces before matching (same length, so nothing else moves),
# which lets the pattern use plain \w and one character class per run: several times faster than
# an alternation tried at every character.
_WORD = re.compile(
    r"\w[\w\u0300-\u036f\u0900-\u0dff\u1ab0-\u1aff\u1dc0-\u1dff]*(?:['’\-]\w+|(?<=\d)[.,]\d+)*"
)
_PUNCT_TOKEN = re.compile(r"[^\w\s]+")
# one separator no word holds, to run string methods once over all the words of a document
_SEP = "\n"


def split_words(text: str) -> list[str]:
    """The words of a text, in order."""
    return _WORD.findall(text.replace("_", " "))


def punctuation_tokens(text: str) -> list[str]:
    """Runs of punctuation, one token each (",", ".", "..."): what a word tokenizer adds to the words."""
    return _PUNCT_TOKEN.findall(text)


def word_lengths(words: list[str]) -> np.ndarray:
    """Character length of each word."""
    return np.fromiter(map(len, words), dtype=np.int64, count=len(words))


# What may join the digits of a word without being a letter ("12.5", "1,300", "9-11").
_JOINERS = (".", ",", "'", "’", "-")


def _is_number(candidate: str) -> bool:
    """Whether a ``str.isnumeric`` candidate is all numbers (Unicode categories Nd, Nl, No), as
    Arrow's ``utf8_is_numeric``: an ASCII candidate is digits."""
    return candidate.isascii() or all(unicodedata.category(ch)[0] == "N" for ch in candidate)


def count_with_letter(words: list[str]) -> int:
    """How many words hold at least one letter (not only digits).

    A word's characters are letters, numerals, joiners and combining marks; without its joiners,
    a word with no letter is all numerals. ``str.isnumeric`` accepts every numeral and a few letters
    more (CJK numeral ideographs such as 一), so it picks the candidates and ``_is_number`` decides
    (an ASCII candidate is digits).
    """
    if not words:
        return 0
    joined = _SEP.join(words)
    for joiner in _JOINERS:
        joined = joined.replace(joiner, "")
    return len(words) - sum(map(_is_number, filter(str.isnumeric, joined.split(_SEP))))


def word_ids(words: list[str]) -> np.ndarray:
    """A small integer id per distinct word, numbered in order of first occurrence, aligned with the words."""
    # a missing word gets the next number: one dict lookup per word, all of it in C
    ids: defaultdict[str, int] = defaultdict(itertools.count().__next__)
    return np.fromiter(map(ids.__getitem__, words), dtype=np.int64, count=len(words))


def lower_words(words: list[str]) -> list[str]:
    """The words lower-cased one character at a time, as Arrow's ``utf8_lower``.

    ``str.lower`` differs on two characters a word can hold: "İ" becomes "i" plus a combining dot,
    and "Σ" becomes "ς" at the end of a word. Mapping them first leaves every character's simple
    lower case.
    """
    if not words:
        return []
    joined = _SEP.join(words).replace("\u0130", "i").replace("\u03a3", "\u03c3")
    return joined.lower().split(_SEP)


def count_in(words: list[str], vocabulary: frozenset[str]) -> int:
    """How many words, lower-cased, are in ``vocabulary``."""
    if not words or not vocabulary:
        return 0
    return sum(map(vocabulary.__contains__, lower_words(words)))
