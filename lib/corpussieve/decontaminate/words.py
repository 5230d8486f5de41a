"""Normalization and words, the same on the benchmark side and the document side, with each word's place in the
original text.

The rule
--------
* A **word** is a maximal run of letters, digits and combining marks (Unicode categories L*, N*, M*). Everything
  else (whitespace, punctuation, symbols, ``_``) separates words and is otherwise ignored: "has_close_elements(x)"
  is the words ``has close elements x``, and "x+y" and "x + y" read alike.
* Each code point of a word is **folded** one to one: NFKC then case folding when that gives one word character
  (full-width letters, ligature-free compatibility forms, upper case), else its lower case when that is one code
  point, else itself. One to one, so the words keep their offsets in the original text: a word's span is
  ``text[start:end]`` in Python string indices (code points), and cutting needs no second mapping.
  Accents are kept (``é`` is not ``e``).
* A word's 64-bit hash is dedup's word hash (:func:`corpussieve.dedup.shingles.hash_words`: fmix64 of the sum of
  fmix64-mixed (position, code point) pairs and the length), vectorized over a whole batch of code points.
  xxhash, which the project uses for whole keys, would cost a Python call per word (~0.3 us: 0.15 ms per
  500-word page, 6% of the clean job's time per page on its own); this costs ~20 ns per word.

Text without separators between words (Chinese, Japanese, Thai) is one "word" per run and is not matched
usefully by word n-grams: a known limit, as for datatrove's and GPT-3's word n-grams.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from corpussieve.dedup.shingles import hash_words

_WORD_CATEGORIES = ("L", "N", "M")


@lru_cache(maxsize=1)
def fold_table() -> np.ndarray:
    """uint32 table over every code point: its folded form when it is a word character, 0 when it separates.

    Built once per process (~1 s for the 1.1M code points)."""
    table = np.zeros(sys.maxunicode + 1, dtype=np.uint32)
    for cp in range(sys.maxunicode + 1):
        char = chr(cp)
        if unicodedata.category(char)[0] not in _WORD_CATEGORIES:
            continue
        if cp < 128:
            table[cp] = ord(char.lower())
            continue
        folded = unicodedata.normalize("NFKC", char).casefold()
        if len(folded) == 1 and unicodedata.category(folded)[0] in _WORD_CATEGORIES:
            table[cp] = ord(folded)
            continue
        lower = char.lower()
        table[cp] = ord(lower) if len(lower) == 1 else cp
    return table


def fold_char(char: str) -> str | None:
    """The folded form of one character, None for a separator (the scalar form of :func:`fold_table`)."""
    value = int(fold_table()[ord(char)])
    return chr(value) if value else None


@dataclass(frozen=True)
class Words:
    """The words of a batch of texts.

    ``hashes[offsets[i]:offsets[i+1]]`` are text i's word hashes (uint64), ``starts``/``ends`` their spans in
    text i (code point offsets, int64, relative to the text)."""

    hashes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return self.offsets.size - 1

    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)


def codepoints(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """Every text's code points back to back (uint32) and the offsets (int64, n + 1); None is empty."""
    lengths = np.fromiter((len(t) if t else 0 for t in texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    blob = "".join(t for t in texts if t).encode("utf-32-le")
    return np.frombuffer(blob, dtype=np.uint32), offsets


def words_of(texts: Sequence[str | None]) -> Words:
    """Normalize and split a batch of texts into words (see the module docstring), all in numpy."""
    cps, offsets = codepoints(texts)
    folded = fold_table()[cps]
    is_word = folded != 0
    starts_mask = is_word.copy()
    starts_mask[1:] &= ~is_word[:-1]
    ends_mask = is_word.copy()
    ends_mask[:-1] &= ~is_word[1:]
    inner = offsets[1:-1]  # texts are back to back: a word never runs across two of them
    inner = inner[(inner > 0) & (inner < cps.size)]
    starts_mask[inner] = is_word[inner]
    ends_mask[inner - 1] = is_word[inner - 1]
    starts = np.flatnonzero(starts_mask).astype(np.int64)
    ends = np.flatnonzero(ends_mask).astype(np.int64) + 1
    word_offsets = np.searchsorted(starts, offsets).astype(np.int64)
    hashes = hash_words(folded[is_word], ends - starts) if starts.size else np.empty(0, dtype=np.uint64)
    text_of_word = np.repeat(np.arange(len(texts)), np.diff(word_offsets))
    base = offsets[:-1][text_of_word]
    return Words(hashes, starts - base, ends - base, word_offsets)


def words_reference(text: str | None) -> list[tuple[str, int, int]]:
    """(folded word, start, end) of one text, character by character in plain Python (for tests)."""
    out: list[tuple[str, int, int]] = []
    current: list[str] = []
    start = 0
    for i, char in enumerate(text or ""):
        folded = fold_char(char)
        if folded is None:
            if current:
                out.append(("".join(current), start, i))
                current = []
            continue
        if not current:
            start = i
        current.append(folded)
    if current:
        out.append(("".join(current), start, len(text)))
    return out
