"""One-permutation hashing with optimal densification: the kernel against its Python specification, and its
statistics (collision probability and variance) against exact Jaccard."""

import numpy as np
import pytest

from corpussieve.dedup import DedupConfig, minhash_signatures, text_shingles
from corpussieve.dedup.index import sketch_id
from corpussieve.dedup.minhash import EMPTY_SIGNATURE_VALUE, permutations, signatures_from_shingles
from corpussieve.dedup.oph import OnePermutationHashing
from corpussieve.dedup.shingles import ShingleBatch
from corpussieve.dedup.verify import signature_similarity


def batch_of(sets: list[np.ndarray]) -> ShingleBatch:
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=offsets[1:])
    hashes = np.concatenate(sets).astype(np.uint64) if sets else np.zeros(0, np.uint64)
    return ShingleBatch(hashes, offsets)


def pair_with_jaccard(rng, size: int, jaccard: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Two sets of ``size`` random 64-bit values sharing round(size * 2J / (1 + J)) of them; their exact J."""
    shared = int(round(size * 2 * jaccard / (1 + jaccard)))
    values = rng.integers(0, 1 << 64, 2 * size - shared, dtype=np.uint64, endpoint=False)
    a, b = values[:size], values[size - shared :]
    exact = shared / (2 * size - shared)
    return a, b, exact


@pytest.mark.parametrize("bins", [8, 128, 100])
def test_signatures_match_the_python_specification(bins):
    rng = np.random.default_rng(bins)
    sets = [rng.integers(0, 1 << 64, size, dtype=np.uint64) for size in (0, 1, 2, 5, 40, 300, 3000)]
    sets.append(np.array([0, 1, (1 << 64) - 1, 1 << 32], dtype=np.uint64))  # edges of the input range
    sets.append(np.repeat(sets[4][:3], 4))  # repeated shingles count once
    sketch = OnePermutationHashing(bins, seed=11)
    got = sketch.signatures(batch_of(sets))
    for i, shingles in enumerate(sets):
        assert got[i].tolist() == sketch.signature_reference([int(x) for x in shingles]), i


def test_signature_does_not_depend_on_the_batch_or_the_block_size():
    rng = np.random.default_rng(3)
    sets = [rng.integers(0, 1 << 64, int(size), dtype=np.uint64) for size in rng.integers(1, 400, 60)]
    sketch = OnePermutationHashing(64, seed=5)
    whole = sketch.signatures(batch_of(sets))
    minima, filled = sketch.minima(batch_of(sets), block=97)
    sketch.densify(minima, filled)
    from corpussieve.dedup.hashing import stored_values

    assert np.array_equal(stored_values(minima), whole)
    for i in (0, 17, 59):
        assert np.array_equal(sketch.signatures(batch_of([sets[i]]))[0], whole[i])


def test_blank_documents_get_the_marker_and_short_ones_are_filled():
    sketch = OnePermutationHashing(128, seed=1)
    sigs = sketch.signatures(batch_of([np.zeros(0, np.uint64), np.array([42], np.uint64)]))
    assert (sigs[0] == EMPTY_SIGNATURE_VALUE).all()
    # One shingle fills one bin; densification copies it everywhere.
    assert np.unique(sigs[1]).size == 1 and sigs[1][0] != EMPTY_SIGNATURE_VALUE


def collision_stats(sign, jaccard: float, size: int, trials: int, seed: int) -> tuple[float, float, float]:
    """Mean and variance of the estimate over ``trials`` independent pairs, and the exact J."""
    rng = np.random.default_rng(seed)
    estimates, exact = [], []
    for _ in range(trials):
        a, b, j = pair_with_jaccard(rng, size, jaccard)
        sigs = sign(batch_of([a, b]))
        estimates.append(float(signature_similarity(sigs[0], sigs[1])))
        exact.append(j)
    return float(np.mean(estimates)), float(np.var(estimates)), float(np.mean(exact))


@pytest.mark.parametrize("jaccard", [0.5, 0.7, 0.8, 0.9, 0.95, 1.0])
@pytest.mark.parametrize("size, max_ratio", [(20, 1.6), (1000, 1.2)])
def test_collision_probability_is_the_jaccard_and_variance_is_close_to_permutations(jaccard, size, max_ratio):
    """Unbiased at every size. Variance, measured over 1,000 pairs a cell (README, "The sketch"): 0.8-0.9x
    that of 128 independent permutations at 200+ shingles (bins sampled without replacement), 1.2-1.3x for
    documents of 10-20 shingles, where densification copies the few values a document has."""
    k, trials = 128, 400
    oph = OnePermutationHashing(k, seed=int(jaccard * 1000) + size)
    mean, var, exact = collision_stats(oph.signatures, jaccard, size, trials, seed=size)
    textbook = exact * (1 - exact) / k  # the variance of k independent permutations
    # Unbiased: the mean of 400 estimates sits within 5 standard errors of the exact Jaccard.
    assert abs(mean - exact) <= 5 * np.sqrt(max(textbook, 1e-6) / trials) + 1e-9
    if exact == 1.0:
        assert var == 0.0
        return
    perms = permutations(k, 7)
    _, perm_var, _ = collision_stats(lambda s: signatures_from_shingles(s, perms), jaccard, size, trials, size)
    # A sample variance of 400 draws is within ~15% of the true one at 2 sigma: the ratios above fit.
    assert var <= max_ratio * perm_var
    assert var <= max_ratio * textbook * 1.15


def test_a_document_with_one_shingle_in_common_is_not_a_duplicate_of_a_short_one():
    # Densification copies values: make sure a small set does not look similar to a large one that contains it.
    rng = np.random.default_rng(9)
    large = rng.integers(0, 1 << 64, 2000, dtype=np.uint64)
    small = large[:3]
    sigs = OnePermutationHashing(128, 2).signatures(batch_of([large, small]))
    assert float(signature_similarity(sigs[0], sigs[1])) < 0.05  # exact J = 3 / 2000


def test_texts_through_the_config_and_the_index_names_the_scheme():
    config = DedupConfig(sketch="one_permutation")
    text = "one two three four five six seven eight nine ten eleven twelve"
    result = minhash_signatures([text, text.replace("twelve", "thirteen"), None], config)
    shingles = text_shingles([text], "word", 5, config.normalization).hashes
    sketch = OnePermutationHashing(config.num_perm, config.seed)
    assert result.signatures[0].tolist() == sketch.signature_reference([int(h) for h in shingles])
    assert result.empty.tolist() == [False, False, True]
    assert sketch_id(config).startswith("oph-v1:")
    assert sketch_id(DedupConfig(sketch="permutations")).startswith("minhash-v2:")
    assert sketch_id(config).split(":", 1)[1] == sketch_id(DedupConfig(sketch="permutations")).split(":", 1)[1]
