"""Shingle hashing: normalized code points -> 64-bit hashes of word or character n-grams.

Everything is vectorized over a whole batch; no Python loop runs per token or per shingle.

* A **word** is a maximal run of non-whitespace code points. Its hash is
  ``fmix64(sum_j fmix64(K_WORD + (j << 21 | cp_j)) + len * K_LEN)``: each (position, code point) pair
  goes through a bijective mixer, so two words of the same length that differ in one character never
  collide, and sums of independent-looking 64-bit values collide with probability ~2^-64 otherwise.
* A **character** unit hash is ``fmix64(K_CHAR + cp)``: distinct characters never collide.
* A **shingle** of n consecutive unit hashes u_0..u_{n-1} is the chain
  ``acc = fmix64(u_0 ^ (K_SHINGLE + n))``, then ``acc = fmix64(acc ^ u_j)`` for j = 1..n-1: order-sensitive
  and, since every step is a bijection of the accumulator and of the next unit, two shingles differing in a
  single unit never collide.
* A document with 1 <= m < n units gets one shingle: the same chain over its m units, then one more step
  mixing in m * K_SHORT, so it is not the hash of any full-length shingle. A blank document has none.

The hashes depend only on the normalized text, never on the batch or the seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from corpussieve.dedup.config import NormalizationConfig
from corpussieve.dedup.normalize import NormalizedBatch, normalize_batch, whitespace_table
from corpussieve.hashing import fmix64, fmix64_int, splitmix64_stream

ShingleUnit = Literal["word", "char"]

_K_WORD, _K_LEN, _K_CHAR, _K_SHINGLE, _K_SHORT = (np.uint64(v) for v in splitmix64_stream(0x5348494E474C45, 5))
_CHUNK_CHARS = 1 << 20
"""Word hashing works on spans of about this many characters, bounding its per-character temporaries."""
_WINDOW_BLOCK = 1 << 16
"""Shingle windows chained per block."""


@dataclass(frozen=True)
class ShingleBatch:
    """Shingle hashes of a batch: ``hashes[offsets[i]:offsets[i+1]]`` are document i's (uint64, may repeat)."""

    hashes: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return self.offsets.size - 1

    def counts(self) -> np.ndarray:
        """Shingles per document."""
        return np.diff(self.offsets)


def word_hashes(batch: NormalizedBatch) -> tuple[np.ndarray, np.ndarray]:
    """Hash every word of the batch. Returns (hashes uint64, offsets int64 of words per document)."""
    cps, offsets = batch.codepoints, batch.offsets
    is_word = ~whitespace_table()[cps]
    starts_mask = is_word.copy()
    starts_mask[1:] &= ~is_word[:-1]
    ends_mask = is_word.copy()
    ends_mask[:-1] &= ~is_word[1:]
    # Documents are concatenated without a separator: cut words at document boundaries.
    inner = offsets[1:-1]
    inner = inner[(inner > 0) & (inner < cps.size)]
    starts_mask[inner] = is_word[inner]
    ends_mask[inner - 1] = is_word[inner - 1]
    starts = np.flatnonzero(starts_mask)
    ends = np.flatnonzero(ends_mask) + 1
    del starts_mask, ends_mask
    word_offsets = np.searchsorted(starts, offsets).astype(np.int64)

    hashes = np.empty(starts.size, dtype=np.uint64)
    # Chunk boundaries in word index space, each chunk spanning about _CHUNK_CHARS characters.
    cuts = np.unique(np.searchsorted(starts, np.arange(0, cps.size, _CHUNK_CHARS)))
    cuts = np.append(cuts[cuts < starts.size], starts.size)
    for w0, w1 in itertools.pairwise(cuts):
        lo, hi = int(starts[w0]), int(ends[w1 - 1])
        chars = cps[lo:hi][is_word[lo:hi]]
        hashes[w0:w1] = hash_words(chars, ends[w0:w1] - starts[w0:w1])
    return hashes, word_offsets


def hash_words(chars: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Hashes of consecutive words: ``chars`` are their code points back to back, ``lengths`` their sizes
    (each at least 1). Decontamination hashes its words with it too."""
    first = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=first[1:])
    position = np.arange(chars.size, dtype=np.int64)
    position -= np.repeat(first, lengths)  # position of each character within its word
    values = position.view(np.uint64)
    values <<= np.uint64(21)
    values |= chars  # code points are < 2^21
    values += _K_WORD
    fmix64(values, out=values)
    sums = np.add.reduceat(values, first)
    sums += lengths.astype(np.uint64) * _K_LEN
    return fmix64(sums, out=sums)


def char_hashes(batch: NormalizedBatch) -> tuple[np.ndarray, np.ndarray]:
    """Hash every character of the batch. Returns (hashes uint64, offsets int64 per document)."""
    values = batch.codepoints.astype(np.uint64)
    values += _K_CHAR
    return fmix64(values, out=values), batch.offsets.copy()


def shingle_hashes(units: np.ndarray, unit_offsets: np.ndarray, n: int) -> ShingleBatch:
    """Hash every n-gram of consecutive units within each document (see the module docstring)."""
    if n < 1:
        raise ValueError("n must be >= 1")
    m = np.diff(unit_offsets)
    full = m >= n
    short = (m > 0) & ~full
    counts = np.where(full, m - n + 1, short.astype(np.int64))
    out_offsets = np.zeros(m.size + 1, dtype=np.int64)
    np.cumsum(counts, out=out_offsets[1:])

    windows = max(units.size - n + 1, 0)
    # Windows that run past the end of their document are not shingles.
    inside = np.ones(windows, dtype=bool)
    ends = unit_offsets[1:]
    for j in range(1, n):
        crossing = ends - j
        inside[crossing[(crossing >= 0) & (crossing < windows)]] = False

    short_docs = np.flatnonzero(short)
    out = np.empty(int(out_offsets[-1]), dtype=np.uint64)
    full_values = out if short_docs.size == 0 else np.empty(out.size - short_docs.size, dtype=np.uint64)
    seed = np.uint64((int(_K_SHINGLE) + n) & 0xFFFFFFFFFFFFFFFF)
    written = 0
    # Block by block, so no array of all windows is ever materialized.
    for w0 in range(0, windows, _WINDOW_BLOCK):
        w1 = min(w0 + _WINDOW_BLOCK, windows)
        acc = units[w0:w1] ^ seed
        fmix64(acc, out=acc)
        for j in range(1, n):
            acc ^= units[w0 + j : w1 + j]
            fmix64(acc, out=acc)
        keep = inside[w0:w1]
        kept = int(np.count_nonzero(keep))
        np.compress(keep, acc, out=full_values[written : written + kept])
        written += kept
    if short_docs.size:
        full_slot = np.repeat(full, counts)
        out[full_slot] = full_values
        out[~full_slot] = _short_shingles(units, unit_offsets[short_docs], m[short_docs], n)
    return ShingleBatch(out, out_offsets)


def _short_shingles(units: np.ndarray, starts: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """One shingle per document shorter than n units: the chain over all its units, tagged with its length."""
    if starts.size == 0:
        return np.empty(0, dtype=np.uint64)
    acc = units[starts] ^ np.uint64((int(_K_SHINGLE) + n) & 0xFFFFFFFFFFFFFFFF)
    fmix64(acc, out=acc)
    for j in range(1, n - 1):
        has = lengths > j
        step = fmix64(acc[has] ^ units[starts[has] + j])
        acc[has] = step
    acc ^= lengths.astype(np.uint64) * _K_SHORT
    return fmix64(acc, out=acc)


def batch_shingles(batch: NormalizedBatch, unit: ShingleUnit, n: int) -> ShingleBatch:
    """Shingle hashes of an already normalized batch."""
    if unit == "word":
        units, offsets = word_hashes(batch)
    elif unit == "char":
        units, offsets = char_hashes(batch)
    else:
        raise ValueError(f"unknown shingle unit {unit!r}")
    return shingle_hashes(units, offsets, n)


def text_shingles(
    texts: Sequence[str | None], unit: ShingleUnit, n: int, normalization: NormalizationConfig
) -> ShingleBatch:
    """Normalize and shingle a batch of texts."""
    return batch_shingles(normalize_batch(texts, normalization), unit, n)


def shingle_set(text: str | None, unit: ShingleUnit, n: int, normalization: NormalizationConfig) -> np.ndarray:
    """The sorted distinct shingle hashes of one text (empty for None or blank text)."""
    return np.unique(text_shingles([text], unit, n, normalization).hashes)


def word_hash_reference(word: str) -> int:
    """The hash of one word by the definition in the module docstring, with Python integers (for tests)."""
    mask = (1 << 64) - 1
    total = sum(fmix64_int((int(_K_WORD) + ((j << 21) | ord(c))) & mask) for j, c in enumerate(word)) & mask
    return fmix64_int((total + len(word) * int(_K_LEN)) & mask)
