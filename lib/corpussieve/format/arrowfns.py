"""The format job's Python stages as Arrow functions: what ``mapInArrow`` and ``groupBy().applyInArrow`` run.

Each is a pure function of Arrow data (testable without Spark) with its output schema (a Spark DDL string)
beside it, then the factory making what a worker runs, a picklable closure over the job's
:class:`~corpussieve.format.config.FormatConfig` (the Spark calls are in :mod:`corpussieve.format.stages`):

1. :func:`tokenize_batch` (``mapInArrow`` over the documents): each document's token count, a 128-bit hash of
   its token ids (exact duplicates, for the stream's repetition risk), and either its token ids (uint32, 4
   bytes per token, for Megatron shards) or its text (for JSON Lines and Parquet shards).
2. :func:`write_shard` (``groupBy(shard).applyInArrow`` over the planned copies): one shard's documents, in the
   order of their seeded keys, written to the staging folder by the executor that holds them; only the
   shard's sizes, per-source counts and SHA-256 checksums come back to the driver.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from corpussieve.arrowutil import column
from corpussieve.format.files import write_bytes
from corpussieve.format.megatron import encode_shard
from corpussieve.format.vocab import Vocabulary, vocabulary
from corpussieve.repetition.arrowfns import binary_array, binary_values
from corpussieve.repetition.tokenizers import Tokenizer, get_tokenizer

if TYPE_CHECKING:  # the worker imports the config module when it unpickles the model, not before
    from corpussieve.format.config import FormatConfig

Batches = Iterator[pa.RecordBatch]

# ---------------------------------------------------------------- stage: tokenize

TOKENS_DDL = ("id string, source string, text_null boolean, tokens long, content_hi long, content_lo long, "
              "token_ids binary, text string")


def content_hashes(ids: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """xxh3-128 of each document's token ids, as (high, low) int64 halves: equal halves, equal documents."""
    n = offsets.size - 1
    digests = bytearray(16 * n)
    data = memoryview(ids.view(np.uint8))
    width = ids.dtype.itemsize
    for i in range(n):
        digests[16 * i: 16 * i + 16] = xxhash.xxh3_128_digest(data[offsets[i] * width: offsets[i + 1] * width])
    halves = np.frombuffer(bytes(digests), dtype=">i8").reshape(n, 2).astype(np.int64)
    return halves[:, 0].copy(), halves[:, 1].copy()


def tokenize_batch(batch: pa.RecordBatch, tokenizer: Tokenizer, keep_text: bool) -> pa.RecordBatch:
    """Rows of ``TOKENS_DDL`` for a batch of (id, text, source) rows; a null text has no tokens and is flagged
    (the driver refuses the input, naming those rows)."""
    text = column(batch, "text")
    texts = text.to_pylist()
    tokens = tokenizer.encode_batch(texts)
    hi, lo = content_hashes(tokens.ids, tokens.offsets)
    n = len(texts)
    return pa.RecordBatch.from_arrays(
        [column(batch, "id"), column(batch, "source"), text.is_null(),
         pa.array(tokens.lengths(), pa.int64()), pa.array(hi, pa.int64()), pa.array(lo, pa.int64()),
         pa.nulls(n, pa.binary()) if keep_text else binary_array(tokens.ids, tokens.offsets),
         text if keep_text else pa.nulls(n, pa.string())],
        names=[f.split()[0] for f in TOKENS_DDL.split(", ")],
    )


def tokens_map(config: FormatConfig) -> Callable[[Batches], Batches]:
    """mapInArrow over (id, text, source): rows of ``TOKENS_DDL``, the tokenizer loaded once per worker."""
    keep_text = config.shard_format != "megatron"

    def tokenize(batches: Batches) -> Batches:
        tokenizer = get_tokenizer(config.tokenizer)
        for batch in batches:
            yield tokenize_batch(batch, tokenizer, keep_text)

    return tokenize


# ---------------------------------------------------------------- stage: write

SHARDS_DDL = ("shard int, documents long, tokens long, bytes long, files array<string>, sha256 string, "
              "idx_sha256 string, sources array<string>, source_documents array<long>, source_tokens array<long>, "
              "seconds double")
"""One row per shard: ``files`` are names in the staging folder (the .bin first); ``tokens`` count the
end-of-document tokens; ``sha256`` is the .bin's (or the text file's), ``idx_sha256`` the .idx's."""


def shard_name(shard: int) -> str:
    return f"shard-{shard:05d}"


def _sha256(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def _text_file(table: pa.Table, shard_format: str) -> bytes:
    if shard_format == "jsonl":
        lines = [json.dumps({"id": i, "source": s, "text": t}, ensure_ascii=False)
                 for i, s, t in zip(table.column("id").to_pylist(), table.column("source").to_pylist(),
                                    table.column("text").to_pylist(), strict=True)]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table.select(["id", "source", "text"]), sink, compression="zstd")
    return sink.getvalue()


def write_shard(table: pa.Table, staging: str, shard_format: str, vocab: Vocabulary) -> pa.Table:
    """Write one shard (the planned copies of ``shard``: key, copy, id, source, tokens and token ids or text)
    to ``staging``, ordered by (key, id, copy); one ``SHARDS_DDL`` row of what was written."""
    started = time.perf_counter()
    shard = int(table.column("shard")[0].as_py())
    order = pc.sort_indices(table, sort_keys=[("key", "ascending"), ("id", "ascending"), ("copy", "ascending")])
    name = shard_name(shard)
    tokens = table.column("tokens").to_numpy().astype(np.int64)[order.to_numpy()] + 1  # + end of document
    if shard_format == "megatron":
        ids, offsets = binary_values(table.column("token_ids").cast(pa.large_binary()).combine_chunks(), np.uint32)
        encoded = encode_shard(ids, offsets, order.to_numpy(), vocab.eod, vocab.dtype)
        bin_sha, idx_sha = _sha256(encoded.bin), _sha256(encoded.idx)
        write_bytes(f"{staging}/{name}.bin", encoded.bin)
        write_bytes(f"{staging}/{name}.idx", encoded.idx)
        files, size = [f"{name}.bin", f"{name}.idx"], len(encoded.bin) + len(encoded.idx)
    else:
        data = _text_file(table.take(order), shard_format)
        bin_sha, idx_sha = _sha256(data), None
        write_bytes(f"{staging}/{name}.{shard_format}", data)
        files, size = [f"{name}.{shard_format}"], len(data)
    sources = np.asarray(table.column("source").take(order).to_pylist(), dtype=object)
    names, inverse = np.unique(sources.astype(str), return_inverse=True)
    return pa.table({
        "shard": pa.array([shard], pa.int32()), "documents": pa.array([int(tokens.size)], pa.int64()),
        "tokens": pa.array([int(tokens.sum())], pa.int64()), "bytes": pa.array([size], pa.int64()),
        "files": pa.array([files], pa.list_(pa.string())), "sha256": pa.array([bin_sha], pa.string()),
        "idx_sha256": pa.array([idx_sha], pa.string()),
        "sources": pa.array([names.tolist()], pa.list_(pa.string())),
        "source_documents": pa.array([np.bincount(inverse, minlength=names.size).tolist()], pa.list_(pa.int64())),
        "source_tokens": pa.array([np.bincount(inverse, weights=tokens, minlength=names.size).astype(np.int64)
                                   .tolist()], pa.list_(pa.int64())),
        "seconds": pa.array([time.perf_counter() - started], pa.float64()),
    })


def shards_apply(config: FormatConfig, staging: str) -> Callable[[pa.Table], pa.Table]:
    """groupBy(shard).applyInArrow: one shard written per group (see :func:`write_shard`)."""
    vocab = vocabulary(config.tokenizer)
    shard_format = config.shard_format

    def write(table: pa.Table) -> pa.Table:
        return write_shard(table, staging, shard_format, vocab)

    return write
