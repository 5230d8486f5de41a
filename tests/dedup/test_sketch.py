"""The one-pass sketcher: the same exact keys and signatures as the separate kernels, repeats signed once."""

from __future__ import annotations

import numpy as np
import pytest

from corpussieve.dedup import DedupConfig, exact_hashes, minhash_signatures
from corpussieve.dedup.lsh import band_hashes
from corpussieve.dedup.normalize import normalize_batch
from corpussieve.dedup.sketch import Sketcher

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank today.",
    None,
    "   ",
    "THE QUICK brown fox, jumps over the lazy dog near the river bank today!",  # same key as the first
    "short",
    "An entirely different document about sketches, signatures and exact keys of text.",
    "",
    "The quick brown fox jumps over the lazy dog near the river bank today.",
]


@pytest.mark.parametrize("sketch", ["permutations", "one_permutation"])
@pytest.mark.parametrize("skip_repeats", [True, False])
def test_sketcher_matches_the_separate_kernels(skip_repeats, sketch):
    config = DedupConfig(sketch=sketch)
    result = Sketcher(config, 15, 8, skip_repeats=skip_repeats).sketch(TEXTS)
    exact = exact_hashes(TEXTS, config.normalization)
    signatures = minhash_signatures(TEXTS, config)
    assert np.array_equal(result.hashes, exact.hashes)
    assert np.array_equal(result.blank, exact.empty)
    expected_signed = [True, False, False, not skip_repeats, True, True, False, not skip_repeats]
    assert result.signed.tolist() == expected_signed
    signed = result.signed
    assert np.array_equal(result.signatures[signed], signatures.signatures[signed])
    assert np.array_equal(result.band_keys[signed], band_hashes(signatures.signatures[signed], 15, 8))


def test_repeats_are_remembered_across_batches_of_one_stream():
    sketcher = Sketcher(DedupConfig(), 15, 8)
    first = sketcher.sketch(TEXTS[:1])
    again = sketcher.sketch(TEXTS[3:4] + TEXTS[5:6])
    assert first.signed.tolist() == [True] and again.signed.tolist() == [False, True]
    fresh = Sketcher(DedupConfig(), 15, 8).sketch(TEXTS[3:4])
    assert fresh.signed.tolist() == [True]
    assert np.array_equal(fresh.signatures[0], first.signatures[0])


def test_subset_keeps_the_chosen_documents():
    batch = normalize_batch(["a b", None, "c d e", "", "f"], DedupConfig().normalization)
    part = batch.subset(np.array([True, False, True, False, True]))
    assert [part.text(i) for i in range(len(part))] == ["a b", "c d e", "f"]
    assert part.none.tolist() == [False, False, False] and part.blank.tolist() == [False, False, False]
