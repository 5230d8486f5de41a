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
