"""Verification of candidate pairs: MinHash estimate from signatures, or exact shingle Jaccard from texts
(the shingle sets of the texts, then the Jaccard of pairs of sets)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corpussieve.dedup.config import DedupConfig
from corpussieve.dedup.minhash import EMPTY_SIGNATURE_VALUE
from corpussieve.dedup.normalize import normalize_batch
from corpussieve.dedup.shingles import batch_shingles

STORED_VALUE_COLLISION = 2.0**-32
"""P(two different minima store the same uint32 value): the estimator's bias term."""


def signature_similarity(sigs_a: np.ndarray, sigs_b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of each pair of rows: the fraction of equal values, corrected for 32-bit storage.

    With P(equal) = J + (1 - J) * 2^-32, the estimate is (f - 2^-32) / (1 - 2^-32), clipped to [0, 1].
    Shapes broadcast: (k, P) with (k, P), or (P,) with (k, P). A pair where either side is the blank marker
    scores 0: blank documents are never duplicates.
    """
    a, b = np.asarray(sigs_a), np.asarray(sigs_b)
    equal = np.mean(a == b, axis=-1)
    estimate = np.clip((equal - STORED_VALUE_COLLISION) / (1.0 - STORED_VALUE_COLLISION), 0.0, 1.0)
    blank = np.all(a == EMPTY_SIGNATURE_VALUE, axis=-1) | np.all(b == EMPTY_SIGNATURE_VALUE, axis=-1)
    return np.where(blank, 0.0, estimate)


def shingle_sets(texts: Sequence[str | None], config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """Each text's distinct shingle hashes in ascending order, with the config's normalization and shingling:
    ``(offsets, hashes)``, text k's set being ``hashes[offsets[k]:offsets[k + 1]]`` (uint64). Blank texts
    have the empty set."""
    n = len(texts)
    normalized = normalize_batch(texts, config.normalization)
    shingles = batch_shingles(normalized, config.shingle_unit, config.shingle_size)
    doc = np.repeat(np.arange(n, dtype=np.int64), shingles.counts())
    order = np.lexsort((shingles.hashes, doc))
    doc, hashes = doc[order], shingles.hashes[order]
    first = np.ones(doc.size, dtype=bool)
    first[1:] = (doc[1:] != doc[:-1]) | (hashes[1:] != hashes[:-1])
    doc, hashes = doc[first], hashes[first]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=n), out=offsets[1:])
    return offsets, hashes


def _gather(offsets: np.ndarray, hashes: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``rows``, hash) of every member of the sets ``rows`` name, set after set."""
    starts, sizes = offsets[rows], offsets[rows + 1] - offsets[rows]
    total = int(sizes.sum())
    ends = np.cumsum(sizes)
    index = np.arange(total, dtype=np.int64) - np.repeat(ends - sizes - starts, sizes)
    return np.repeat(np.arange(rows.size, dtype=np.int64), sizes), hashes[index]


def set_pair_jaccard(offsets: np.ndarray, hashes: np.ndarray, left: np.ndarray, right: np.ndarray,
                     chunk_members: int = 1 << 22) -> np.ndarray:
    """Jaccard of the sets ``left[k]`` and ``right[k]`` of ``(offsets, hashes)`` (see :func:`shingle_sets`:
    each set distinct), for every k; 0 when either set is empty. Pairs are taken in chunks of about
    ``chunk_members`` set members, which bounds the temporary memory (~40 bytes a member)."""
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    if left.shape != right.shape:
        raise ValueError("left and right must pair up")
    sizes = np.diff(offsets)
    size_a, size_b = sizes[left], sizes[right]
    intersection = np.zeros(left.size, dtype=np.int64)
    cost = np.cumsum(size_a + size_b)
    start = 0
    while start < left.size:
        base = cost[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(cost, base + chunk_members, side="right")))
        pair_a, hash_a = _gather(offsets, hashes, left[start:stop])
        pair_b, hash_b = _gather(offsets, hashes, right[start:stop])
        pair = np.concatenate([pair_a, pair_b])
        values = np.concatenate([hash_a, hash_b])
        order = np.lexsort((values, pair))
        pair, values = pair[order], values[order]
        shared = (pair[1:] == pair[:-1]) & (values[1:] == values[:-1])  # each set is distinct: a repeat is shared
        intersection[start:stop] = np.bincount(pair[1:][shared], minlength=stop - start)
        start = stop
    union = size_a + size_b - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((size_a > 0) & (size_b > 0), intersection / np.maximum(union, 1), 0.0)


def exact_jaccard_pairs(
    texts_a: Sequence[str | None], texts_b: Sequence[str | None], config: DedupConfig
) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair (texts_a[k], texts_b[k]), with the config's
    normalization and shingling. Shingles are compared by 64-bit hash, so "exact" holds up to collisions
    (2^-64 per pair of shingles). A pair where either text is blank scores 0.
    """
    if len(texts_a) != len(texts_b):
        raise ValueError("texts_a and texts_b must pair up")
    n = len(texts_a)
    if n == 0:
        return np.zeros(0)
    offsets, hashes = shingle_sets([*texts_a, *texts_b], config)
    rows = np.arange(n, dtype=np.int64)
    return set_pair_jaccard(offsets, hashes, rows, rows + n)


def exact_jaccard(text_a: str | None, text_b: str | None, config: DedupConfig) -> float:
    """Exact shingle Jaccard of two texts (see :func:`exact_jaccard_pairs`)."""
    return float(exact_jaccard_pairs([text_a], [text_b], config)[0])
