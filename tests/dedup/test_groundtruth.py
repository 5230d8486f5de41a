import itertools
import random

import numpy as np
import pytest

from corpussieve.dedup import DedupConfig
from corpussieve.dedup.groundtruth import dedup_quality, shingle_sets, similar_pairs


def brute_force(sets, t):
    out = {}
    for a, b in itertools.combinations(range(len(sets)), 2):
        if sets[a].size and sets[b].size:
            inter = np.intersect1d(sets[a], sets[b]).size
            j = inter / (sets[a].size + sets[b].size - inter)
            if j >= t:
                out[(a, b)] = j
    return out


@pytest.mark.parametrize("threshold", [0.5, 0.75, 0.85, 1.0])
def test_prefix_filter_join_equals_brute_force(threshold):
    rng = np.random.default_rng(1)
    common = rng.integers(0, 2**63, 30, dtype=np.uint64)  # "boilerplate" shared by everyone
    sets = []
    for _ in range(60):
        own = rng.integers(0, 2**63, int(rng.integers(0, 60)), dtype=np.uint64)
        sets.append(np.unique(np.concatenate([own, common[: int(rng.integers(0, 30))]])))
    for k in range(40):  # near copies of earlier sets, of graded strength
        src = sets[int(rng.integers(0, 60))]
        keep = src[rng.random(src.size) > rng.uniform(0, 0.4)]
        sets.append(np.unique(np.concatenate([keep, rng.integers(0, 2**63, int(rng.integers(0, 5)), dtype=np.uint64)])))
    sets.append(np.zeros(0, dtype=np.uint64))
    want = brute_force(sets, threshold)
    got = similar_pairs(sets, threshold)
    assert dict(zip(zip(got.left.tolist(), got.right.tolist(), strict=True), got.jaccard.tolist(), strict=True)) \
        == pytest.approx(want)
    assert len(want) > 0


def test_quality_counts_justified_removals_and_surviving_pairs(make_doc):
    rng = random.Random(3)
    base = make_doc(rng, 200)
    words = base.split()
    near = " ".join(words[:-2] + ["x", "y"])  # J ~ 0.96
    far = make_doc(rng, 200)
    ids = ["a", "b", "c", "d"]
    texts = [base, near, far, None]
    config = DedupConfig()
    sets = shingle_sets(texts, config)
    assert sets[3].size == 0 and sets[0].size == 196
    good = dedup_quality(ids, texts, {"a": True, "b": False, "c": True, "d": True}, config)
    assert (good.removal_precision, good.pair_recall, good.pairs) == (1.0, 1.0, 1)
    both = dedup_quality(ids, texts, {"a": True, "b": True, "c": True, "d": True}, config)
    assert both.pair_recall == 0.0 and both.pairs_both_kept == 1
    wrong = dedup_quality(ids, texts, {"a": True, "b": False, "c": False, "d": True}, config)
    assert wrong.removed == 2 and wrong.removed_justified == 1 and wrong.removal_precision == 0.5
