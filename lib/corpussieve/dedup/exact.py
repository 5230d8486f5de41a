"""Exact dedup key: the 128-bit xxh3 hash of the normalized text, taken over its UTF-32-LE code points.

Hashing the code points the normalizer already holds (rather than re-encoding each document to UTF-8)
skips two full copies of the text; equal normalized texts still get equal keys, and different ones
collide with probability 2^-128.

Returned as an (n, 2) int64 array (high, low 64 bits as two's-complement), two Spark LongType columns
that shuffle and join as cheaply as any key. Blank documents are flagged: they are all kept as unique, so
their (zero) key must not be grouped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from corpussieve.dedup.config import NormalizationConfig
from corpussieve.dedup.normalize import NormalizedBatch, normalize_batch


@dataclass(frozen=True)
class ExactHashBatch:
    """``hashes``: (n, 2) int64, high then low 64 bits of xxh3_128; zeros where ``empty`` (blank documents)."""

    hashes: np.ndarray
    empty: np.ndarray


def exact_hashes(texts: Sequence[str | None], normalization: NormalizationConfig) -> ExactHashBatch:
    """xxh3_128 of each normalized text's UTF-32-LE encoding, as two int64 columns."""
    return exact_hashes_of(normalize_batch(texts, normalization))


def exact_hashes_of(batch: NormalizedBatch) -> ExactHashBatch:
    """:func:`exact_hashes` of documents already normalized."""
    data = memoryview(batch.codepoints).cast("B")
    offsets = (batch.offsets * 4).tolist()
    blank = batch.blank.tolist()
    zero = bytes(16)
    digests = b"".join(
        zero if blank[i] else xxhash.xxh3_128_digest(data[offsets[i] : offsets[i + 1]]) for i in range(len(batch))
    )
    hashes = np.frombuffer(digests, dtype=">i8").reshape(-1, 2).astype(np.int64)
    return ExactHashBatch(hashes, batch.blank.copy())


def exact_hash_hex(hashes: np.ndarray) -> list[str]:
    """32-character hex strings of (n, 2) int64 exact hashes (for logs and reports)."""
    return [f"{int(hi) & 0xFFFFFFFFFFFFFFFF:016x}{int(lo) & 0xFFFFFFFFFFFFFFFF:016x}" for hi, lo in hashes]
