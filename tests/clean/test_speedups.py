"""The vectorized replacements give the same answers as the straightforward versions they replace."""

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpussieve.clean.filters.gopher_repetition import ngram_hash_table, ngram_hashes
from corpussieve.clean.filters.language import _identifier
from corpussieve.clean.words import has_letter, split_words, word_array

from .test_filters import GOOD

SAMPLES = [
    GOOD,
    "Der schnelle braune Fuchs springt über den faulen Hund, und die Katze schläft weiter im Garten.",
    "Le renard brun rapide saute par-dessus le chien paresseux pendant que le chat dort au soleil.",
    "El rápido zorro marrón salta sobre el perro perezoso mientras el gato duerme en el jardín.",
    "Быстрая коричневая лиса прыгает через ленивую собаку, а кошка спит в саду.",
    "速い茶色のキツネが怠惰な犬を飛び越える。猫は庭で寝ている。",
    "ΑΒΓ ΔΕΖ", "SHOUTING IN CAPITALS ABOUT THE WEATHER TODAY", "a", "12 34 56", "\u0301\u0301",
]


def test_vector_langid_matches_py3langid():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    rng = random.Random(4)
    noise = ["".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(1, 400))) for _ in range(40)]
    fast = _identifier()
    assert fast.depth >= 4
    for text in SAMPLES + noise:
        want, got = reference.classify(text), fast.classify(text)
        assert got[0] == want[0] and abs(got[1] - want[1]) < 1e-4, (text[:40], want, got)


def test_ngram_table_matches_one_size_at_a_time():
    rng = np.random.default_rng(1)
    for length in (0, 1, 3, 5, 11, 300):
        ids = rng.integers(0, 40, length)
        table = ngram_hash_table(ids, [2, 3, 4, 5, 7, 10])
        assert set(table) == {2, 3, 4, 5, 7, 10}
        for n, hashes in table.items():
            assert np.array_equal(hashes, ngram_hashes(ids, n)), (length, n)


def test_has_letter_matches_the_letter_class():
    words = split_words(" ".join(SAMPLES) + " 12.5 1,300 9-11 x2 １２ 一 १२ ½ don't COVID-19 ٣٤ l’homme")
    array = word_array(words)
    expected = pc.match_substring_regex(array, r"\pL").to_numpy(zero_copy_only=False)
    assert np.array_equal(has_letter(array), expected)
    assert has_letter(pa.array(["12.5", "abc"], pa.string())).tolist() == [False, True]
