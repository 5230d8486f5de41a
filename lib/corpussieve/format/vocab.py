"""The end-of-document token and the id range of each tokenizer, which fix the shards' token type."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corpussieve.format.megatron import token_dtype
from corpussieve.repetition.tokenizers import CL100K_SPECIAL_TOKENS, GPT2_SPECIAL_TOKENS

END_OF_TEXT = "<|endoftext|>"


@dataclass(frozen=True)
class Vocabulary:
    tokenizer: str
    eod: int
    """The id appended to every document."""
    size: int
    """One more than the largest id a shard can hold (ids and the end-of-document token)."""

    @property
    def dtype(self) -> np.dtype:
        return token_dtype(self.size)


def vocabulary(tokenizer: str) -> Vocabulary:
    """cl100k: ``<|endoftext|>`` = 100257 of 100,277 ids (int32); gpt2: 50256 of 50,257 (uint16); word: ids are
    32-bit hashes, so the end of a document is 2**32, an id no word can take (int64)."""
    if tokenizer == "cl100k":
        return Vocabulary("cl100k", CL100K_SPECIAL_TOKENS[END_OF_TEXT], max(CL100K_SPECIAL_TOKENS.values()) + 1)
    if tokenizer == "gpt2":
        return Vocabulary("gpt2", GPT2_SPECIAL_TOKENS[END_OF_TEXT], GPT2_SPECIAL_TOKENS[END_OF_TEXT] + 1)
    if tokenizer == "word":
        return Vocabulary("word", 2**32, 2**32 + 1)
    raise ValueError(f"unknown tokenizer {tokenizer!r}")
