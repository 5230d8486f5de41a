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
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# [^\W_] is a letter or digit in any script; \u0300-\u036f etc. are combining marks inside words.
_WORD = re.compile(
    r"[^\W_](?:[^\W_]|[\u0300-\u036f\u0900-\u0dff\u1ab0-\u1aff\u1dc0-\u1dff])*(?:['’\-][^\W_]+|(?<=\d)[.,]\d+)*"
)
_PUNCT_TOKEN = re.compile(r"[^\w\s]+")


def split_words(text: str) -> list[str]:
    """The words of a text, in order."""
    return _WORD.findall(text)


def punctuation_tokens(text: str) -> list[str]:
    """Runs of punctuation, one token each (",", ".", "..."): what a word tokenizer adds to the words."""
    return _PUNCT_TOKEN.findall(text)


def word_array(words: list[str]) -> pa.Array:
    """The words as an Arrow string array, for the vectorized measures below."""
    return pa.array(words, type=pa.string())


def word_lengths(words: pa.Array) -> np.ndarray:
    """Character length of each word."""
    return pc.utf8_length(words).to_numpy(zero_copy_only=False).astype(np.int64)


# What may join the digits of a word without being a letter ("12.5", "1,300", "9-11").
_JOINERS = (".", ",", "'", "’", "-")


def has_letter(words: pa.Array) -> np.ndarray:
    """Whether each word holds at least one letter (not only digits).

    A word's characters are letters, numerals, joiners and combining marks; without its joiners,
    a word with no letter is all numerals. Literal replaces and a category test are several times
    faster than a per-word ``\\pL`` regex (Arrow compiles the Unicode class on every call).
    """
    stripped = words
    for joiner in _JOINERS:
        stripped = pc.replace_substring(stripped, joiner, "")
    return ~pc.utf8_is_numeric(stripped).to_numpy(zero_copy_only=False).astype(bool)


def word_ids(words: pa.Array) -> np.ndarray:
    """A small integer id per distinct word (hash-based dictionary encoding), aligned with the words."""
    return words.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)


def count_in(words: pa.Array, vocabulary: frozenset[str]) -> int:
    """How many words, lower-cased, are in ``vocabulary``."""
    if len(words) == 0 or not vocabulary:
        return 0
    hits = pc.is_in(pc.utf8_lower(words), value_set=pa.array(sorted(vocabulary), type=pa.string()))
    return int(pc.sum(hits).as_py() or 0)
