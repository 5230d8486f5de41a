"""Gopher repetition rules (Rae et al. 2021, table A1): repeated lines, paragraphs and n-grams.

All n-gram work is vectorized: words become integer ids (``np.unique``), each n-gram a 64-bit hash
of its ids, and counting, first-occurrence and coverage are array operations.

Two definitions, close to the paper and to common implementations:

* top n-gram fraction (n = 2..4): characters of the most frequent n-gram (its words' characters
  times its count; ties go to the one seen first) over the document's characters;
* duplicate n-gram fraction (n = 5..10): characters of the words covered by any occurrence of an
  n-gram that already occurred earlier, each character counted once, over the document's
  characters. (The common greedy scan that skips n words after a hit counts overlapping repeats
  the same way on realistic text; this form needs no Python loop.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from corpussieve.clean.config import GopherRepetitionConfig
from corpussieve.clean.filters.base import DocView, QualityFilter, ratio
from corpussieve.clean.words import word_ids

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer, elementwise on uint64 (wrapping arithmetic is intended)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def ngram_hashes(word_ids: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of every n-gram of a sequence of word ids (len - n + 1 values)."""
    count = len(word_ids) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    ids = word_ids.astype(np.uint64)
    out = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):  # n <= 20 passes over the whole array, not a loop over n-grams
            out += _mix64(ids[j : j + count] + np.uint64(j + 1) * _GOLDEN)
    return out


def ngram_hash_table(word_ids: np.ndarray, sizes: Sequence[int]) -> dict[int, np.ndarray]:
    """``ngram_hashes`` for several n at once: each position's mix is computed once and the n-gram
    hashes grow by one term per n, so all sizes up to 10 cost 10 passes instead of 54."""
    ids = word_ids.astype(np.uint64)
    wanted = set(sizes)
    table: dict[int, np.ndarray] = {}
    running = np.zeros(len(ids), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for n in range(1, max(wanted, default=0) + 1):
            count = len(ids) - n + 1
            if count <= 0:
                empty = np.zeros(0, dtype=np.uint64)
                table.update({m: empty for m in wanted if m >= n})
                break
            running = running[:count] + _mix64(ids[n - 1 : n - 1 + count] + np.uint64(n) * _GOLDEN)
            if n in wanted:
                table[n] = running
    return table


def window_sums(values: np.ndarray, n: int) -> np.ndarray:
    """Sum of every window of n consecutive values."""
    csum = np.concatenate(([0], np.cumsum(values)))
    return csum[n:] - csum[:-n]


def top_ngram_chars(hashes: np.ndarray, ngram_chars: np.ndarray) -> int:
    """Characters covered by the most frequent n-gram: its length times its count."""
    if len(hashes) == 0:
        return 0
    _, first, counts = np.unique(hashes, return_index=True, return_counts=True)
    best = counts.max()
    first_of_best = first[counts == best].min()
    return int(ngram_chars[first_of_best]) * int(best)


def duplicate_ngram_chars(hashes: np.ndarray, word_lengths: np.ndarray, n: int) -> int:
    """Characters of words covered by a repeat (not the first occurrence) of some n-gram."""
    if len(hashes) == 0:
        return 0
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    repeats = np.flatnonzero(first[inverse] != np.arange(len(hashes)))
    if len(repeats) == 0:
        return 0
    cover = np.zeros(len(word_lengths) + 1, dtype=np.int64)
    np.add.at(cover, repeats, 1)
    np.add.at(cover, repeats + n, -1)
    covered = np.cumsum(cover[:-1]) > 0
    return int(word_lengths[covered].sum())


def duplicate_items(items: Sequence[str]) -> tuple[int, int]:
    """(number, characters) of items that repeat an earlier item."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


class GopherRepetition(QualityFilter):
    """Repeated lines and paragraphs (by count and by characters), top and duplicated n-grams."""

    name = "gopher_repetition"
    reasons = {
        "dup_lines": "share of repeated lines over max_dup_line_fraction",
        "dup_paragraphs": "share of repeated paragraphs over max_dup_para_fraction",
        "dup_line_chars": "share of characters in repeated lines over max_dup_line_char_fraction",
        "dup_paragraph_chars": "share of characters in repeated paragraphs over max_dup_para_char_fraction",
        "top_{n}gram": "the most frequent n-gram covers too many characters",
        "dup_{n}gram": "repeated n-grams cover too many characters",
    }
    cfg: GopherRepetitionConfig

    def signal_names(self) -> tuple[str, ...]:
        return (
            "dup_line_fraction", "dup_para_fraction", "dup_line_char_fraction", "dup_para_char_fraction",
            *(f"top_{n}gram_char_fraction" for n in sorted(self.cfg.max_top_ngram_char_fraction)),
            *(f"dup_{n}gram_char_fraction" for n in sorted(self.cfg.max_dup_ngram_char_fraction)),
        )  # fmt: skip

    def measure(self, doc: DocView) -> dict[str, float]:
        text = doc.text.strip()
        n_chars = len(text)
        paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
        lines = doc.nonempty_lines
        dup_paras, dup_para_chars = duplicate_items(paragraphs)
        dup_lines, dup_line_chars = duplicate_items(lines)
        signals = {
            "dup_line_fraction": ratio(dup_lines, len(lines)),
            "dup_para_fraction": ratio(dup_paras, len(paragraphs)),
            "dup_line_char_fraction": ratio(dup_line_chars, n_chars),
            "dup_para_char_fraction": ratio(dup_para_chars, n_chars),
        }
        lengths = doc.word_lengths
        ids = word_ids(doc.word_array)
        table = ngram_hash_table(ids, [*self.cfg.max_top_ngram_char_fraction, *self.cfg.max_dup_ngram_char_fraction])
        for n in sorted(self.cfg.max_top_ngram_char_fraction):
            hashes = table[n]
            chars = top_ngram_chars(hashes, window_sums(lengths, n)) if len(hashes) else 0
            signals[f"top_{n}gram_char_fraction"] = ratio(chars, n_chars)
        for n in sorted(self.cfg.max_dup_ngram_char_fraction):
            chars = duplicate_ngram_chars(table[n], lengths, n)
            signals[f"dup_{n}gram_char_fraction"] = ratio(chars, n_chars)
        return signals

    def judge(self, signals: Mapping[str, float], language: str | None = None) -> list[str]:
        cfg = self.cfg
        reasons = []
        if signals["dup_line_fraction"] > cfg.max_dup_line_fraction:
            reasons.append("dup_lines")
        if signals["dup_para_fraction"] > cfg.max_dup_para_fraction:
            reasons.append("dup_paragraphs")
        if signals["dup_line_char_fraction"] > cfg.max_dup_line_char_fraction:
            reasons.append("dup_line_chars")
        if signals["dup_para_char_fraction"] > cfg.max_dup_para_char_fraction:
            reasons.append("dup_paragraph_chars")
        for n, limit in sorted(cfg.max_top_ngram_char_fraction.items()):
            if signals.get(f"top_{n}gram_char_fraction", 0.0) > limit:
                reasons.append(f"top_{n}gram")
        for n, limit in sorted(cfg.max_dup_ngram_char_fraction.items()):
            if signals.get(f"dup_{n}gram_char_fraction", 0.0) > limit:
                reasons.append(f"dup_{n}gram")
        return reasons
