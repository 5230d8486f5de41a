import random
import tracemalloc

import numpy as np
import pyarrow as pa
import pytest

from corpussieve.dedup import (
    EMPTY_SIGNATURE_VALUE,
    DedupConfig,
    is_empty_signature,
    minhash_signatures,
    permutations,
    signature_similarity,
    signatures_from_shingles,
    text_shingles,
)
from corpussieve.dedup import minhash as minhash_module
from corpussieve.dedup.hashing import MinHashFunctions, stored_value_reference, stored_values


@pytest.fixture(params=["one_permutation", "permutations"])
def config(request) -> DedupConfig:
    """Every property below holds for both sketch schemes."""
    return DedupConfig(sketch=request.param)


PERMUTATIONS = DedupConfig(sketch="permutations")


def test_hash_functions_match_big_integer_arithmetic():
    funcs = MinHashFunctions(64, seed=7)
    rng = np.random.default_rng(0)
    edge = [0, 1, 2, (1 << 32) - 1, 1 << 32, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]
    x = np.concatenate([np.array(edge, dtype=np.uint64), rng.integers(0, 1 << 64, 500, dtype=np.uint64)])
    got = funcs.apply(x)
    for i in range(funcs.count):
        assert got[i].tolist() == [funcs.apply_reference(int(v), i) for v in x]
    assert np.array_equal(funcs.apply(x, 5, 9), got[5:9])


def test_hash_parameters_are_full_width_and_depend_on_the_seed():
    funcs = MinHashFunctions(256, seed=1)
    for values in (funcs.a, funcs.b, funcs.c):
        assert int(values.max()) > 1 << 62 and int(values.min()) < 1 << 58
    assert not np.array_equal(funcs.a, MinHashFunctions(256, seed=2).a)
    assert np.array_equal(funcs.c, MinHashFunctions(256, seed=1).c)


def test_stored_values_are_mixed_minima():
    minima = np.array([0, 1, 2, 3, 1 << 40, (1 << 64) - 1], dtype=np.uint64)
    assert stored_values(minima).tolist() == [stored_value_reference(int(m)) for m in minima]
    # Small, nearby minima do not share their stored values (the low bits of a minimum are not used raw).
    small = stored_values(np.arange(10_000, dtype=np.uint64))
    assert np.unique(small).size == small.size


def test_signature_is_the_minimum_over_shingles():
    config = PERMUTATIONS
    text = "one two three four five six seven eight nine ten eleven"
    shingles = text_shingles([text], "word", 5, config.normalization).hashes
    funcs = permutations(config.num_perm, config.seed)
    want = [stored_value_reference(min(funcs.apply_reference(int(h), i) for h in shingles))
            for i in range(config.num_perm)]
    assert minhash_signatures([text], config).signatures[0].tolist() == want


PINNED_ONE_PERMUTATION = [1975177448, 2236624904, 2236624904, 2395119360]


def test_signatures_are_reproducible_across_runs_and_machines():
    # Pinned values: any change to normalization, hashing, shingling or the permutations shows here.
    text = "The quick brown fox jumps over the lazy dog, again and again."
    words = minhash_signatures([text], DedupConfig(sketch="permutations")).signatures[0]
    chars = minhash_signatures([text], DedupConfig(sketch="permutations", shingle_unit="char")).signatures[0]
    assert words[:4].tolist() == [2833174186, 1205671761, 1389711903, 2956019057]
    assert chars[:4].tolist() == [39728644, 2371423228, 1962176986, 3080038394]
    assert words.dtype == np.uint32 and words.shape == (128,)
    one = minhash_signatures([text], DedupConfig(sketch="one_permutation")).signatures[0]
    assert one[:4].tolist() == PINNED_ONE_PERMUTATION
    assert np.array_equal(minhash_signatures([text], DedupConfig()).signatures[0], one)  # the default


def test_estimate_tracks_exact_jaccard(config, make_doc):
    rng = random.Random(2024)
    docs_a, docs_b, exact = [], [], []
    for _ in range(400):
        base = make_doc(rng, rng.randint(40, 300)).split()
        other = list(base)
        rate = rng.random() * 0.4
        for i in range(len(other)):
            if rng.random() < rate:
                other[i] = make_doc(rng, 1)
        a, b = " ".join(base), " ".join(other)
        sa = set(text_shingles([a], "word", 5, config.normalization).hashes.tolist())
        sb = set(text_shingles([b], "word", 5, config.normalization).hashes.tolist())
        docs_a.append(a)
        docs_b.append(b)
        exact.append(len(sa & sb) / len(sa | sb))
    estimate = signature_similarity(
        minhash_signatures(docs_a, config).signatures, minhash_signatures(docs_b, config).signatures
    )
    error = estimate - np.array(exact)
    # Standard error at 128 permutations is sqrt(J(1-J)/128) <= 0.044; averaged over 400 pairs of J in
    # about 0..1, the mean absolute error is ~0.02 and the bias ~0.
    assert np.mean(np.abs(error)) < 0.03
    assert abs(np.mean(error)) < 0.006
    assert np.max(np.abs(error)) < 0.2


def test_independent_documents_score_near_zero(config, make_doc):
    rng = random.Random(5)
    sigs = minhash_signatures([make_doc(rng, 200) for _ in range(200)], config).signatures
    assert signature_similarity(sigs[:100], sigs[100:]).max() < 0.05


def test_signature_does_not_depend_on_batch_or_block_boundaries(config, make_doc, monkeypatch):
    rng = random.Random(8)
    texts = [make_doc(rng, rng.choice([0, 1, 3, 4, 5, 6, 50, 400])) for _ in range(120)] + [None, "", " , "]
    together = minhash_signatures(texts, config).signatures
    alone = np.stack([minhash_signatures([t], config).signatures[0] for t in texts])
    assert np.array_equal(together, alone)
    shuffled = list(range(len(texts)))
    rng.shuffle(shuffled)
    split = minhash_signatures([texts[i] for i in shuffled[:50]], config).signatures
    assert np.array_equal(split, together[shuffled[:50]])
    # Small groups, blocks and permutation chunks change nothing.
    monkeypatch.setattr(minhash_module, "MAX_GROUP_CHARS", 500)
    assert np.array_equal(minhash_signatures(texts, config).signatures, together)
    shingles = text_shingles(texts, "word", 5, config.normalization)
    if config.sketch_scheme == "permutations":
        perms = permutations(config.num_perm, config.seed)
        for shingle_block, perm_block in ((7, 3), (1, 128), (100_000, 1)):
            got = signatures_from_shingles(shingles, perms, shingle_block=shingle_block, perm_block=perm_block)
            assert np.array_equal(got, together)
    else:
        from corpussieve.dedup.hashing import stored_values
        from corpussieve.dedup.oph import one_permutation

        sketch = one_permutation(config.num_perm, config.seed)
        for block in (1, 7, 100_000):
            minima, filled = sketch.minima(shingles, block=block)
            sketch.densify(minima, filled)
            got = stored_values(minima)
            got[shingles.counts() == 0] = EMPTY_SIGNATURE_VALUE
            assert np.array_equal(got, together)


def test_seed_and_shingling_name_different_signatures(make_doc):
    text = make_doc(random.Random(1), 100)
    base = minhash_signatures([text], DedupConfig()).signatures[0]
    for other in (DedupConfig(seed=43), DedupConfig(ngram=4), DedupConfig(shingle_unit="char")):
        assert (minhash_signatures([text], other).signatures[0] == base).mean() < 0.1


def test_short_documents_get_a_signature_from_what_they_have(config):
    batch = minhash_signatures(["Hello world", "hello, WORLD!", "hello there", "word"], config)
    assert not batch.empty.any()
    sigs = batch.signatures
    assert not is_empty_signature(sigs).any()
    assert np.array_equal(sigs[0], sigs[1])  # equal after normalization
    assert signature_similarity(sigs[0], sigs[2]) < 0.05
    assert signature_similarity(sigs[0], sigs[3]) < 0.05


def test_blank_documents_are_flagged_and_never_similar(config):
    texts = [None, "", "   \n\t", "... ,,, !!!", "real words here"]
    batch = minhash_signatures(texts, config)
    assert batch.empty.tolist() == [True, True, True, True, False]
    assert np.all(batch.signatures[:4] == EMPTY_SIGNATURE_VALUE)
    assert is_empty_signature(batch.signatures).tolist() == [True, True, True, True, False]
    assert signature_similarity(batch.signatures[0], batch.signatures[1]) == 0.0
    assert signature_similarity(batch.signatures[:4], batch.signatures[:4]).tolist() == [0.0] * 4


def test_accepts_arrow_and_numpy_inputs(config):
    texts = ["alpha beta gamma delta epsilon zeta", None, "eta theta"]
    want = minhash_signatures(texts, config)
    for given in (pa.array(texts), pa.chunked_array([texts[:1], texts[1:]]), np.array(texts, dtype=object)):
        got = minhash_signatures(given, config)
        assert np.array_equal(got.signatures, want.signatures) and np.array_equal(got.empty, want.empty)


@pytest.mark.parametrize("sketch", ["one_permutation", "permutations"])
@pytest.mark.parametrize("unit", ["word", "char"])
def test_ten_megabyte_document_in_bounded_memory(unit, sketch):
    rng = random.Random(10)
    vocab = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(5000)]
    doc = " ".join(rng.choices(vocab, k=1_800_000))[:10_000_000]
    # Fewer permutations for characters keep the test fast; the working set does not depend on them.
    config = DedupConfig(shingle_unit=unit, num_perm=128 if unit == "word" else 32, sketch=sketch)
    tracemalloc.start()
    try:
        batch = minhash_signatures([doc], config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    shingles = 10_000_000 / 6 if unit == "word" else 10_000_000
    unblocked = shingles * config.num_perm * 8  # the (shingles x permutations) uint64 matrix: 1.7 GB / 2.6 GB
    assert not batch.empty[0]
    # The permutation step adds a fixed ~1.5 MiB; the rest is linear in the text (code points, unit and
    # shingle hashes): about 15 bytes per character for words, 21 for characters.
    assert peak < 25 * len(doc), f"peak {peak / 1e6:.0f} MB"
    assert peak < unblocked / 8


def test_permutation_step_working_set_is_fixed():
    config = PERMUTATIONS
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 2**63, 400_000, dtype=np.uint64)
    from corpussieve.dedup.shingles import ShingleBatch

    shingles = ShingleBatch(hashes, np.array([0, 150_000, 400_000]))
    perms = permutations(config.num_perm, config.seed)
    tracemalloc.start()
    try:
        signatures_from_shingles(shingles, perms)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    block_bytes = 2 * minhash_module.SHINGLE_BLOCK * minhash_module.PERM_BLOCK * 8
    assert peak < 2 * block_bytes + 2 * minhash_module.SHINGLE_BLOCK * 8 * 4 + 64_000


def test_signatures_round_trip_through_arrow_binary(config):
    from corpussieve.dedup import signatures_from_arrow, signatures_to_arrow

    sigs = minhash_signatures(["one two three four five six", None, "seven"], config).signatures
    column = signatures_to_arrow(sigs)
    assert column.type == pa.binary(4 * config.num_perm) and len(column) == 3
    assert np.array_equal(signatures_from_arrow(column, config.num_perm), sigs)
    assert np.array_equal(signatures_from_arrow(column.slice(1), config.num_perm), sigs[1:])
    as_binary = pa.chunked_array([column.cast(pa.binary())])
    assert np.array_equal(signatures_from_arrow(as_binary, config.num_perm), sigs)
    assert column[0].as_py()[:4] == int(sigs[0, 0]).to_bytes(4, "little")
    with pytest.raises(ValueError):
        signatures_from_arrow([b"\x00" * 8], config.num_perm)


def test_accepts_pandas_series_with_missing_values(config):
    import pandas as pd

    texts = ["alpha beta gamma delta epsilon zeta", None, "eta theta"]
    got = minhash_signatures(pd.Series(texts), config)
    want = minhash_signatures(texts, config)
    assert np.array_equal(got.signatures, want.signatures)
    assert got.empty.tolist() == [False, True, False]
    assert minhash_signatures(pd.Series(["a b", float("nan")]), config).empty.tolist() == [False, True]
