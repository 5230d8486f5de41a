import random

import numpy as np
import pytest

from corpussieve.dedup import EMPTY_SIGNATURE_VALUE, DedupConfig, bucket_edges, minhash_signatures

P = 128


def random_signatures(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.integers(0, 2**32 - 1, (k, P), dtype=np.uint64).astype(np.uint32)


def perturb(rng: np.random.Generator, sig: np.ndarray, changed: int) -> np.ndarray:
    out = sig.copy()
    slots = rng.choice(P, changed, replace=False)
    out[slots] = rng.integers(0, 2**32 - 1, changed, dtype=np.uint64).astype(np.uint32)
    return out


def edge_set(edges) -> set[tuple]:
    return set(zip(edges.left.tolist(), edges.right.tolist(), strict=True))


def components(n_ids, edges) -> list[set]:
    parent = {i: i for i in n_ids}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(edges.left.tolist(), edges.right.tolist(), strict=True):
        parent[find(a)] = find(b)
    groups: dict = {}
    for i in n_ids:
        groups.setdefault(find(i), set()).add(i)
    return list(groups.values())


def test_duplicates_that_only_meet_through_an_unlike_representative_are_kept():
    rng = np.random.default_rng(1)
    r = random_signatures(rng, 1)[0]
    a = random_signatures(rng, 1)[0]
    b, c = perturb(rng, a, 10), perturb(rng, a, 12)
    ids = np.array([1, 5, 7, 9])  # R has the smallest id
    sigs = np.stack([r, a, b, c])
    # A plain star to the smallest id (one leader, no neighbour windows) loses every pair.
    assert len(bucket_edges(ids, sigs, 0.8, leaders=1, window=0)) == 0
    found = bucket_edges(ids, sigs, 0.8)
    assert {(5, 7), (5, 9)} <= edge_set(found)
    assert all(1 not in pair for pair in edge_set(found))
    assert np.all(found.similarity >= 0.8)
    # With the leader budget spent on R, the sorted-neighbour windows still find them.
    windowed = bucket_edges(ids, sigs, 0.8, leaders=1, window=2)
    assert components([1, 5, 7, 9], windowed) == [{1}, {5, 7, 9}]
    assert windowed.unled == 3


def test_member_similar_to_two_leaders_links_their_clusters():
    rng = np.random.default_rng(2)
    x = random_signatures(rng, 1)[0]
    left = x.copy()
    left[:20] = random_signatures(rng, 1)[0][:20]  # ~0.84 to x
    right = x.copy()
    right[-20:] = random_signatures(rng, 1)[0][-20:]  # ~0.84 to x, ~0.69 to left
    edges = bucket_edges(np.array([10, 20, 30]), np.stack([left, right, x]), 0.8, window=0)
    assert edge_set(edges) == {(10, 30), (20, 30)}


def test_result_does_not_depend_on_member_order_and_ids_may_be_strings():
    rng = np.random.default_rng(3)
    base = random_signatures(rng, 5)
    sigs = np.concatenate([base, [perturb(rng, s, 8) for s in base], random_signatures(rng, 20)])
    ids = np.array([f"doc-{i:03d}" for i in range(len(sigs))])
    first = bucket_edges(ids, sigs, 0.8)
    order = rng.permutation(len(sigs))
    second = bucket_edges(ids[order], sigs[order], 0.8)
    assert edge_set(first) == edge_set(second)
    assert edge_set(first) == {(f"doc-{i:03d}", f"doc-{i + 5:03d}") for i in range(5)}


def test_blank_members_get_no_edges():
    blank = np.full((3, P), EMPTY_SIGNATURE_VALUE, dtype=np.uint32)
    real = random_signatures(np.random.default_rng(4), 1)
    edges = bucket_edges(np.array([1, 2, 3, 4]), np.concatenate([blank, real]), 0.8)
    assert len(edges) == 0


def test_duplicate_ids_are_rejected():
    sigs = random_signatures(np.random.default_rng(5), 2)
    with pytest.raises(ValueError):
        bucket_edges(np.array([1, 1]), sigs, 0.8)


def test_ten_thousand_identical_signatures_cost_no_comparisons():
    sig = random_signatures(np.random.default_rng(6), 1)
    ids = np.arange(10_000)[::-1].copy()
    edges = bucket_edges(ids, np.repeat(sig, 10_000, axis=0), 0.8)
    assert len(edges) == 9_999
    assert set(edges.left.tolist()) == {0}
    assert edges.comparisons == 0
    assert np.all(edges.similarity == 1.0)


def test_ten_thousand_member_bucket_is_bounded_and_keeps_planted_duplicates(monkeypatch):
    from corpussieve.dedup import edges as edges_module

    rng = np.random.default_rng(7)
    k, groups, leaders, window = 10_000, 200, 16, 4
    sigs = random_signatures(rng, k)
    sigs[:, :8] = sigs[0, :8]  # every member shares band 0: a hot bucket
    truth = []
    for g in range(groups):  # planted clusters of 3 at J ~ 0.85..0.9 to their centre
        centre = g * 3
        for member in (centre + 1, centre + 2):
            sigs[member] = perturb(rng, sigs[centre], int(rng.integers(8, 16)))
            sigs[member, :8] = sigs[0, :8]
        truth.append({centre, centre + 1, centre + 2})
    assert len(np.unique(sigs, axis=0)) == k  # all distinct: no comparison is saved by merging copies

    compared = {"pairs": 0}  # signature pairs actually scored, counted where the scoring happens
    real_similarity = edges_module.signature_similarity

    def counting_similarity(a, b):
        a, b = np.asarray(a), np.asarray(b)
        compared["pairs"] += int(np.broadcast_shapes(a.shape, b.shape)[:-1][0])
        return real_similarity(a, b)

    monkeypatch.setattr(edges_module, "signature_similarity", counting_similarity)
    edges = bucket_edges(np.arange(k), sigs, 0.8, leaders=leaders, window=window)
    bound = k * (leaders + 2 * window)  # near-linear: all pairs would be ~5e7
    assert 0 < compared["pairs"] <= bound + leaders  # each leader round also scores the leader against itself
    assert compared["pairs"] - leaders <= edges.comparisons <= compared["pairs"]  # the reported count is honest
    assert edges.comparisons <= bound
    assert np.all(edges.similarity >= 0.8)
    found = components(range(k), edges)
    planted = [c for c in found if len(c) > 1]
    # No false merges, and every planted cluster is whole (any that the window missed would show here).
    assert all(any(c <= t for t in truth) for c in planted)
    whole = sum(1 for t in truth if t in planted)
    assert whole >= 0.97 * groups, f"{whole} of {groups} clusters whole"


def test_distinct_signatures_beyond_the_cap_are_reported():
    rng = np.random.default_rng(8)
    edges = bucket_edges(np.arange(50), random_signatures(rng, 50), 0.8, max_signatures=20)
    assert edges.truncated
    assert not bucket_edges(np.arange(50), random_signatures(rng, 50), 0.8).truncated


def test_end_to_end_bucket_of_real_documents(make_doc):
    rng = random.Random(9)
    base = make_doc(rng, 200)
    words = base.split()
    variants = [base]
    for _ in range(4):
        w = list(words)
        for _ in range(2):
            w[rng.randrange(len(w))] = "edit"
        variants.append(" ".join(w))
    texts = variants + [make_doc(rng, 200) for _ in range(5)]
    sigs = minhash_signatures(texts, DedupConfig()).signatures
    edges = bucket_edges(np.arange(10) * 10, sigs, 0.8)
    assert components(list(range(0, 100, 10)), edges)[0] == {0, 10, 20, 30, 40}
    assert all(a < 50 and b < 50 for a, b in edge_set(edges))


def brute_force_edges(buckets, ids, sigs, threshold):
    from corpussieve.dedup import signature_similarity

    out = set()
    for b in set(buckets.tolist()):
        members = np.flatnonzero(buckets == b)
        for x in members:
            for y in members:
                if ids[x] < ids[y] and signature_similarity(sigs[x], sigs[y]) >= threshold:
                    out.add((int(ids[x]), int(ids[y])))
    return out


def test_many_small_buckets_compare_all_pairs_in_any_row_order():
    from corpussieve.dedup.edges import many_bucket_edges

    rng = np.random.default_rng(11)
    sigs, buckets, ids = [], [], []
    next_id = 0
    for bucket in range(300):
        size = int(rng.integers(2, 9))
        centre = random_signatures(rng, 1)[0]
        for _ in range(size):
            sigs.append(perturb(rng, centre, int(rng.integers(0, 40))))
            buckets.append(bucket * 7919)
            ids.append(next_id * 13 - 500)  # negative ids: node ids are arbitrary 64-bit values
            next_id += 1
    sigs, buckets, ids = np.stack(sigs), np.array(buckets), np.array(ids)
    truth = brute_force_edges(buckets, ids, sigs, 0.8)
    found = many_bucket_edges(buckets, ids, sigs, 0.8)
    assert set(zip(found.left.tolist(), found.right.tolist(), strict=True)) == truth
    assert found.buckets == 300 and found.large_buckets == 0 and found.largest <= 8
    assert np.all(found.similarity >= 0.8) and np.all(found.left < found.right)
    order = rng.permutation(ids.size)
    again = many_bucket_edges(buckets[order], ids[order], sigs[order], 0.8)
    assert np.array_equal(again.left, found.left) and np.array_equal(again.right, found.right)


def test_many_bucket_edges_sends_large_buckets_to_the_leader_scheme_and_merges_repeats():
    from corpussieve.dedup.edges import many_bucket_edges

    rng = np.random.default_rng(12)
    centre = random_signatures(rng, 1)[0]
    big = np.stack([perturb(rng, centre, 10) for _ in range(40)])
    pair = np.stack([centre, perturb(rng, centre, 5)])
    sigs = np.concatenate([big, pair, pair[:1]])
    ids = np.r_[np.arange(40), 100, 101, 100]  # id 100 is listed twice in bucket 2 (colliding bucket keys)
    buckets = np.r_[np.full(40, 1), 2, 2, 2]
    found = many_bucket_edges(buckets, ids, sigs, 0.8, all_pairs_max=16)
    assert found.large_buckets == 1 and found.buckets == 2 and found.largest == 40
    edges = set(zip(found.left.tolist(), found.right.tolist(), strict=True))
    assert (100, 101) in edges
    assert set(range(40)) in components([*range(40), 100, 101], found)
    # The same pair found in two buckets is one edge.
    twice = many_bucket_edges(np.r_[2, 2, 3, 3], np.r_[100, 101, 100, 101], np.concatenate([pair, pair]), 0.8)
    assert len(twice) == 1


def test_many_bucket_edges_ignore_blank_and_single_members():
    from corpussieve.dedup.edges import many_bucket_edges

    blank = np.full((2, P), EMPTY_SIGNATURE_VALUE, dtype=np.uint32)
    real = random_signatures(np.random.default_rng(13), 1)
    found = many_bucket_edges(np.r_[1, 1, 1, 2], np.r_[1, 2, 3, 4], np.concatenate([blank, real, real]), 0.8)
    assert len(found) == 0 and found.buckets == 0 and found.comparisons == 0
