"""The .bin/.idx writer against the independent reader of conftest.py: exact tokens, end-of-document tokens,
the token type and its dtype code, empty shards and ids that do not fit."""

from __future__ import annotations

import numpy as np
import pytest

from corpussieve.format.megatron import MAGIC, dtype_code, encode_shard, token_dtype
from corpussieve.format.vocab import vocabulary


def csr(documents):
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in documents], out=offsets[1:])
    return np.array([t for d in documents for t in d], dtype=np.uint32), offsets


@pytest.mark.parametrize("vocab_size, name, code",
                         [(50257, "uint16", 8), (100277, "int32", 4), (2**32 + 1, "int64", 5)])
def test_the_token_type_is_the_narrowest_that_holds_every_id(vocab_size, name, code):
    assert token_dtype(vocab_size).name == name and dtype_code(token_dtype(vocab_size)) == code


@pytest.mark.parametrize("tokenizer", ["gpt2", "cl100k", "word"])
def test_a_shard_reads_back_as_its_documents_in_order_each_with_the_end_of_document_token(tmp_path, tokenizer,
                                                                                         megatron_reader):
    vocab = vocabulary(tokenizer)
    rng = np.random.default_rng(3)
    top = min(vocab.eod, 2**32 - 1)
    documents = [rng.integers(0, top, int(rng.integers(1, 40))).tolist() for _ in range(25)]
    documents[3] = [top - 1]  # the largest id
    ids, offsets = csr(documents)
    order = rng.permutation(len(documents))
    shard = encode_shard(ids, offsets, order, vocab.eod, vocab.dtype)
    (tmp_path / "s.bin").write_bytes(shard.bin)
    (tmp_path / "s.idx").write_bytes(shard.idx)
    dtype, read = megatron_reader(tmp_path / "s")
    assert dtype == vocab.dtype
    assert [r.tolist() for r in read] == [documents[i] + [vocab.eod] for i in order]
    assert shard.documents == len(documents) and shard.tokens == sum(len(d) + 1 for d in documents)
    assert shard.idx.startswith(MAGIC)


def test_a_repeated_document_is_written_each_time_it_is_ordered(tmp_path, megatron_reader):
    ids, offsets = csr([[5, 6], [7]])
    shard = encode_shard(ids, offsets, np.array([1, 0, 1, 1]), 9, np.dtype("<u2"))
    (tmp_path / "s.bin").write_bytes(shard.bin)
    (tmp_path / "s.idx").write_bytes(shard.idx)
    assert [r.tolist() for r in megatron_reader(tmp_path / "s")[1]] == [[7, 9], [5, 6, 9], [7, 9], [7, 9]]
    assert shard.bin == np.array([7, 9, 5, 6, 9, 7, 9, 7, 9], dtype="<u2").tobytes()


def test_an_empty_shard_is_a_valid_header_with_one_document_index(tmp_path, megatron_reader):
    ids, offsets = csr([])
    shard = encode_shard(ids, offsets, np.zeros(0, dtype=np.int64), 9, np.dtype("<u2"))
    assert shard.bin == b"" and len(shard.idx) == 9 + 8 + 1 + 8 + 8 + 8
    (tmp_path / "s.bin").write_bytes(shard.bin)
    (tmp_path / "s.idx").write_bytes(shard.idx)
    assert megatron_reader(tmp_path / "s")[1] == []


def test_an_id_that_does_not_fit_the_token_type_is_refused():
    ids, offsets = csr([[70000]])
    with pytest.raises(ValueError, match="does not fit uint16"):
        encode_shard(ids, offsets, np.array([0]), 1, np.dtype("<u2"))
