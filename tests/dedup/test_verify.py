import random

import numpy as np
import pytest

from corpussieve.dedup import (
    EMPTY_SIGNATURE_VALUE,
    DedupConfig,
    exact_jaccard,
    exact_jaccard_pairs,
    normalize_text,
    signature_similarity,
)


def test_signature_similarity_is_the_fraction_of_equal_values():
    a = np.arange(128, dtype=np.uint32).reshape(1, 128).repeat(3, axis=0)
    b = a.copy()
    b[1, :32] += 1
    b[2, :] += 1
    sims = signature_similarity(a, b)
    assert sims[0] == pytest.approx(1.0)
    assert sims[1] == pytest.approx(0.75, abs=1e-9)
    assert sims[2] == 0.0
    # One signature against many broadcasts.
    assert signature_similarity(a[0], b).tolist() == pytest.approx(sims.tolist())


def test_blank_marker_never_scores():
    blank = np.full(64, EMPTY_SIGNATURE_VALUE, dtype=np.uint32)
    assert signature_similarity(blank, blank) == 0.0
    assert signature_similarity(blank, np.zeros(64, dtype=np.uint32)) == 0.0


def reference_jaccard(a: str, b: str, unit: str, n: int, config: DedupConfig) -> float:
    def shingles(text: str) -> set:
        norm = normalize_text(text, config.normalization)
        units = norm.split() if unit == "word" else list(norm)
        if not units:
            return set()
        if len(units) < n:
            return {("short", tuple(units))}
        return {tuple(units[i : i + n]) for i in range(len(units) - n + 1)}

    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


@pytest.mark.parametrize("unit", ["word", "char"])
def test_exact_jaccard_matches_python_sets(unit, make_doc):
    config = DedupConfig(shingle_unit=unit, char_ngram=4)
    n = config.shingle_size
    rng = random.Random(21)
    pairs = []
    for _ in range(150):
        a = make_doc(rng, rng.randint(0, 40))
        words = a.split()
        for _ in range(rng.randint(0, 6)):
            if words:
                words[rng.randrange(len(words))] = make_doc(rng, 1)
        if rng.random() < 0.2:
            words = words + words  # repeated shingles count once
        pairs.append((a, " ".join(words).upper()))
    pairs += [("", "x y"), (None, None), ("a b", "a b")]  # type: ignore[list-item]
    got = exact_jaccard_pairs([a for a, _ in pairs], [b for _, b in pairs], config)
    want = [reference_jaccard(a or "", b or "", unit, n, config) for a, b in pairs]
    assert got.tolist() == pytest.approx(want, abs=1e-12)
    assert exact_jaccard(pairs[0][0], pairs[0][1], config) == pytest.approx(want[0], abs=1e-12)


def test_exact_jaccard_edge_cases(config):
    assert exact_jaccard("a b c d e f", "a b c d e f", config) == 1.0
    assert exact_jaccard("A, b c d e f!", "a b c d e f", config) == 1.0
    assert exact_jaccard(None, None, config) == 0.0
    assert exact_jaccard("", "", config) == 0.0
    assert exact_jaccard_pairs([], [], config).size == 0
    with pytest.raises(ValueError):
        exact_jaccard_pairs(["a"], [], config)


def test_set_pair_jaccard_matches_python_sets():
    from corpussieve.dedup.verify import set_pair_jaccard

    rng = np.random.default_rng(5)
    universe = np.array([0, 1, 2**63, 2**64 - 1, *rng.integers(0, 2**63, 30)], dtype=np.uint64)
    sets = [np.unique(rng.choice(universe, rng.integers(0, 12))) for _ in range(40)]  # some empty
    offsets = np.r_[0, np.cumsum([s.size for s in sets])].astype(np.int64)
    hashes = np.concatenate(sets).astype(np.uint64)
    left, right = rng.integers(0, 40, 300), rng.integers(0, 40, 300)  # repeats, self pairs
    got = set_pair_jaccard(offsets, hashes, left, right)
    want = []
    for i, j in zip(left, right, strict=True):
        a, b = set(sets[i].tolist()), set(sets[j].tolist())
        want.append(len(a & b) / len(a | b) if a and b else 0.0)
    assert got.tolist() == pytest.approx(want, abs=1e-12)
    assert set_pair_jaccard(offsets, hashes, np.zeros(0, np.int64), np.zeros(0, np.int64)).size == 0
    # the binary search needs ascending, distinct members: anything else is refused, not miscounted
    for bad in ([3, 1], [2, 2]):
        with pytest.raises(ValueError, match="ascending"):
            set_pair_jaccard(np.array([0, 1, 3]), np.array([7, *bad], dtype=np.uint64), np.array([0]), np.array([1]))
    assert set_pair_jaccard(np.array([0, 2, 4]), np.array([5, 9, 1, 9], dtype=np.uint64),
                            np.array([0]), np.array([1])).tolist() == [1 / 3]


def test_shingle_sets_are_each_texts_distinct_sorted_shingles(config, make_doc):
    from corpussieve.dedup.shingles import shingle_set
    from corpussieve.dedup.verify import shingle_sets

    rng = random.Random(3)
    texts = [make_doc(rng, rng.randint(0, 30)) for _ in range(30)] + [None, "", "a a a a a a a a a a"]
    offsets, hashes = shingle_sets(texts, config)
    assert hashes.dtype == np.uint64 and offsets[0] == 0 and offsets[-1] == hashes.size
    for k, text in enumerate(texts):
        want = shingle_set(text, config.shingle_unit, config.shingle_size, config.normalization)
        if text is None or not text.strip():
            want = want[:0]
        assert hashes[offsets[k]:offsets[k + 1]].tolist() == want.tolist()


def test_shingle_sets_are_read_back_from_arrow_buffers_as_written(config, make_doc):
    """The driver reads the executors' shingle sets from the Arrow buffers of a chunked, sliced binary
    column; the result is the offsets and values the sets were made of, chunk boundaries and empty sets
    included, and the Jaccard of pairs over them is the Python sets' Jaccard."""
    import pyarrow as pa

    from corpussieve.dedup.verify import binary_uint64_sets, set_pair_jaccard, shingle_sets

    rng = random.Random(5)
    texts = [make_doc(rng, rng.randint(0, 40)) for _ in range(120)] + ["", "one two"]
    offsets, hashes = shingle_sets(texts, config)
    written = pa.array([hashes[offsets[i]:offsets[i + 1]].astype("<u8").tobytes() for i in range(len(texts))],
                       pa.binary())
    column = pa.chunked_array([written.slice(0, 7), written.slice(7, 60), written.slice(67, 0), written.slice(67)])
    read_offsets, read_hashes = binary_uint64_sets(column)
    assert np.array_equal(read_offsets, offsets) and np.array_equal(read_hashes, hashes)
    assert read_hashes.dtype == np.uint64
    left, right = np.arange(0, 60), np.arange(60, 120)
    assert np.allclose(set_pair_jaccard(read_offsets, read_hashes, left, right),
                       set_pair_jaccard(offsets, hashes, left, right))
    sets = [set(hashes[offsets[i]:offsets[i + 1]].tolist()) for i in range(len(texts))]
    for a, b in zip(left[:10], right[:10]):
        union = len(sets[a] | sets[b])
        expected = len(sets[a] & sets[b]) / union if sets[a] and sets[b] else 0.0
        assert set_pair_jaccard(read_offsets, read_hashes, np.array([a]), np.array([b]))[0] == pytest.approx(expected)
    empty_offsets, empty_hashes = binary_uint64_sets(pa.chunked_array([], pa.binary()))
    assert empty_offsets.tolist() == [0] and empty_hashes.size == 0
