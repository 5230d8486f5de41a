"""Window hashing: equal to the scalar definition, content-only, no windows across or in short documents."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from corpussieve.repetition.windows import (
    BASE,
    BASE_INV,
    local_counts,
    occurrence_counts,
    weighted_counts,
    window_counts,
    window_hash_scalar,
    window_hashes,
)


def test_base_is_odd_and_three_mod_eight():
    assert BASE % 8 == 3
    assert (BASE * BASE_INV) % (1 << 64) == 1


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_vectorized_hashes_equal_scalar_definition(make_batch, chunk):
    rng = np.random.default_rng(7)
    docs = [list(rng.integers(0, 2**32, n, dtype=np.uint64)) for n in (0, 4, 5, 6, 40, 9, 0, 17)]
    batch = make_batch(docs)
    windows = window_hashes(batch, 5, chunk_windows=chunk)
    assert windows.offsets.tolist() == np.concatenate([[0], np.cumsum([max(len(d) - 4, 0) for d in docs])]).tolist()
    expected = [window_hash_scalar(docs[d][p : p + 5]) for d, p in zip(windows.doc, windows.pos, strict=True)]
    assert windows.hashes.tolist() == expected
    assert (windows.pos >= 0).all() and (windows.pos + 5 <= np.array([len(docs[d]) for d in windows.doc])).all()


def test_hash_depends_only_on_window_content(make_batch):
    rng = np.random.default_rng(3)
    doc = [int(t) for t in rng.integers(0, 100_000, 200)]
    alone = window_hashes(make_batch([doc]), 50).hashes
    among_others = window_hashes(make_batch([[1, 2, 3] * 40, [], doc, [9] * 10]), 50)
    assert np.array_equal(among_others.hashes[among_others.doc == 2], alone)
    shifted = window_hashes(make_batch([[7] * 13 + doc]), 50).hashes
    assert np.array_equal(shifted[13:], alone)


def test_windows_never_cross_documents(make_batch):
    a, b = [1, 2, 3, 4], [5, 6, 7, 8]
    windows = window_hashes(make_batch([a, b]), 4)
    assert len(windows) == 2
    joined = window_hashes(make_batch([a + b]), 4).hashes
    assert set(windows.hashes.tolist()) == {int(joined[0]), int(joined[-1])}


def test_short_and_empty_documents_have_no_windows(make_batch):
    windows = window_hashes(make_batch([[], [1] * 7, [2] * 8]), 8)
    assert windows.offsets.tolist() == [0, 0, 0, 1]
    assert window_hashes(make_batch([]), 8).hashes.size == 0


def test_single_token_changes_always_change_the_hash(make_batch):
    rng = np.random.default_rng(11)
    base = [int(t) for t in rng.integers(0, 100_000, 50)]
    variants = [base]
    for position in range(50):
        changed = list(base)
        changed[position] = (changed[position] + 1) % 100_000
        variants.append(changed)
    swapped = list(base)
    swapped[0], swapped[49] = swapped[49], swapped[0]
    variants.append(swapped)
    hashes = window_hashes(make_batch(variants), 50).hashes
    assert len(set(hashes.tolist())) == len(variants)


def test_no_collisions_among_many_random_windows(make_batch):
    rng = np.random.default_rng(5)
    doc = rng.integers(0, 100_000, 300_000).tolist()
    hashes = window_hashes(make_batch([doc]), 8).hashes
    assert np.unique(hashes).size == hashes.size


def test_count_helpers_match_counters():
    rng = np.random.default_rng(2)
    hashes = rng.integers(0, 6, 200).astype(np.uint64)
    doc = np.sort(rng.integers(0, 5, 200))
    corpus = Counter(hashes.tolist())
    per_doc = Counter(zip(doc.tolist(), hashes.tolist(), strict=True))
    assert occurrence_counts(hashes).tolist() == [corpus[h] for h in hashes.tolist()]
    pairs = zip(doc.tolist(), hashes.tolist(), strict=True)
    assert local_counts(doc, hashes).tolist() == [per_doc[pair] for pair in pairs]
    weights = rng.random(200)
    sums = {h: weights[hashes == h].sum() for h in set(hashes.tolist())}
    assert np.allclose(weighted_counts(hashes, weights), [sums[h] for h in hashes.tolist()], rtol=0, atol=1e-12)
    assert occurrence_counts(np.zeros(0, dtype=np.uint64)).size == 0


def test_window_counts_in_one_sort_equal_the_separate_helpers(make_batch):
    rng = np.random.default_rng(4)
    docs = [rng.integers(0, 3, int(rng.integers(0, 30))).tolist() for _ in range(40)]
    windows = window_hashes(make_batch(docs), 3)
    counts, local = window_counts(windows.hashes, windows.doc)
    assert counts.tolist() == occurrence_counts(windows.hashes).tolist()
    assert local.tolist() == local_counts(windows.doc, windows.hashes).tolist()
    empty = window_counts(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
    assert empty[0].size == 0 and empty[1].size == 0
