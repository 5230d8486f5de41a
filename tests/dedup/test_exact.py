import numpy as np
import xxhash

from corpussieve.dedup import NormalizationConfig, exact_hash_hex, exact_hashes, normalize_text

NORM = NormalizationConfig()


def test_hash_is_xxh3_128_of_the_normalized_code_points():
    texts = ["Hello, World!", "Straße ＡＢＣ", "中文 字"]
    batch = exact_hashes(texts, NORM)
    for text, (hi, lo) in zip(texts, batch.hashes, strict=True):
        want = xxhash.xxh3_128_intdigest(normalize_text(text, NORM).encode("utf-32-le"))
        assert ((int(hi) & (2**64 - 1)) << 64) | (int(lo) & (2**64 - 1)) == want
    assert batch.hashes.dtype == np.int64 and batch.hashes.shape == (3, 2)
    assert exact_hash_hex(batch.hashes)[0] == f"{xxhash.xxh3_128_intdigest('hello world'.encode('utf-32-le')):032x}"


def test_texts_equal_after_normalization_share_the_key():
    batch = exact_hashes(["Hello,   world", "hello world!", "HELLO\tWORLD", "hello worlds"], NORM)
    assert len({tuple(h) for h in batch.hashes[:3].tolist()}) == 1
    assert tuple(batch.hashes[3]) != tuple(batch.hashes[0])
    strict = exact_hashes(["Hello,   world", "hello world!"], NormalizationConfig(fold_punctuation=False))
    assert tuple(strict.hashes[0]) != tuple(strict.hashes[1])


def test_blank_documents_are_flagged():
    batch = exact_hashes([None, "", "  ", "?!", "x"], NORM)
    assert batch.empty.tolist() == [True, True, True, True, False]
    assert np.all(batch.hashes[:4] == 0)
    assert exact_hashes([], NORM).hashes.shape == (0, 2)
