import random

import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from corpussieve.dedup import (
    DedupConfig,
    band_hashes,
    candidate_probability,
    minhash_signatures,
    plan_banding,
    plan_for_config,
)


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
def test_equal_weights_reproduce_datasketch(threshold):
    plan = plan_banding(threshold, 128, fn_weight=0.5, fp_weight=0.5, min_recall=0.0)
    assert (plan.bands, plan.rows) == _optimal_param(threshold, 128, 0.5, 0.5)


def test_equal_weight_optimum_at_0_8_misses_a_third_of_pairs_at_0_85():
    plan = plan_banding(0.8, 128, fn_weight=0.5, fp_weight=0.5, min_recall=0.0)
    assert (plan.bands, plan.rows) == (9, 13)
    assert plan.candidate_probabilities[0.85] == pytest.approx(0.686, abs=0.001)


def test_default_plan_favours_recall():
    plan = plan_for_config(DedupConfig())
    print("\n" + plan.describe())
    assert plan.optimized
    assert plan.bands * plan.rows <= 128
    assert plan.candidate_probabilities[0.85] >= 0.99
    # What the defaults (fn 0.9, fp 0.1, P(0.85) >= 0.99) pick at 0.8 / 128: pinned so a change is noticed.
    assert (plan.bands, plan.rows) == (15, 8)
    assert plan.fn_mass == pytest.approx(0.0016, abs=1e-4)
    assert plan.fp_mass == pytest.approx(0.1334, abs=1e-4)


def test_error_masses_match_a_riemann_sum():
    plan = plan_banding(0.75, 96, bands=12, rows=7)
    s = np.linspace(0, 1, 2_000_001)
    p = candidate_probability(s, 12, 7)
    below = s <= 0.75
    ds = s[1] - s[0]
    assert plan.fp_mass == pytest.approx(np.sum(p[below]) * ds, abs=1e-5)
    assert plan.fn_mass == pytest.approx(np.sum(1 - p[~below]) * ds, abs=1e-5)
    assert not plan.optimized


def test_recall_constraint_is_honoured_or_best_effort():
    for threshold in (0.5, 0.7, 0.9):
        plan = plan_banding(threshold, 128)
        assert candidate_probability(threshold + 0.05, plan.bands, plan.rows) >= 0.99
    # Impossible: P(0.3) >= 0.99 with 8 permutations (at most 1 - 0.7^8 = 0.94). Take the most recall.
    plan = plan_banding(0.3, 8, min_recall=0.99, recall_margin=0.0)
    assert (plan.bands, plan.rows) == (8, 1)
    assert candidate_probability(0.3, 8, 1) < 0.99


def test_explicit_bands_and_rows_override():
    config = DedupConfig(bands=20, rows=5)
    plan = plan_for_config(config)
    assert (plan.bands, plan.rows, plan.optimized) == (20, 5, False)
    with pytest.raises(ValueError):
        plan_banding(0.8, 128, bands=20, rows=7)
    with pytest.raises(ValueError):
        plan_banding(0.8, 128, bands=20)


def test_band_hashes_bucket_exactly_the_equal_bands():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, (6, 128), dtype=np.uint64).astype(np.uint32)
    sigs[1] = sigs[0]
    sigs[1, 8 * 3 + 2] ^= 1  # one value of band 3 differs
    sigs[2, 16:24] = sigs[0, 16:24]  # shares band 2 only
    sigs[3, 0:8] = sigs[0, 8:16]  # band 1's values at band 0's place
    keys = band_hashes(sigs, 15, 8)
    assert keys.shape == (6, 15) and keys.dtype == np.int64
    assert (keys[0] == keys[1]).tolist() == [j != 3 for j in range(15)]
    assert (keys[0] == keys[2]).tolist() == [j == 2 for j in range(15)]
    assert keys[3, 0] != keys[0, 1]  # the band index is part of the key
    assert len(set(keys[4].tolist()) | set(keys[5].tolist())) == 30
    # Row by row: a document's keys do not depend on the other rows.
    assert np.array_equal(band_hashes(sigs[2:3], 15, 8), keys[2:3])
    with pytest.raises(ValueError):
        band_hashes(sigs, 17, 8)


def test_near_duplicates_share_a_bucket_and_strangers_do_not(make_doc):
    config = DedupConfig()
    plan = plan_for_config(config)
    rng = random.Random(12)
    originals = [make_doc(rng, 300) for _ in range(100)]
    copies = []
    for text in originals:
        words = text.split()
        for _ in range(3):  # J of 5-shingles around 0.9
            words[rng.randrange(len(words))] = "changed"
        copies.append(" ".join(words))
    keys_a = band_hashes(minhash_signatures(originals, config).signatures, plan.bands, plan.rows)
    keys_b = band_hashes(minhash_signatures(copies, config).signatures, plan.bands, plan.rows)
    assert np.all(np.any(keys_a == keys_b, axis=1))
    strangers = np.any(keys_a[:50] == keys_b[50:], axis=1)
    assert not strangers.any()
