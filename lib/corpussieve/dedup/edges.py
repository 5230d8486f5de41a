"""Verified candidate edges inside one LSH bucket, in near-linear work.

All pairs of a bucket would be quadratic, and a plain star to one representative (say the smallest id)
loses duplicates that are not similar to it: if A~B and A~C but the representative R is unlike all
three, every star edge fails verification and A, B, C stay apart. :func:`bucket_edges` therefore:

1. drops blank-marker members, and merges members with identical signatures: each such group becomes a
   star to its smallest id (similarity 1, no comparison needed). A hot bucket of 10k copies of one
   boilerplate page costs one sort, not 10k^2 comparisons;
2. runs up to ``leaders`` rounds of leader clustering over the distinct signatures: the smallest-id
   signature not yet matched becomes a leader and is compared with *every* member; those at or above
   ``min_similarity`` join it. A leader unlike everyone (R above) just costs one round, and A then
   leads its own round and finds B and C. Because leaders compare against all members, including
   ones already matched, a member similar to two leaders links both clusters;
3. compares each member with its ``window`` nearest neighbours in two signature-sorted orders
   (lexicographic over the values left to right, and right to left). Similar signatures share most
   values, so they sort next to each other; this catches pairs the leader budget left behind.

Work is at most ``distinct * (leaders + 2 * window)`` signature comparisons, plus sorting. The price: a
similar pair is missed only when neither member became a leader, neither was matched by the other's
leader, and they are not neighbours in either order; such pairs usually meet in another band's bucket.
Distinct signatures beyond ``max_signatures`` (by id) are not compared at all and ``truncated`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corpussieve.dedup.minhash import is_empty_signature
from corpussieve.dedup.verify import signature_similarity


@dataclass(frozen=True)
class BucketEdges:
    """Verified edges of one bucket: ``left[k] < right[k]`` (ids) with their estimated Jaccard."""

    left: np.ndarray
    right: np.ndarray
    similarity: np.ndarray
    comparisons: int
    """Signature-to-signature comparisons made (identical-signature merges are not counted)."""
    truncated: bool
    """True when some distinct signatures were skipped (over ``max_signatures``)."""
    unled: int
    """Distinct signatures neither a leader nor matched by one when the leader rounds ran out."""

    def __len__(self) -> int:
        return self.left.size


def bucket_edges(
    ids: np.ndarray,
    signatures: np.ndarray,
    min_similarity: float,
    *,
    leaders: int = 16,
    window: int = 4,
    max_signatures: int = 50_000,
) -> BucketEdges:
    """Edges between members of one LSH bucket whose estimated Jaccard is >= ``min_similarity``.

    ``ids``: k distinct, mutually comparable ids (ints or strings); ``signatures``: (k, num_perm) uint32.
    The result is deterministic: it depends on the members, not on their order. See the module docstring
    for the scheme and its tradeoff.
    """
    ids = np.asarray(ids)
    signatures = np.asarray(signatures)
    if ids.shape[0] != signatures.shape[0]:
        raise ValueError("ids and signatures must have the same length")
    live = ~is_empty_signature(signatures) if signatures.size else np.zeros(ids.shape[0], dtype=bool)
    ids, signatures = ids[live], signatures[live]
    by_id = np.argsort(ids, kind="stable")
    ids, signatures = ids[by_id], signatures[by_id]
    if ids.size > 1 and np.any(ids[1:] == ids[:-1]):
        raise ValueError("bucket ids must be distinct")

    edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # positions into ids, and similarity
    if ids.size < 2:
        return _result(ids, edges, 0, False, 0)

    # 1. Identical signatures: star to the group's smallest id (its first position, as ids are sorted).
    _, first, inverse = np.unique(signatures, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    rep_of_member = first[inverse]
    duplicate = rep_of_member != np.arange(ids.size)
    if duplicate.any():
        members = np.flatnonzero(duplicate)
        edges.append((rep_of_member[members], members, np.ones(members.size)))

    reps = np.sort(first)  # distinct signatures, by id
    truncated = reps.size > max_signatures
    reps = reps[:max_signatures]
    sigs = signatures[reps]
    comparisons = 0

    # 2. Leader rounds.
    covered = np.zeros(reps.size, dtype=bool)
    for _ in range(leaders):
        uncovered = np.flatnonzero(~covered)
        if uncovered.size == 0 or reps.size < 2:
            break
        leader = uncovered[0]
        sims = signature_similarity(sigs[leader], sigs)
        comparisons += reps.size - 1
        sims[leader] = -1.0
        matched = np.flatnonzero(sims >= min_similarity)
        edges.append((np.full(matched.size, reps[leader]), reps[matched], sims[matched]))
        covered[matched] = True
        covered[leader] = True
    unled = int((~covered).sum()) if reps.size > 1 else 0

    # 3. Sorted-neighbour windows in two orders.
    if window > 0 and reps.size > 1:
        for order in _signature_orders(sigs):
            for offset in range(1, min(window, reps.size - 1) + 1):
                a, b = order[:-offset], order[offset:]
                sims = signature_similarity(sigs[a], sigs[b])
                comparisons += a.size
                hit = sims >= min_similarity
                edges.append((reps[a[hit]], reps[b[hit]], sims[hit]))

    return _result(ids, edges, comparisons, bool(truncated), unled)


def _signature_orders(sigs: np.ndarray) -> list[np.ndarray]:
    """Positions sorted lexicographically by the values left to right, and right to left."""
    forward = np.ascontiguousarray(sigs.astype(">u4"))
    backward = np.ascontiguousarray(forward[:, ::-1])
    row = np.dtype((np.void, forward.dtype.itemsize * forward.shape[1]))
    # Big-endian bytes make byte-wise comparison of the void rows numeric, value by value.
    return [np.argsort(m.view(row).reshape(-1), kind="stable") for m in (forward, backward)]


def _result(
    ids: np.ndarray,
    edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    comparisons: int,
    truncated: bool,
    unled: int,
) -> BucketEdges:
    if not edges:
        empty = ids[:0]
        return BucketEdges(empty, empty.copy(), np.zeros(0), comparisons, truncated, unled)
    a = np.concatenate([e[0] for e in edges]).astype(np.int64)
    b = np.concatenate([e[1] for e in edges]).astype(np.int64)
    sim = np.concatenate([e[2] for e in edges])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * ids.size + hi
    _, keep = np.unique(key, return_index=True)
    return BucketEdges(ids[lo[keep]], ids[hi[keep]], sim[keep], comparisons, truncated, unled)


@dataclass(frozen=True)
class ManyBucketEdges:
    """Verified edges found in many buckets at once (``left[k] < right[k]``, each pair once), and the work."""

    left: np.ndarray
    right: np.ndarray
    similarity: np.ndarray
    buckets: int
    """Buckets seen (with at least two live members)."""
    large_buckets: int
    """Buckets over ``all_pairs_max`` members, handled by :func:`bucket_edges`."""
    comparisons: int
    truncated: int
    """Large buckets that skipped some distinct signatures (over ``max_signatures``)."""
    unled: int
    largest: int
    """Members of the largest bucket."""

    def __len__(self) -> int:
        return self.left.size


_PAIR_CHUNK = 1 << 15
"""Member pairs compared per numpy call (a chunk's temporaries are ~2 * _PAIR_CHUNK * num_perm * 4 bytes)."""


def many_bucket_edges(
    buckets: np.ndarray,
    ids: np.ndarray,
    signatures: np.ndarray,
    min_similarity: float,
    *,
    all_pairs_max: int = 16,
    leaders: int = 16,
    window: int = 4,
    max_signatures: int = 50_000,
) -> ManyBucketEdges:
    """Edges of every bucket in one call: row k says member ``ids[k]`` (int64) with ``signatures[k]`` is in
    bucket ``buckets[k]``.

    Most buckets are tiny (two documents that share a band), and a Python call per bucket would cost more
    than the comparisons. Buckets of up to ``all_pairs_max`` members therefore compare *all* their pairs
    in a few vectorized numpy operations (exact, no heuristic), and only larger buckets go through
    :func:`bucket_edges` one at a time. The result does not depend on the row order.
    """
    buckets = np.asarray(buckets, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    signatures = np.asarray(signatures)
    if not buckets.shape[0] == ids.shape[0] == signatures.shape[0]:
        raise ValueError("buckets, ids and signatures must have the same length")
    live = ~is_empty_signature(signatures) if signatures.size else np.zeros(ids.shape[0], dtype=bool)
    buckets, ids, signatures = buckets[live], ids[live], signatures[live]
    order = np.lexsort((ids, buckets))
    buckets, ids, signatures = buckets[order], ids[order], signatures[order]
    # A member listed twice in one bucket (two member lists whose bucket keys collided) counts once.
    once = np.r_[True, (buckets[1:] != buckets[:-1]) | (ids[1:] != ids[:-1])] if ids.size else np.zeros(0, bool)
    buckets, ids, signatures = buckets[once], ids[once], signatures[once]

    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]]) if ids.size else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, ids.size])
    multi = sizes >= 2
    starts, sizes = starts[multi], sizes[multi]

    lefts, rights, sims = [], [], []
    comparisons, truncated, unled = 0, 0, 0
    # Small buckets: every pair, grouped by bucket size so each size is one index pattern.
    for size in np.unique(sizes[sizes <= all_pairs_max]).tolist():
        first = starts[sizes == size]
        i, j = np.triu_indices(size, 1)
        a = (first[:, None] + i[None, :]).reshape(-1)
        b = (first[:, None] + j[None, :]).reshape(-1)
        for lo in range(0, a.size, _PAIR_CHUNK):
            ia, ib = a[lo : lo + _PAIR_CHUNK], b[lo : lo + _PAIR_CHUNK]
            sim = signature_similarity(signatures[ia], signatures[ib])
            hit = sim >= min_similarity
            lefts.append(ids[ia[hit]])
            rights.append(ids[ib[hit]])
            sims.append(sim[hit])
        comparisons += a.size
    large = np.flatnonzero(sizes > all_pairs_max)
    for k in large.tolist():
        lo, hi = int(starts[k]), int(starts[k] + sizes[k])
        found = bucket_edges(ids[lo:hi], signatures[lo:hi], min_similarity, leaders=leaders, window=window,
                             max_signatures=max_signatures)
        lefts.append(found.left.astype(np.int64))
        rights.append(found.right.astype(np.int64))
        sims.append(found.similarity)
        comparisons += found.comparisons
        truncated += int(found.truncated)
        unled += found.unled

    left = np.concatenate(lefts) if lefts else np.zeros(0, np.int64)
    right = np.concatenate(rights) if rights else np.zeros(0, np.int64)
    sim = np.concatenate(sims) if sims else np.zeros(0)
    lo_id, hi_id = np.minimum(left, right), np.maximum(left, right)
    order = np.lexsort((hi_id, lo_id))
    lo_id, hi_id, sim = lo_id[order], hi_id[order], sim[order]
    first = np.r_[True, (lo_id[1:] != lo_id[:-1]) | (hi_id[1:] != hi_id[:-1])] if lo_id.size else np.zeros(0, bool)
    return ManyBucketEdges(
        lo_id[first], hi_id[first], sim[first], buckets=int(sizes.size), large_buckets=int(large.size),
        comparisons=int(comparisons), truncated=truncated, unled=unled,
        largest=int(sizes.max()) if sizes.size else 0,
    )
