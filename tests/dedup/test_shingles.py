import random

import numpy as np
import pytest

from corpussieve.dedup import NormalizationConfig, batch_shingles, normalize_batch, text_shingles
from corpussieve.dedup import shingles as shingles_module
from corpussieve.dedup.shingles import word_hash_reference, word_hashes

NORM = NormalizationConfig()
RAW = NormalizationConfig(nfkc=False, casefold=False, fold_punctuation=False, fold_whitespace=False)


def test_word_hashes_follow_the_definition_and_split_like_str_split():
    rng = random.Random(3)
    alphabet = [*"ab cd\t\n\u00a0\u2003\u3000xyz", "é", "中", "😀"]
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 50))) for _ in range(300)]
    batch = normalize_batch(texts, RAW)
    hashes, offsets = word_hashes(batch)
    for i, text in enumerate(texts):
        words = text.split()
        assert offsets[i + 1] - offsets[i] == len(words)
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == [word_hash_reference(w) for w in words]


def test_words_never_run_across_documents():
    hashes, offsets = word_hashes(normalize_batch(["ab", "cd", "", "ef gh"], NORM))
    assert offsets.tolist() == [0, 1, 2, 2, 4]
    assert hashes.tolist() == [word_hash_reference(w) for w in ["ab", "cd", "ef", "gh"]]


def test_distinct_words_get_distinct_hashes():
    rng = random.Random(11)
    words = {"".join(rng.choices("abcdefghij", k=rng.randint(1, 12))) for _ in range(200_000)}
    words |= {"a" * k for k in range(1, 40)} | {"\0" * k for k in range(1, 10)}
    hashes, _ = word_hashes(normalize_batch([" ".join(sorted(words))], RAW))
    assert len(set(hashes.tolist())) == len(words)


def test_chunked_word_hashing_matches_one_span(monkeypatch):
    rng = random.Random(4)
    texts = [
        " ".join("".join(rng.choices("abcdefg", k=rng.randint(1, 30))) for _ in range(rng.randint(0, 400)))
        for _ in range(30)
    ]
    batch = normalize_batch(texts, NORM)
    whole = word_hashes(batch)
    monkeypatch.setattr(shingles_module, "_CHUNK_CHARS", 97)
    chunked = word_hashes(batch)
    assert np.array_equal(whole[0], chunked[0]) and np.array_equal(whole[1], chunked[1])


def test_shingle_counts_for_long_short_and_empty_documents():
    texts = ["a b c d e f g", "a b", "", None, "a b c d e", "...", "x"]
    batch = text_shingles(texts, "word", 5, NORM)
    assert batch.counts().tolist() == [3, 1, 0, 0, 1, 0, 1]
    chars = text_shingles(["abcdefg", "ab", "", "a b"], "char", 3, NORM)
    assert chars.counts().tolist() == [5, 1, 0, 1]


def test_shingles_are_order_sensitive_and_short_ones_are_their_own():
    def hashes(text: str, n: int = 5) -> set[int]:
        return set(text_shingles([text], "word", n, NORM).hashes.tolist())

    assert hashes("a b c d e") != hashes("e d c b a")
    assert hashes("a b c d e") != hashes("a b c d f")
    # A short document's one shingle is not any full shingle of a longer one.
    assert not hashes("a b c") & hashes("a b c d e f g")
    assert not hashes("a b c") & hashes("a b c", n=3)
    assert hashes("a b c") != hashes("a b")
    # The same n-gram is the same shingle wherever it appears.
    assert hashes("a b c d e") <= hashes("x a b c d e y")


def test_char_shingles_see_every_character():
    batch = text_shingles(["abcab"], "char", 2, NORM)
    assert batch.counts().tolist() == [4]
    values = batch.hashes.tolist()
    assert values[0] == values[3]  # "ab" twice
    assert len(set(values)) == 3


def test_shingles_do_not_depend_on_the_batch(make_doc):
    rng = random.Random(9)
    texts = [make_doc(rng, rng.randint(0, 60)) for _ in range(80)] + [None, ""]
    for unit, n in (("word", 5), ("char", 7)):
        together = text_shingles(texts, unit, n, NORM)
        for i, text in enumerate(texts):
            alone = text_shingles([text], unit, n, NORM).hashes
            assert np.array_equal(together.hashes[together.offsets[i] : together.offsets[i + 1]], alone)


def test_unknown_unit_is_rejected():
    with pytest.raises(ValueError):
        batch_shingles(normalize_batch(["a"], NORM), "token", 5)  # type: ignore[arg-type]
