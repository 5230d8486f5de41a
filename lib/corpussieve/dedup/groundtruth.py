"""Ground truth for dedup quality: every pair of documents at or above a Jaccard threshold, found exactly.

Jaccard is over the same shingle sets the job uses (same normalization and shingling, shingles compared
by their 64-bit hash). Instead of comparing all n^2 pairs, :func:`similar_pairs` is the *prefix filter*
all-pairs similarity join (Bayardo et al., "Scaling Up All Pairs Similarity Search", WWW 2007): order
shingles globally, rarest first; two sets with Jaccard >= t must share a shingle among the first
``|x| - ceil(t * |x|) + 1`` of each. Only pairs sharing such a prefix shingle are compared, exactly, so
the result equals brute force (no pair is missed) at a small fraction of its cost: boilerplate shingles
that every page of a site shares sort last and never enter a prefix.

:func:`dedup_quality` scores a clusters table against those pairs: *removal precision* (a removed document
has some document at Jaccard >= 0.75) and *pair recall* (the share of pairs at Jaccard >= 0.85 that do not
survive with both documents kept).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from corpussieve.dedup.config import DedupConfig
from corpussieve.dedup.shingles import text_shingles


@dataclass(frozen=True)
class SimilarPairs:
    """Document index pairs ``left[k] < right[k]`` with exact Jaccard ``jaccard[k] >= min_jaccard``."""

    left: np.ndarray
    right: np.ndarray
    jaccard: np.ndarray
    min_jaccard: float
    candidates: int
    """Pairs compared exactly (those sharing a prefix shingle)."""

    def __len__(self) -> int:
        return self.left.size


def shingle_sets(texts: Sequence[str | None], config: DedupConfig, chunk: int = 2000) -> list[np.ndarray]:
    """The sorted distinct shingle hashes of each text (empty for blank texts)."""
    sets: list[np.ndarray] = []
    for lo in range(0, len(texts), chunk):
        batch = text_shingles(texts[lo : lo + chunk], config.shingle_unit, config.shingle_size,
                              config.normalization)
        for i in range(len(batch)):
            sets.append(np.unique(batch.hashes[batch.offsets[i] : batch.offsets[i + 1]]))
    return sets


def _prefix_length(size: int, t: float) -> int:
    return size - math.ceil(t * size - 1e-9) + 1


def similar_pairs(sets: Sequence[np.ndarray], min_jaccard: float, pair_chunk: int = 200_000) -> SimilarPairs:
    """All pairs of ``sets`` (sorted distinct uint64 arrays) with Jaccard >= ``min_jaccard`` > 0."""
    if not 0.0 < min_jaccard <= 1.0:
        raise ValueError("min_jaccard must be in (0, 1]")
    sizes = np.array([s.size for s in sets], dtype=np.int64)
    live = np.flatnonzero(sizes > 0)
    if live.size < 2:
        empty = np.zeros(0, np.int64)
        return SimilarPairs(empty, empty.copy(), np.zeros(0), min_jaccard, 0)
    doc = np.repeat(live, sizes[live])
    tokens = np.concatenate([sets[i] for i in live.tolist()])
    # Global order: rarest shingle first, then by hash; rank replaces each shingle by its position.
    distinct, inverse, counts = np.unique(tokens, return_inverse=True, return_counts=True)
    order = np.lexsort((distinct, counts))
    rank = np.empty(distinct.size, dtype=np.int64)
    rank[order] = np.arange(distinct.size)
    token_rank = rank[inverse.reshape(-1)]
    # Within each document, keep the prefix of its shingles in global order.
    by_doc_rank = np.lexsort((token_rank, doc))
    doc_sorted, rank_sorted = doc[by_doc_rank], token_rank[by_doc_rank]
    starts = np.r_[0, np.cumsum(sizes[live])[:-1]]
    position = np.arange(doc_sorted.size) - np.repeat(starts, sizes[live])
    prefix = np.array([_prefix_length(int(s), min_jaccard) for s in sizes[live]], dtype=np.int64)
    in_prefix = position < np.repeat(prefix, sizes[live])
    p_doc, p_tok = doc_sorted[in_prefix], rank_sorted[in_prefix]
    # Documents sharing a prefix shingle are candidates: all pairs within each shingle's posting list.
    by_tok = np.lexsort((p_doc, p_tok))
    p_doc, p_tok = p_doc[by_tok], p_tok[by_tok]
    bounds = np.flatnonzero(np.r_[True, p_tok[1:] != p_tok[:-1], True])
    lefts, rights = [], []
    lengths = np.diff(bounds)
    for size in np.unique(lengths[lengths >= 2]).tolist():
        first = bounds[:-1][lengths == size]
        i, j = np.triu_indices(size, 1)
        lefts.append(p_doc[(first[:, None] + i[None, :]).reshape(-1)])
        rights.append(p_doc[(first[:, None] + j[None, :]).reshape(-1)])
    if not lefts:
        empty = np.zeros(0, np.int64)
        return SimilarPairs(empty, empty.copy(), np.zeros(0), min_jaccard, 0)
    pairs = np.unique(np.stack([np.concatenate(lefts), np.concatenate(rights)], axis=1), axis=0)
    # Size filter: J(x, y) <= min/max, so pairs of very different sizes cannot qualify.
    small = np.minimum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
    large = np.maximum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
    pairs = pairs[small >= min_jaccard * large - 1e-9]
    jaccard = np.empty(pairs.shape[0])
    for k, (a, b) in enumerate(pairs.tolist()):
        inter = np.intersect1d(sets[a], sets[b], assume_unique=True).size
        jaccard[k] = inter / (sizes[a] + sizes[b] - inter)
    keep = jaccard >= min_jaccard - 1e-12
    return SimilarPairs(pairs[keep, 0], pairs[keep, 1], jaccard[keep], min_jaccard, int(pairs.shape[0]))


@dataclass(frozen=True)
class DedupQuality:
    """How a dedup result compares with the exact pairs."""

    documents: int
    removed: int
    removed_justified: int
    """Removed documents that have some document at Jaccard >= ``precision_jaccard``."""
    removal_precision: float
    pairs: int
    """Pairs at Jaccard >= ``recall_jaccard``."""
    pairs_both_kept: int
    pair_recall: float
    precision_jaccard: float
    recall_jaccard: float

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def dedup_quality(
    ids: Sequence[str],
    texts: Sequence[str | None],
    kept: Mapping[str, bool],
    config: DedupConfig,
    *,
    precision_jaccard: float = 0.75,
    recall_jaccard: float = 0.85,
) -> DedupQuality:
    """Score ``kept`` (id -> whether the job kept it) against the exact similar pairs of ``texts``."""
    if len(ids) != len(texts):
        raise ValueError("ids and texts must pair up")
    pairs = similar_pairs(shingle_sets(texts, config), min(precision_jaccard, recall_jaccard))
    kept_flags = np.array([bool(kept[i]) for i in ids])
    near = pairs.jaccard >= precision_jaccard
    justified = np.zeros(len(ids), dtype=bool)
    justified[pairs.left[near]] = True
    justified[pairs.right[near]] = True
    removed = ~kept_flags
    strong = pairs.jaccard >= recall_jaccard
    both_kept = kept_flags[pairs.left[strong]] & kept_flags[pairs.right[strong]]
    n_removed, n_pairs = int(removed.sum()), int(strong.sum())
    ok_removed = int((removed & justified).sum())
    return DedupQuality(
        documents=len(ids), removed=n_removed, removed_justified=ok_removed,
        removal_precision=ok_removed / n_removed if n_removed else 1.0,
        pairs=n_pairs, pairs_both_kept=int(both_kept.sum()),
        pair_recall=1.0 - both_kept.sum() / n_pairs if n_pairs else 1.0,
        precision_jaccard=precision_jaccard, recall_jaccard=recall_jaccard,
    )
