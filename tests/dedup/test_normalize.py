import itertools
import random
import unicodedata

import numpy as np
import pytest

from corpussieve.dedup import NormalizationConfig, normalize_batch, normalize_text, normalize_texts
from corpussieve.dedup.normalize import punctuation_table


def reference(text: str, cfg: NormalizationConfig) -> str:
    """The normalization spelled out with plain string methods."""
    if cfg.nfkc:
        text = unicodedata.normalize("NFKC", text)
    if cfg.casefold:
        text = text.casefold()
    if cfg.fold_punctuation:
        table = punctuation_table()
        text = "".join(" " if table[ord(c)] else c for c in text)
    if cfg.fold_whitespace:
        text = " ".join(text.split())
    return text


ALPHABET = [
    *"abcXYZ019 ,.;!?'\"-()",
    *["\t", "\n", "\u00a0", "\u2003", "\u3000", "\u2028", "\x1c", "\u0085"],
    *"ÄéßﬁＡｂ１。、「」—–…«»¿¡‘’“”·•€∑😀中文字",  # exotic on purpose
]


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=4)))
def test_batch_normalization_matches_string_reference(flags):
    cfg = NormalizationConfig(nfkc=flags[0], casefold=flags[1], fold_punctuation=flags[2], fold_whitespace=flags[3])
    rng = random.Random(sum(f << i for i, f in enumerate(flags)))
    texts = ["".join(rng.choices(ALPHABET, k=rng.randint(0, 60))) for _ in range(200)] + [None, "", "   ", "\n"]
    assert normalize_texts(texts, cfg) == [None if t is None else reference(t, cfg) for t in texts]


def test_each_step_can_be_switched_off():
    text = "Ｈｅｌｌｏ,  WORLD!\u00a0Straße\n\t«x²»  "
    assert normalize_text(text, NormalizationConfig()) == "hello world strasse x2"
    assert normalize_text(text, NormalizationConfig(nfkc=False)) == "ｈｅｌｌｏ world strasse x²"
    assert normalize_text(text, NormalizationConfig(casefold=False)) == "Hello WORLD Straße x2"
    assert normalize_text(text, NormalizationConfig(fold_punctuation=False)) == "hello, world! strasse «x2»"
    assert normalize_text(text, NormalizationConfig(fold_whitespace=False)) == "hello   world  strasse\n\t x2   "


def test_symbols_that_are_content_are_kept():
    assert normalize_text("5 € + 3 = 8 😀 ∑", NormalizationConfig()) == "5 € 3 8 😀 ∑"


def test_blank_and_none_are_flagged():
    batch = normalize_batch(["a", None, "", " \n\t", "...!?", " x "], NormalizationConfig())
    assert batch.blank.tolist() == [False, True, True, True, True, False]
    assert batch.none.tolist() == [False, True, False, False, False, False]
    assert [batch.text(i) for i in range(len(batch))] == ["a", None, "", "", "", "x"]
    # Without punctuation folding, punctuation is content.
    batch = normalize_batch(["...", " "], NormalizationConfig(fold_punctuation=False, fold_whitespace=False))
    assert batch.blank.tolist() == [False, True]


def test_batch_boundaries_do_not_matter():
    cfg = NormalizationConfig()
    rng = random.Random(5)
    texts = ["".join(rng.choices(ALPHABET, k=rng.randint(0, 40))) for _ in range(100)]
    together = normalize_batch(texts, cfg)
    alone = [normalize_text(t, cfg) for t in texts]
    assert [together.text(i) for i in range(len(texts))] == alone
    assert together.offsets[-1] == together.codepoints.size
    assert np.all(np.diff(together.offsets) >= 0)
