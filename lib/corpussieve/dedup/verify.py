"""Verification of candidate pairs: MinHash estimate from signatures, or exact shingle Jaccard from texts."""

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
    sides = []
    for texts in (texts_a, texts_b):
        normalized = normalize_batch(texts, config.normalization)
        shingles = batch_shingles(normalized, config.shingle_unit, config.shingle_size)
        pair = np.repeat(np.arange(n, dtype=np.int64), shingles.counts())
        order = np.lexsort((shingles.hashes, pair))
        pair, hashes = pair[order], shingles.hashes[order]
        first = np.ones(pair.size, dtype=bool)
        first[1:] = (pair[1:] != pair[:-1]) | (hashes[1:] != hashes[:-1])
        sides.append((pair[first], hashes[first]))
    (pair_a, hash_a), (pair_b, hash_b) = sides
    size_a = np.bincount(pair_a, minlength=n)
    size_b = np.bincount(pair_b, minlength=n)
    pair = np.concatenate([pair_a, pair_b])
    hashes = np.concatenate([hash_a, hash_b])
    order = np.lexsort((hashes, pair))
    pair, hashes = pair[order], hashes[order]
    shared = (pair[1:] == pair[:-1]) & (hashes[1:] == hashes[:-1])  # each side is distinct: a repeat is shared
    intersection = np.bincount(pair[1:][shared], minlength=n)
    union = size_a + size_b - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where((size_a > 0) & (size_b > 0), intersection / np.maximum(union, 1), 0.0)
    return jaccard


def exact_jaccard(text_a: str | None, text_b: str | None, config: DedupConfig) -> float:
    """Exact shingle Jaccard of two texts (see :func:`exact_jaccard_pairs`)."""
    return float(exact_jaccard_pairs([text_a], [text_b], config)[0])
