"""Configuration of the format job: tokenizer, shard format and size, and the seed of the mix and the order."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from corpussieve.configbase import StrictModel


class FormatConfig(StrictModel):
    """``corpussieve format``: tokenized, mixed, shuffled training shards with a manifest table."""

    tokenizer: Literal["cl100k", "gpt2", "word"] = Field(
        "cl100k", description="cl100k (GPT-4's BPE, int32 shards), gpt2 (GPT-2's BPE, uint16 shards) or word "
        "(regex words hashed to 32 bits, int64 shards); the repetition job's tokenizers, all offline."
    )
    shard_format: Literal["megatron", "jsonl", "parquet"] = Field(
        "megatron", description="megatron: .bin token ids + .idx index (MMIDIDX, what Megatron-LM, NeMo and "
        "datatrove read); jsonl or parquet: the documents' text (id, source, text) in the same mixed order."
    )
    seed: int = Field(
        1234, ge=0, le=2**31 - 1, description="Seed of the document order and of the subset a fractional epoch takes; "
        "the same seed, input version and plan give byte-identical shards."
    )
    shard_tokens: int = Field(
        50_000_000, ge=1_000, le=1_000_000_000,
        description="Tokens per shard, about (documents go to shards by a seeded hash, so sizes vary by a few "
        "documents); a shard is built in one Python worker's memory (about 12 bytes per token: the ids in, "
        "their copy, the shard out).",
    )
    partitions: int | None = Field(
        None, ge=1, le=100_000,
        description="Spark partitions the documents are tokenized in. Unset: the input's own partitions, or 2 "
        "per core when it has fewer (the shards never depend on it).",
    )
