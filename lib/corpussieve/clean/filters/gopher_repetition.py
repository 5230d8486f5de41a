"""Gopher repetition rules (Rae et al. 2021, table A1): repeated lines, paragraphs and n-grams.

All n-gram work is vectorized: words become integer ids, each n-gram a 64-bit hash of its ids, and
counting, first-occurrence and coverage are array operations. A document has a few hundred words,
so the arrays are small and the cost is the number of numpy calls, not their size: the hashes of
every n are one two-dimensional array (a row per n), and each measure sorts and measures all its
rows in a few calls rather than in a loop over n.

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
from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from corpussieve.clean.filters.base import DocView, FilterConfig, QualityFilter, duplicate_items, ratio
from corpussieve.hashing import fmix64

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def ngram_hashes(word_ids: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of every n-gram of a sequence of word ids (len - n + 1 values)."""
    count = len(word_ids) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    ids = word_ids.astype(np.uint64)
    out = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):  # n <= 20 passes over the whole array, not a loop over n-grams
            shifted = ids[j : j + count] + np.uint64(j + 1) * _GOLDEN
            out += fmix64(shifted, out=shifted)
    return out


def ngram_hash_rows(word_ids: np.ndarray, largest: int) -> np.ndarray:
    """``ngram_hashes`` of n = 1..largest as the rows of one (largest, len) array: row n - 1 holds
    the n-gram hashes, then padding (meaningless values) from position len - n + 1 on.

    Every id is mixed at every offset in one two-dimensional pass (padded with zeros on the right,
    so every row can be read at the full length); each row adds one term to the row above.
    """
    n_words = len(word_ids)
    mixed = np.zeros((largest, n_words + largest), dtype=np.uint64)
    with np.errstate(over="ignore"):
        offsets = np.arange(1, largest + 1, dtype=np.uint64)[:, None] * _GOLDEN
        shifted = word_ids.astype(np.uint64) + offsets
        mixed[:, :n_words] = fmix64(shifted, out=shifted)
    rows = np.empty((largest, n_words), dtype=np.uint64)
    if largest:
        rows[0] = mixed[0, :n_words]
    for n in range(2, largest + 1):
        np.add(rows[n - 2], mixed[n - 1, n - 1 : n - 1 + n_words], out=rows[n - 1])
    return rows


def _repeats(row: np.ndarray, count: int) -> bool:
    """Whether a value occurs twice among the first ``count`` values of a row of n-gram hashes."""
    if count < 2:
        return False
    values = np.sort(row[:count])
    return bool((values[1:] == values[:-1]).any())


def _run_starts(rows: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Along each row's sorted ``order`` (flat indices), whether a value differs from the one before."""
    ordered = rows.ravel()[order]
    starts = np.ones(rows.shape, dtype=bool)
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    return starts


def sort_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, run_starts): the flat indices of each row's values in stable sorted order
    (``np.argsort(rows, axis=1, kind="stable")`` plus each row's offset), and where a run of equal
    values starts along that order.

    Sorting values is several times faster than an argsort, so the low bits of each hash are
    replaced by its position and the packed values are sorted: equal hashes then stay in position
    order. That is the stable order unless two different hashes of a row share their high bits
    (for a few hundred words, a chance of about one in 10**10 per document): then the runs of
    high bits differ from the runs of hashes, and the argsort is the fallback. When no two values
    of a row share their high bits, no two hashes are equal and there is nothing to check (the
    usual case for n-grams of 5 words and more).
    """
    n_rows, n_columns = rows.shape
    low = np.uint64((1 << max(n_columns - 1, 1).bit_length()) - 1)
    row_offsets = (np.arange(n_rows) * n_columns)[:, None]
    packed = np.sort((rows & ~low) | np.arange(n_columns, dtype=np.uint64), axis=1)
    order = (packed & low).view(np.int64)
    order += row_offsets
    high_starts = np.ones(rows.shape, dtype=bool)
    np.greater(packed[:, 1:] ^ packed[:, :-1], low, out=high_starts[:, 1:])
    if high_starts.all():
        return order, high_starts
    run_starts = _run_starts(rows, order)
    if np.any(run_starts != high_starts):
        order = np.argsort(rows, axis=1, kind="stable") + row_offsets
        run_starts = _run_starts(rows, order)
    return order, run_starts


@dataclass
class SortedNgrams:
    """The n-gram hashes of some sizes n, a row per n padded to the word count, each row sorted."""

    sizes: np.ndarray  # n of each row
    valid: np.ndarray  # (rows, words): the position holds a real n-gram, not padding
    order: np.ndarray  # flat indices of every row's values, each row in stable sorted order
    run_starts: np.ndarray  # along ``order``: where a run of equal values (of one row) starts

    @property
    def shape(self) -> tuple[int, int]:
        return self.valid.shape


def sort_ngrams(hash_rows: np.ndarray, sizes: Sequence[int]) -> SortedNgrams:
    """The rows of ``sizes`` (from ``ngram_hash_rows``), sorted.

    Padding sits after every real n-gram of its row, so in a stable order it never comes first
    among equal values: a run of equal values starts at the n-gram's first occurrence.
    """
    sizes_array = np.array(sizes, dtype=np.int64)
    rows = hash_rows[sizes_array - 1]
    n_words = rows.shape[1]
    order, run_starts = sort_rows(rows)
    valid = np.arange(n_words) < (n_words - sizes_array + 1)[:, None]
    return SortedNgrams(sizes_array, valid, order.ravel(), run_starts.ravel())


def top_ngram_chars(ngrams: SortedNgrams, word_lengths: np.ndarray) -> np.ndarray:
    """Per row, characters covered by the most frequent n-gram: its length times its count (ties go
    to the one seen first; 0 without n-grams)."""
    n_rows, n_words = ngrams.shape
    if n_words == 0:
        return np.zeros(n_rows, dtype=np.int64)
    starts = np.flatnonzero(ngrams.run_starts)
    counts = np.add.reduceat(ngrams.valid.ravel()[ngrams.order], starts, dtype=np.int64)
    run_row = starts // n_words
    first_position = ngrams.order[starts] % n_words
    # every row has runs (its first sorted value starts one), so no segment below is empty
    row_runs = np.searchsorted(run_row, np.arange(n_rows))
    best = np.maximum.reduceat(counts, row_runs)
    first_of_best = np.minimum.reduceat(np.where(counts == best[run_row], first_position, n_words), row_runs)
    csum = np.concatenate(([0], np.cumsum(word_lengths)))
    ends = np.minimum(first_of_best + ngrams.sizes, n_words)
    return (csum[ends] - csum[first_of_best]) * best


def duplicate_ngram_chars(ngrams: SortedNgrams, word_lengths: np.ndarray) -> np.ndarray:
    """Per row, characters of words covered by a repeat (not the first occurrence) of some n-gram."""
    n_rows, n_words = ngrams.shape
    if ngrams.run_starts.all():  # no value occurs twice in any row: nothing repeats
        return np.zeros(n_rows, dtype=np.int64)
    first = np.empty(n_rows * n_words, dtype=bool)
    first[ngrams.order] = ngrams.run_starts
    repeats = ~first.reshape(n_rows, n_words) & ngrams.valid
    # word k is covered when a repeat starts among the n positions ending at k
    started = np.zeros((n_rows, n_words + 1), dtype=np.int64)
    np.cumsum(repeats, axis=1, out=started[:, 1:])
    window_start = np.maximum(np.arange(1, n_words + 1) - ngrams.sizes[:, None], 0)
    covered = started[:, 1:] > np.take_along_axis(started, window_start, axis=1)
    return (covered * word_lengths).sum(axis=1)


class GopherRepetitionConfig(FilterConfig):
    """Gopher repetition rules: duplicate lines/paragraphs and repeated n-grams, as character fractions."""

    max_dup_line_fraction: float = Field(0.3, ge=0, le=1, description="Share of lines that repeat an earlier one.")
    max_dup_para_fraction: float = Field(
        0.3, ge=0, le=1, description="Share of paragraphs that repeat an earlier one."
    )
    max_dup_line_char_fraction: float = Field(
        0.2, ge=0, le=1, description="Share of characters in repeated lines."
    )
    max_dup_para_char_fraction: float = Field(
        0.2, ge=0, le=1, description="Share of characters in repeated paragraphs."
    )
    max_top_ngram_char_fraction: dict[int, float] = Field(
        default_factory=lambda: {2: 0.2, 3: 0.18, 4: 0.16},
        description="n -> max share of characters covered by the most frequent n-gram.",
    )
    max_dup_ngram_char_fraction: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n -> max share of characters covered by repeated n-grams.",
    )

    @model_validator(mode="after")
    def _ngram_sizes(self) -> GopherRepetitionConfig:
        for table in (self.max_top_ngram_char_fraction, self.max_dup_ngram_char_fraction):
            for n, frac in table.items():
                if not 1 <= n <= 20 or not 0 <= frac <= 1:
                    raise ValueError(f"n-gram rule {n}: {frac} needs 1 <= n <= 20 and 0 <= fraction <= 1")
        return self


class GopherRepetition(QualityFilter):
    """Repeated lines and paragraphs (by count and by characters), top and duplicated n-grams."""

    name = "gopher_repetition"
    config = GopherRepetitionConfig
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
        paragraphs = [stripped for part in _PARAGRAPH_BREAK.split(text) if (stripped := part.strip())]
        lines = doc.nonempty_lines
        dup_paras, dup_para_chars = duplicate_items(paragraphs)
        dup_lines, dup_line_chars = doc.duplicate_lines
        signals = {
            "dup_line_fraction": ratio(dup_lines, len(lines)),
            "dup_para_fraction": ratio(dup_paras, len(paragraphs)),
            "dup_line_char_fraction": ratio(dup_line_chars, n_chars),
            "dup_para_char_fraction": ratio(dup_para_chars, n_chars),
        }
        lengths = doc.word_lengths
        top_sizes = sorted(self.cfg.max_top_ngram_char_fraction)
        dup_sizes = sorted(self.cfg.max_dup_ngram_char_fraction)
        # Two n-grams that are equal begin with equal m-grams (m <= n), so when no m-gram of the
        # smallest duplicate size repeats, no longer one does either: most documents stop there,
        # and the longer rows are neither hashed nor sorted.
        needed = max([*top_sizes, *dup_sizes[:1]], default=0)
        hash_rows = ngram_hash_rows(doc.word_ids, needed)
        top_chars = top_ngram_chars(sort_ngrams(hash_rows, top_sizes), lengths).tolist()
        if dup_sizes and _repeats(hash_rows[dup_sizes[0] - 1], len(doc.word_ids) - dup_sizes[0] + 1):
            if dup_sizes[-1] > needed:
                hash_rows = ngram_hash_rows(doc.word_ids, dup_sizes[-1])
            dup_chars = duplicate_ngram_chars(sort_ngrams(hash_rows, dup_sizes), lengths).tolist()
        else:
            dup_chars = [0] * len(dup_sizes)
        for n, chars in zip(top_sizes, top_chars):
            signals[f"top_{n}gram_char_fraction"] = ratio(chars, n_chars)
        for n, chars in zip(dup_sizes, dup_chars):
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
