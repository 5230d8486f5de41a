"""The Megatron indexed-dataset format (``MMIDIDX``), written from its description; numpy only.

A dataset is a pair of files sharing a prefix, which Megatron-LM (``--data-path PREFIX``), NeMo and datatrove
read memory-mapped:

``PREFIX.bin``
    the token ids of every sequence, concatenated, as one fixed-width little-endian integer type.
``PREFIX.idx``
    a header, then three arrays, all little-endian:

    ========================  =========================================================
    magic                     the 9 bytes ``MMIDIDX\\x00\\x00``
    version                   uint64, 1
    dtype code                uint8: 1 uint8, 2 int8, 3 int16, 4 int32, 5 int64,
                              6 float64, 7 float32, 8 uint16 (the .bin's integer type)
    sequence count S          uint64
    document count D          uint64: the entries of the document-index array below
    sequence lengths          int32[S], tokens of each sequence
    sequence pointers         int64[S], byte offset of each sequence in the .bin
    document indices          int64[D], the sequence index at which each document starts,
                              then S: documents are the half-open ranges between entries
    ========================  =========================================================

Here every document is one sequence (its tokens and the end-of-document token), so the document indices
are ``0, 1, ..., S`` and D = S + 1, as Megatron's own preprocessing writes them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
DTYPE_CODES: dict[str, int] = {"uint8": 1, "int8": 2, "int16": 3, "int32": 4, "int64": 5, "float64": 6,
                               "float32": 7, "uint16": 8}


def token_dtype(vocab_size: int) -> np.dtype:
    """The narrowest integer type every id below ``vocab_size`` fits: uint16, int32, else int64.

    Megatron's readers know no uint32, so 32-bit hash ids (the word tokenizer) need int64.
    """
    if vocab_size <= 2**16:
        return np.dtype("<u2")
    if vocab_size <= 2**31:
        return np.dtype("<i4")
    return np.dtype("<i8")


def dtype_code(dtype: np.dtype) -> int:
    return DTYPE_CODES[np.dtype(dtype).name]


@dataclass(frozen=True)
class EncodedShard:
    """One shard's two files as bytes, with what the manifest records about them."""

    bin: memoryview
    """The token array's own memory as bytes (no copy: a 50M-token int32 shard is 200 MB)."""
    idx: bytes
    documents: int
    tokens: int


def document_tokens(ids: np.ndarray, offsets: np.ndarray, order: np.ndarray, eod: int,
                    dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Documents ``order[0], order[1], ...`` of a CSR batch, each followed by ``eod``, as one array of ``dtype``,
    and each document's length in the output (its tokens + 1).

    Vectorized: one gather of every token to its place, then the end-of-document tokens in the gaps.
    """
    dtype = np.dtype(dtype)
    order = np.asarray(order, dtype=np.int64)
    starts = offsets[:-1][order]
    lengths = (offsets[1:] - offsets[:-1])[order]
    out_lengths = lengths + 1
    out_starts = np.zeros(order.size + 1, dtype=np.int64)
    np.cumsum(out_lengths, out=out_starts[1:])
    total = int(out_starts[-1])
    out = np.empty(total, dtype=dtype)
    eod_at = out_starts[1:] - 1
    is_token = np.ones(total, dtype=bool)
    is_token[eod_at] = False
    # Source position of output token j of document k: starts[k] + (j - out_starts[k]).
    shift = np.repeat(starts - out_starts[:-1], lengths)
    source = np.flatnonzero(is_token) + shift
    values = ids[source]
    if values.size and int(values.max()) > np.iinfo(dtype).max:
        raise ValueError(f"token id {int(values.max())} does not fit {dtype.name}")
    out[is_token] = values
    out[eod_at] = eod
    return out, out_lengths


def index_bytes(lengths: np.ndarray, dtype: np.dtype) -> bytes:
    """The .idx file of sequences of ``lengths`` tokens of ``dtype``, one document each."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size and int(lengths.max()) > np.iinfo(np.int32).max:
        raise ValueError("a document longer than 2**31 - 1 tokens does not fit the index")
    count = lengths.size
    pointers = np.zeros(count, dtype="<i8")
    if count:
        np.cumsum(lengths[:-1] * np.dtype(dtype).itemsize, out=pointers[1:])
    header = MAGIC + struct.pack("<Q", VERSION) + struct.pack("<B", dtype_code(dtype)) + struct.pack("<QQ", count,
                                                                                                     count + 1)
    return b"".join([header, lengths.astype("<i4").tobytes(), pointers.tobytes(),
                     np.arange(count + 1, dtype="<i8").tobytes()])


def encode_shard(ids: np.ndarray, offsets: np.ndarray, order: np.ndarray, eod: int, dtype: np.dtype) -> EncodedShard:
    """A shard of the documents of a CSR batch in ``order``, each ending with ``eod``."""
    tokens, lengths = document_tokens(ids, offsets, order, eod, dtype)
    return EncodedShard(bin=tokens.view(np.uint8).data, idx=index_bytes(lengths, dtype), documents=int(lengths.size),
                        tokens=int(tokens.size))
