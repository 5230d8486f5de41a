"""The repetition job's Python stages as Arrow batch functions: what ``mapInArrow`` and ``applyInArrow`` run.

Each is a pure function of Arrow data (testable without Spark) with its output schema (a Spark DDL string)
beside it, followed by the factory that makes what a Spark worker runs: a picklable closure over the job's
:class:`~corpussieve.repetition.config.RepetitionConfig` and the values the driver derived (bucket count,
source indices, the plan's passes), named after what it makes and how Spark runs it (``tokens_map`` for
``mapInArrow``, ``repeated_apply`` for ``groupBy().applyInArrow``, ``answers_cogroup`` for ``cogroup``).
The Spark calls themselves are in :mod:`corpussieve.repetition.stages`.

1. :func:`tokenize_batch` (``mapInArrow`` over the documents): token ids per document, stored as one
   binary value (uint32, 4 bytes per token), plus the document's *block*: consecutive documents of one
   Arrow batch, about ``block_tokens`` tokens, laid end to end on the block's token axis (``token_start``),
   so that a window can be named by (block, block-local position) when answers must travel back.
2. :func:`window_payloads` (``mapInArrow`` over the cached tokens) hashes every window and packs the hashes
   into one binary row per (block, bucket); a bucket is a range of hash values. The shuffle by bucket moves
   8 bytes per window in a handful of rows, never a row per window (plus a 2-byte source index when the
   training plan's passes differ between sources). :func:`repeated_hashes` (``groupBy(bucket)``) counts
   every hash of its bucket and keeps those seen at least twice: the table R of repeated hashes with their
   counts (and effective counts).
3. Coverage, by one of two lookups of every window in R:

   * broadcast (R fits ``broadcast_max_bytes``; the usual case, since R holds only *distinct repeated*
     windows): :func:`batch_coverage` (``mapInArrow`` over the cached tokens) re-hashes the windows, looks
     them up in a hash table over R, and covers. No second shuffle.
   * shuffle (R too large to broadcast): the windows travel again with their block-local positions
     (:func:`window_payloads` ``with_refs``, 12 bytes per window) and meet R's bucket in a ``cogroup``;
     :func:`answer_windows` returns the repeated ones, grouped by block, and :func:`block_coverage`
     (``cogroup`` of a block's documents with its answers) covers.

   Either way :func:`_covered` counts the repeated windows inside their documents (local counts), runs
   :func:`~corpussieve.repetition.coverage.coverage` per source, and emits per-document rows, maximal-span
   rows and one mergeable :class:`~corpussieve.repetition.coverage.RepetitionFigures` per source (JSON).

4. Span removal (``--strip K``, definitions in :mod:`~corpussieve.repetition.strip`): :func:`over_limit_rows`
   keeps R's windows seen more than K times; :func:`first_copy_payloads` (``mapInArrow`` over the cached tokens
   with each document's keep rank, that table broadcast) ships, per bucket, the first K occurrences of each
   over-limit window in its batch (hash, rank, position: 20 bytes each, never more than K per window and
   batch); :func:`cutoff_rows` (``groupBy(bucket)``) keeps each window's K-th occurrence corpus-wide, the
   cutoff. :func:`strip_batch` (``mapInArrow`` over the ranked tokens, the cutoffs broadcast) strips every
   document: its kept tokens (the rows of ``TOKENS_DDL``'s shape, so the count and coverage stages measure the
   result) and its cuts, which :func:`rebuild_batch` (``mapInArrow`` over the input table joined with them)
   applies to the text.

Nothing here depends on how the corpus is split into partitions, batches, blocks or buckets: counts are
corpus-wide and exact, coverage is per document, and the keep order is a total order on occurrences.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import xxhash

from corpussieve.arrowutil import column, with_columns
from corpussieve.repetition.coverage import coverage
from corpussieve.repetition.strip import (
    CopyLimits,
    byte_cuts,
    copy_limits,
    cut_text,
    over_limit_windows,
    smallest_copies,
    strip_tokens,
)
from corpussieve.repetition.tokenizers import TokenBatch, Tokenizer, get_tokenizer
from corpussieve.repetition.windows import WindowBatch, local_counts, window_hashes

if TYPE_CHECKING:  # the worker imports the config module when it unpickles the model, not before
    from corpussieve.repetition.config import RepetitionConfig

Batches = Iterator[pa.RecordBatch]

NO_SOURCE = "(no source)"
"""The source of documents whose table has no ``source`` column, or whose source is null."""

BYTES_PER_WINDOW = 8
"""Shuffled by the count stage per window: its 8-byte hash."""
BYTES_PER_SOURCE = 2
"""Added per window when the plan's passes differ between sources: a 2-byte source index."""
BYTES_PER_WINDOW_LOOKUP = 12
"""Shuffled again per window by the shuffle lookup only: the hash and a 4-byte block-local position."""


def binary_values(column: pa.Array | pa.ChunkedArray, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """A binary column of packed numbers as one numpy array (no copy) and CSR offsets in elements.

    A null entry reads as empty.
    """
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    dtype = np.dtype(dtype)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=dtype), np.zeros(1, dtype=np.int64)
    large = pa.types.is_large_binary(arr.type)
    buffers = arr.buffers()
    width = 8 if large else 4
    offsets = np.frombuffer(
        buffers[1], dtype=np.int64 if large else np.int32, count=n + 1, offset=arr.offset * width
    ).astype(np.int64)
    start, stop = int(offsets[0]), int(offsets[-1])
    if (stop - start) % dtype.itemsize:
        raise ValueError(f"binary column does not hold whole {dtype} values")
    values = (
        np.frombuffer(buffers[2], dtype=dtype, count=(stop - start) // dtype.itemsize, offset=start)
        if stop > start
        else np.zeros(0, dtype=dtype)
    )
    return values, (offsets - start) // dtype.itemsize


def binary_array(values: np.ndarray, offsets: np.ndarray) -> pa.Array:
    """Pack ``values[offsets[i]:offsets[i+1]]`` into entry i of a binary array (the values are not copied)."""
    data = np.ascontiguousarray(values)
    byte_offsets = np.asarray(offsets, dtype=np.int64) * data.dtype.itemsize
    if byte_offsets.size and byte_offsets[-1] >= 2**31:
        raise ValueError("more than 2 GiB in one binary column of a batch")
    return pa.Array.from_buffers(
        pa.binary(),
        byte_offsets.size - 1,
        [None, pa.py_buffer(byte_offsets.astype(np.int32)), pa.py_buffer(data.view(np.uint8))],
    )


# ---------------------------------------------------------------- stage 1: tokenize


def normalized_text_hashes(texts: list[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xxh3-128 of each text with whitespace runs folded to one space and both ends stripped.

    Returns (high, low) int64 halves and an ``empty`` flag (null, empty or whitespace-only text: such
    documents are never exact duplicates of each other). Whitespace folding catches re-crawls that differ
    only in layout at ~100 MB/s; the dedup job's stronger normalization (NFKC, case, punctuation) costs
    ten times more and belongs there.
    """
    n = len(texts)
    digests = bytearray(16 * n)
    empty = np.zeros(n, dtype=bool)
    for i, text in enumerate(texts):
        folded = " ".join(text.split()) if text else ""
        if folded:
            digests[16 * i : 16 * i + 16] = xxhash.xxh3_128_digest(folded.encode("utf-8"))
        else:
            empty[i] = True
    halves = np.frombuffer(bytes(digests), dtype=">i8").reshape(n, 2).astype(np.int64)
    return halves[:, 0].copy(), halves[:, 1].copy(), empty


def assign_blocks(lengths: np.ndarray, block_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive documents grouped into blocks of about ``block_tokens`` tokens.

    Returns each document's block number (0, 1, ... within the batch) and its first token's position on its
    block's axis. A block holds at most ``block_tokens`` tokens plus one document, so block-local positions
    fit in uint32 whenever a single document does.
    """
    starts = np.zeros(lengths.size, dtype=np.int64)
    if lengths.size:
        np.cumsum(lengths[:-1], out=starts[1:])
    cell = starts // max(int(block_tokens), 1)
    new = np.ones(lengths.size, dtype=bool)
    new[1:] = cell[1:] != cell[:-1]
    block = np.cumsum(new) - 1
    block_start = starts[new]
    return block, starts - block_start[block]


TOKENS_DDL = (
    "block long, token_start long, id string, source string, tokens long, empty boolean, "
    "text_hash_hi long, text_hash_lo long, token_ids binary"
)


def tokenize_batch(
    batch: pa.RecordBatch, tokenizer: Tokenizer, block_tokens: int, first_block: int, carry: tuple[str, ...] = ()
) -> tuple[pa.RecordBatch, int]:
    """Tokenize a batch of (id, text, source) rows; returns the rows of ``TOKENS_DDL`` and the blocks used.
    ``carry``: input columns appended unchanged after them (clean's spans stage carries each document's keep
    rank)."""
    texts = column(batch, "text").to_pylist()
    tokens = tokenizer.encode_batch(texts)
    lengths = tokens.lengths()
    block, token_start = assign_blocks(lengths, block_tokens)
    hi, lo, empty = normalized_text_hashes(texts)
    token_ids = binary_array(tokens.ids, tokens.offsets)
    out = pa.RecordBatch.from_arrays(
        [
            pa.array(block + first_block, pa.int64()),
            pa.array(token_start, pa.int64()),
            column(batch, "id"),
            column(batch, "source"),
            pa.array(lengths, pa.int64()),
            pa.array(empty, pa.bool_()),
            pa.array(hi, pa.int64()),
            pa.array(lo, pa.int64()),
            token_ids,
            *(column(batch, name) for name in carry),
        ],
        names=[*(f.split()[0] for f in TOKENS_DDL.split(", ")), *carry],
    )
    return out, int(block[-1]) + 1 if block.size else 0


def tokens_map(config: RepetitionConfig, carry: tuple[str, ...] = ()) -> Callable[[Batches], Batches]:
    """mapInArrow over (id, text, source): rows of ``TOKENS_DDL`` (then the ``carry`` columns), with the
    tokenizer loaded once per task."""

    def tokenize(batches: Batches) -> Batches:
        from pyspark import TaskContext

        task = TaskContext.get()
        # Block ids only route a block's windows back to it: unique per (partition, block) is all they need.
        next_block = (task.partitionId() if task else 0) << 32
        tokenizer = get_tokenizer(config.tokenizer)
        for batch in batches:
            out, used = tokenize_batch(batch, tokenizer, config.block_tokens, next_block, carry)
            next_block += used
            yield out

    return tokenize


# ---------------------------------------------------------------- stage 2: count


def bucket_of(hashes: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket of each hash: its top 32 bits scaled to [0, buckets) (uniform, no division)."""
    return (((hashes >> np.uint64(32)) * np.uint64(buckets)) >> np.uint64(32)).astype(np.int32)


PAYLOAD_DDL = "bucket int, block long, windows long, hashes binary, refs binary, sources binary"


def window_payloads(
    batch: pa.RecordBatch,
    span_tokens: int,
    buckets: int,
    source_index: Mapping[str, int] | None = None,
    with_refs: bool = False,
) -> pa.RecordBatch:
    """Hash every window of a batch of token rows and pack them into one row per (block, bucket).

    ``hashes`` always; ``sources`` (uint16 index) when ``source_index`` is given; ``refs`` (uint32 block-local
    position of the window's first token) when ``with_refs``, which the shuffle lookup needs to answer back.
    """
    ids, offsets = binary_values(column(batch, "token_ids"), np.uint32)
    windows = window_hashes(TokenBatch(ids, offsets), span_tokens)
    doc_block = column(batch, "block").to_numpy()
    # Group by (block, bucket), keeping window order inside a group. A block's documents are consecutive, so
    # the blocks of a batch are few: the key is small and numpy's stable sort on 16 bits is a radix sort.
    block_rank = np.unique(doc_block, return_inverse=True)[1][windows.doc]
    bucket = bucket_of(windows.hashes, buckets)
    key = block_rank * buckets + bucket
    order = np.argsort(key.astype(np.uint16) if key.size and key.max() < 2**16 else key, kind="stable")
    key_block, bucket = doc_block[windows.doc][order], bucket[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (key_block[1:] != key_block[:-1]) | (bucket[1:] != bucket[:-1])
    first = np.flatnonzero(new)
    row_offsets = np.append(first, order.size)
    refs = pa.nulls(first.size, pa.binary())
    if with_refs:
        positions = column(batch, "token_start").to_numpy()[windows.doc] + windows.pos
        if positions.size and positions.max() >= 2**32:
            raise ValueError("a block is too long for 32-bit positions; lower repetition.block_tokens")
        refs = binary_array(positions[order].astype(np.uint32), row_offsets)
    sources = pa.nulls(first.size, pa.binary())
    if source_index is not None:
        per_doc = np.array([source_index[s] for s in column(batch, "source").to_pylist()], dtype=np.uint16)
        sources = binary_array(per_doc[windows.doc][order], row_offsets)
    return pa.RecordBatch.from_arrays(
        [
            pa.array(bucket[first], pa.int32()),
            pa.array(key_block[first], pa.int64()),
            pa.array(np.diff(row_offsets), pa.int64()),
            binary_array(windows.hashes[order], row_offsets),
            refs,
            sources,
        ],
        names=["bucket", "block", "windows", "hashes", "refs", "sources"],
    )


def payloads_map(
    config: RepetitionConfig, buckets: int, source_index: Mapping[str, int] | None, with_refs: bool
) -> Callable[[Batches], Batches]:
    """mapInArrow over cached token rows (block, token_start, source, token_ids): rows of ``PAYLOAD_DDL``."""

    def payloads(batches: Batches) -> Batches:
        for batch in batches:
            if batch.num_rows:
                yield window_payloads(batch, config.span_tokens, buckets, source_index, with_refs)

    return payloads


REPEATED_DDL = "bucket int, entries long, hashes binary, counts binary, effective binary"


def repeated_hashes(table: pa.Table, passes_by_index: np.ndarray | None = None) -> pa.Table:
    """Count every hash of one bucket; keep those seen at least twice (rows of ``REPEATED_DDL``).

    With ``passes_by_index`` (passes per source index, the payload carrying each window's source) each kept
    hash also gets its effective count: the sum of passes over its copies, added in a fixed order (sorted by
    passes) so that the float sum does not depend on the order in which rows arrive.
    """
    hashes, _ = binary_values(table.column("hashes"), np.uint64)
    bucket = table.column("bucket")[0].as_py() if table.num_rows else 0
    weights = None
    if passes_by_index is not None and hashes.size:
        sources, _ = binary_values(table.column("sources"), np.uint16)
        weights = np.asarray(passes_by_index, dtype=np.float64)[sources]
        order = np.lexsort((weights, hashes))
        ordered, weights = hashes[order], weights[order]
    else:
        ordered = np.sort(hashes)
    new = np.ones(ordered.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, ordered.size))
    twice = counts >= 2
    repeated = RepeatedTable(
        ordered[starts[twice]],
        counts[twice].astype(np.int64),
        np.add.reduceat(weights, starts)[twice] if weights is not None else None,
    )
    return repeated.to_table(bucket)


def repeated_apply(passes_by_index: list[float] | None) -> Callable[[pa.Table], pa.Table]:
    """groupBy(bucket).applyInArrow over payloads: rows of ``REPEATED_DDL``; ``passes_by_index`` (the plan's
    passes per source index) only when they differ between sources."""

    def repeated(table: pa.Table) -> pa.Table:
        return repeated_hashes(table, None if passes_by_index is None else np.array(passes_by_index))

    return repeated


@dataclass(frozen=True)
class RepeatedTable:
    """The repeated hashes (unique) with their corpus counts and, when shipped, effective counts."""

    hashes: np.ndarray
    counts: np.ndarray
    effective: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return self.hashes.nbytes + self.counts.nbytes + (self.effective.nbytes if self.effective is not None else 0)

    def to_table(self, bucket: int) -> pa.Table:
        one = np.array([0, self.hashes.size])
        return pa.table({
            "bucket": pa.array([bucket], pa.int32()),
            "entries": pa.array([self.hashes.size], pa.int64()),
            "hashes": binary_array(self.hashes, one),
            "counts": binary_array(self.counts, one),
            "effective": binary_array(self.effective, one) if self.effective is not None else pa.nulls(1, pa.binary()),
        })

    @classmethod
    def from_table(cls, table: pa.Table) -> RepeatedTable:
        """Rows of ``REPEATED_DDL`` (any number of buckets) as one table (hashes are unique across buckets)."""
        hashes, _ = binary_values(table.column("hashes"), np.uint64)
        counts, _ = binary_values(table.column("counts"), np.int64)
        eff_col = table.column("effective")
        effective = None
        if table.num_rows and eff_col.null_count < table.num_rows:
            effective = binary_values(eff_col, np.float64)[0]
        return cls(hashes, counts, effective)

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Which of ``hashes`` are repeated (their indices), with their counts and effective counts."""
        index = _hash_index(self)
        slot = index.get_indexer(hashes) if hashes.size and self.hashes.size else np.full(hashes.size, -1)
        picked = np.flatnonzero(slot >= 0)
        slot = slot[picked]
        return picked, self.counts[slot], self.effective[slot] if self.effective is not None else None


_INDEXES: dict[int, tuple[RepeatedTable, pd.Index]] = {}


def _hash_index(table: RepeatedTable) -> pd.Index:
    """A hash table over the repeated hashes, built once per table and process (a broadcast is reused)."""
    key = id(table.hashes)
    cached = _INDEXES.get(key)
    if cached is None or cached[0] is not table:
        if len(_INDEXES) > 4:
            _INDEXES.clear()
        cached = _INDEXES[key] = (table, pd.Index(table.hashes))
    return cached[1]


ANSWERS_DDL = "block long, windows long, refs binary, counts binary, hashes binary, effective binary"


def answer_windows(payload: pa.Table, repeated: pa.Table) -> pa.Table:
    """The shuffle lookup (``cogroup`` by bucket): the repeated windows of each payload row, grouped by block."""
    table = RepeatedTable.from_table(repeated)
    hashes, row_offsets = binary_values(payload.column("hashes"), np.uint64)
    picked, counts, effective = table.lookup(hashes)
    refs, _ = binary_values(payload.column("refs"), np.uint32)
    row = np.searchsorted(row_offsets, picked, side="right") - 1
    per_row = np.bincount(row, minlength=max(row_offsets.size - 1, 0))
    answered = np.flatnonzero(per_row)
    offsets = np.zeros(answered.size + 1, dtype=np.int64)
    np.cumsum(per_row[answered], out=offsets[1:])
    return pa.table({
        "block": pa.array(payload.column("block").to_numpy()[answered], pa.int64()),
        "windows": pa.array(per_row[answered], pa.int64()),
        "refs": binary_array(refs[picked], offsets),
        "counts": binary_array(counts, offsets),
        "hashes": binary_array(hashes[picked], offsets),
        "effective": binary_array(effective, offsets) if effective is not None else pa.nulls(answered.size, pa.binary()),
    })


def answers_cogroup() -> Callable[[pa.Table, pa.Table], pa.Table]:
    """cogroup by bucket of payloads ``with_refs`` and the repeated table: rows of ``ANSWERS_DDL``."""

    def answer(payload: pa.Table, repeated: pa.Table) -> pa.Table:
        return answer_windows(payload, repeated)

    return answer


# ---------------------------------------------------------------- stage 3: coverage


RESULT_DDL = (
    "kind string, id string, source string, passes double, tokens long, repeated_tokens long, "
    "within_document_tokens long, cross_document_tokens long, excess_tokens double, max_span_count long, "
    "spans long, span_start long, span_end long, span_windows long, span_min_count long, span_max_count long, "
    "key_hash long, key_effective double, cross_document boolean, first_in_document boolean, figures string"
)


def _result_table(columns: dict[str, list[Any]], rows: int) -> pa.Table:
    types = {f.split()[0]: f.split()[1] for f in RESULT_DDL.split(", ")}
    arrow = {"string": pa.string(), "double": pa.float64(), "long": pa.int64(), "boolean": pa.bool_()}
    return pa.table(
        {
            name: pa.array(columns[name], arrow[kind]) if name in columns else pa.nulls(rows, arrow[kind])
            for name, kind in types.items()
        }
    )


def batch_coverage(
    batch: pa.RecordBatch, span_tokens: int, repeated: RepeatedTable, passes: Mapping[str, float]
) -> pa.Table:
    """The broadcast lookup: re-hash a batch of token rows, look its windows up in ``repeated``, and cover."""
    ids, offsets = binary_values(column(batch, "token_ids"), np.uint32)
    windows = window_hashes(TokenBatch(ids, offsets), span_tokens)
    picked, counts, effective = repeated.lookup(windows.hashes)
    return _covered(
        column(batch, "id").to_pylist(),
        column(batch, "source").to_pylist(),
        np.diff(offsets),
        windows.doc[picked],
        windows.pos[picked],
        windows.hashes[picked],
        counts,
        effective,
        span_tokens,
        passes,
    )


def coverage_map(
    config: RepetitionConfig, broadcast: Any, passes: Mapping[str, float]
) -> Callable[[Batches], Batches]:
    """mapInArrow over cached token rows (id, source, token_ids), the repeated table broadcast: rows of
    ``RESULT_DDL``. ``passes``: the resolved plan's passes per source."""

    def cover(batches: Batches) -> Batches:
        repeated = broadcast.value
        for batch in batches:
            if batch.num_rows:
                yield from batch_coverage(batch, config.span_tokens, repeated, passes).to_batches()

    return cover


def block_coverage(
    documents: pa.Table, answers: pa.Table, span_tokens: int, passes: Mapping[str, float]
) -> pa.Table:
    """The shuffle lookup's last step: a block's documents and its answers (``cogroup`` by block), covered."""
    if documents.num_rows == 0:
        return _result_table({}, 0)
    documents = documents.take(np.argsort(documents.column("token_start").to_numpy(), kind="stable"))
    token_start = documents.column("token_start").to_numpy()
    lengths = documents.column("tokens").to_numpy()
    if np.any(token_start[1:] != token_start[:-1] + lengths[:-1]) or token_start[0] != 0:
        raise ValueError("a block's documents must lie end to end on its token axis")
    token_offsets = np.append(token_start, token_start[-1] + lengths[-1]).astype(np.int64)
    refs, _ = binary_values(answers.column("refs"), np.uint32)
    counts, _ = binary_values(answers.column("counts"), np.int64)
    hashes, _ = binary_values(answers.column("hashes"), np.uint64)
    eff_col = answers.column("effective")
    shipped = answers.num_rows > 0 and eff_col.null_count < answers.num_rows
    effective = binary_values(eff_col, np.float64)[0] if shipped else None
    order = np.argsort(refs, kind="stable")
    refs = refs[order].astype(np.int64)
    doc = np.searchsorted(token_offsets, refs, side="right") - 1
    return _covered(
        documents.column("id").to_pylist(),
        documents.column("source").to_pylist(),
        lengths,
        doc,
        refs - token_offsets[doc],
        hashes[order],
        counts[order],
        effective[order] if effective is not None else None,
        span_tokens,
        passes,
    )


def coverage_cogroup(config: RepetitionConfig, passes: Mapping[str, float]) -> Callable[[pa.Table, pa.Table], pa.Table]:
    """cogroup by block of a block's documents (block, token_start, id, source, tokens) and its answers: rows
    of ``RESULT_DDL``. ``passes``: the resolved plan's passes per source."""

    def cover(documents: pa.Table, answers: pa.Table) -> pa.Table:
        return block_coverage(documents, answers, config.span_tokens, passes)

    return cover


def _covered(
    ids: list[str],
    sources: list[str],
    lengths: np.ndarray,
    doc: np.ndarray,
    pos: np.ndarray,
    hashes: np.ndarray,
    counts: np.ndarray,
    effective: np.ndarray | None,
    span_tokens: int,
    passes: Mapping[str, float],
) -> pa.Table:
    """Rows of ``RESULT_DDL`` for documents given their repeated windows, ordered by (doc, pos).

    Coverage runs once per source, so that every source gets its own mergeable figures.
    """
    docs = len(ids)
    doc_passes = np.array([passes.get(s, 1.0) for s in sources], dtype=np.float64)
    columns: dict[str, list[Any]] = {name: [] for name in [f.split()[0] for f in RESULT_DDL.split(", ")]}
    groups = sorted(set(sources))
    source_arr = np.array(sources, dtype=object)
    for source in groups:
        chosen = np.flatnonzero(source_arr == source) if len(groups) > 1 else np.arange(docs)
        doc_fig, spans, figures, key_effective = _coverage_of(
            chosen, doc, pos, hashes, counts, effective, lengths, doc_passes, span_tokens
        )
        n_docs, n_spans = chosen.size, len(spans)
        span_docs = chosen[spans.doc]
        columns["kind"] += ["document"] * n_docs + ["span"] * n_spans + ["figures"]
        columns["id"] += [ids[i] for i in chosen] + [ids[i] for i in span_docs] + [None]
        columns["source"] += [source] * (n_docs + n_spans + 1)
        columns["passes"] += doc_passes[chosen].tolist() + doc_passes[span_docs].tolist() + [None]
        for name, values in (
            ("tokens", doc_fig.tokens),
            ("repeated_tokens", doc_fig.repeated_tokens),
            ("within_document_tokens", doc_fig.within_document_tokens),
            ("cross_document_tokens", doc_fig.cross_document_tokens),
            ("excess_tokens", doc_fig.excess_tokens),
            ("max_span_count", doc_fig.max_count),
            ("spans", doc_fig.spans),
        ):
            columns[name] += values.tolist() + [None] * (n_spans + 1)
        for name, values in (
            ("span_start", spans.start),
            ("span_end", spans.end),
            ("span_windows", spans.windows),
            ("span_min_count", spans.min_count),
            ("span_max_count", spans.max_count),
            ("key_hash", spans.key_hash.view(np.int64)),
            ("key_effective", key_effective),
            ("cross_document", spans.cross_document),
            ("first_in_document", _first_of_pair(spans.doc, spans.key_hash)),
        ):
            columns[name] += [None] * n_docs + values.tolist() + [None]
        columns["figures"] += [None] * (n_docs + n_spans) + [json.dumps(figures.to_dict())]
    return _result_table(columns, len(columns["kind"]))


def _first_of_pair(doc: np.ndarray, key: np.ndarray) -> np.ndarray:
    """True for the first span of each (document, key) pair: clusters then count documents with a plain sum."""
    first = np.zeros(doc.size, dtype=bool)
    if doc.size:
        order = np.lexsort((np.arange(doc.size), key, doc))
        new = np.ones(doc.size, dtype=bool)
        new[1:] = (doc[order][1:] != doc[order][:-1]) | (key[order][1:] != key[order][:-1])
        first[order[new]] = True
    return first


def _coverage_of(
    chosen: np.ndarray,
    doc: np.ndarray,
    pos: np.ndarray,
    hashes: np.ndarray,
    counts: np.ndarray,
    effective: np.ndarray | None,
    lengths: np.ndarray,
    doc_passes: np.ndarray,
    span_tokens: int,
):
    """Coverage of the documents ``chosen`` (increasing indices) from the repeated windows of all documents."""
    renumber = np.full(lengths.size, -1, dtype=np.int64)
    renumber[chosen] = np.arange(chosen.size)
    mine = renumber[doc] >= 0
    w_doc = renumber[doc[mine]]
    w_hash, w_count = hashes[mine], counts[mine]
    w_eff = effective[mine] if effective is not None else None
    token_offsets = np.zeros(chosen.size + 1, dtype=np.int64)
    np.cumsum(lengths[chosen], out=token_offsets[1:])
    window_offsets = np.searchsorted(w_doc, np.arange(chosen.size + 1)).astype(np.int64)
    windows = WindowBatch(w_hash, w_doc, pos[mine], window_offsets, token_offsets, span_tokens)
    passes = doc_passes[chosen]
    result = coverage(windows, w_count, local_counts(w_doc, w_hash), effective_counts=w_eff, passes=passes)
    spans = result.spans
    # A span's key window has the span's highest count; its effective count comes with it.
    if w_eff is not None and len(spans):
        by_hash = np.argsort(w_hash, kind="stable")
        key_effective = w_eff[by_hash[np.searchsorted(w_hash[by_hash], spans.key_hash)]]
    else:
        key_effective = spans.max_count * passes[spans.doc]
    return result.documents, spans, result.figures, np.asarray(key_effective, dtype=np.float64)


# ---------------------------------------------------------------- stage 4: span removal


OVER_DDL = "bucket int, entries long, hashes binary"


def over_limit_rows(batch: pa.RecordBatch, max_copies: int) -> pa.RecordBatch:
    """R's rows (``REPEATED_DDL``) cut to the windows seen more than ``max_copies`` times (``OVER_DDL``)."""
    hashes, offsets = binary_values(column(batch, "hashes"), np.uint64)
    counts, _ = binary_values(column(batch, "counts"), np.int64)
    over = counts > max_copies
    row = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    per_row = np.bincount(row[over], minlength=offsets.size - 1)
    kept_offsets = np.zeros(per_row.size + 1, dtype=np.int64)
    np.cumsum(per_row, out=kept_offsets[1:])
    return pa.RecordBatch.from_arrays(
        [column(batch, "bucket"), pa.array(per_row, pa.int64()), binary_array(hashes[over], kept_offsets)],
        names=["bucket", "entries", "hashes"],
    )


def over_limit_map(max_copies: int) -> Callable[[Batches], Batches]:
    """mapInArrow over R's rows: rows of ``OVER_DDL``."""

    def over(batches: Batches) -> Batches:
        for batch in batches:
            yield over_limit_rows(batch, max_copies)

    return over


FIRST_COPIES_DDL = "bucket int, copies long, hashes binary, ranks binary, positions binary"
BYTES_PER_COPY = 20
"""Shuffled per first-copy candidate: the 8-byte hash, the 8-byte keep rank and a 4-byte position."""


def first_copy_payloads(batch: pa.RecordBatch, span_tokens: int, over: np.ndarray, max_copies: int,
                        buckets: int) -> pa.RecordBatch:
    """The first ``max_copies`` occurrences in keep order of each over-limit window of a batch of ranked token
    rows (keep_rank, token_ids), packed into one row per bucket (``FIRST_COPIES_DDL``)."""
    ids, offsets = binary_values(column(batch, "token_ids"), np.uint32)
    windows, picked = over_limit_windows(TokenBatch(ids, offsets), span_tokens, over)
    hashes = windows.hashes[picked]
    ranks = column(batch, "keep_rank").to_numpy()[windows.doc[picked]]
    positions = windows.pos[picked]
    chosen = smallest_copies(hashes, ranks, positions, max_copies)
    hashes, ranks, positions = hashes[chosen], ranks[chosen], positions[chosen]
    if positions.size and positions.max() >= 2**32:
        raise ValueError("a document is too long for 32-bit token positions")
    bucket = bucket_of(hashes, buckets)
    order = np.argsort(bucket, kind="stable")
    bucket = bucket[order]
    new = np.ones(bucket.size, dtype=bool)
    new[1:] = bucket[1:] != bucket[:-1]
    first = np.flatnonzero(new)
    row_offsets = np.append(first, bucket.size)
    return pa.RecordBatch.from_arrays(
        [
            pa.array(bucket[first], pa.int32()),
            pa.array(np.diff(row_offsets), pa.int64()),
            binary_array(hashes[order], row_offsets),
            binary_array(ranks[order].astype(np.int64), row_offsets),
            binary_array(positions[order].astype(np.uint32), row_offsets),
        ],
        names=["bucket", "copies", "hashes", "ranks", "positions"],
    )


def first_copies_map(config: RepetitionConfig, broadcast: Any, buckets: int) -> Callable[[Batches], Batches]:
    """mapInArrow over ranked token rows (keep_rank, token_ids), the over-limit hashes broadcast: rows of
    ``FIRST_COPIES_DDL``."""
    max_copies = config.strip.max_copies or 1

    def first_copies(batches: Batches) -> Batches:
        over = broadcast.value
        for batch in batches:
            if batch.num_rows:
                yield first_copy_payloads(batch, config.span_tokens, over, max_copies, buckets)

    return first_copies


CUTOFFS_DDL = "bucket int, entries long, hashes binary, ranks binary, positions binary"


def cutoff_rows(table: pa.Table, max_copies: int) -> pa.Table:
    """groupBy(bucket) of first-copy candidates: each window's ``max_copies``-th occurrence (``CUTOFFS_DDL``)."""
    hashes, _ = binary_values(table.column("hashes"), np.uint64)
    ranks, _ = binary_values(table.column("ranks"), np.int64)
    positions, _ = binary_values(table.column("positions"), np.uint32)
    limits = copy_limits(hashes, ranks, positions.astype(np.int64), max_copies)
    one = np.array([0, len(limits)])
    return pa.table({
        "bucket": pa.array([table.column("bucket")[0].as_py() if table.num_rows else 0], pa.int32()),
        "entries": pa.array([len(limits)], pa.int64()),
        "hashes": binary_array(limits.hashes, one),
        "ranks": binary_array(limits.cutoff_rank, one),
        "positions": binary_array(limits.cutoff_pos, one),
    })


def cutoffs_apply(max_copies: int) -> Callable[[pa.Table], pa.Table]:
    """groupBy(bucket).applyInArrow over ``FIRST_COPIES_DDL`` rows: rows of ``CUTOFFS_DDL``."""

    def cutoffs(table: pa.Table) -> pa.Table:
        return cutoff_rows(table, max_copies)

    return cutoffs


def limits_from_table(table: pa.Table, max_copies: int) -> CopyLimits:
    """Rows of ``CUTOFFS_DDL`` (any number of buckets) as one :class:`CopyLimits` (hashes unique across them)."""
    return CopyLimits(binary_values(table.column("hashes"), np.uint64)[0],
                      binary_values(table.column("ranks"), np.int64)[0],
                      binary_values(table.column("positions"), np.int64)[0], max_copies)


STRIPPED_DDL = (
    "block long, token_start long, id string, source string, tokens long, token_ids binary, "
    "tokens_before long, tokens_removed long, text_units long, cuts binary"
)
"""A stripped document: its kept tokens laid out as ``TOKENS_DDL``'s rows are (so the count and coverage stages
measure the result), the tokens it had and lost, and its cuts as int64 (start, end) pairs in the text's UTF-8
bytes (BPE) or in word tokens (``word``); ``text_units``: the text's length in those units, checked when the
text is cut."""


def strip_batch(batch: pa.RecordBatch, span_tokens: int, limits: CopyLimits, byte_lengths: np.ndarray | None,
                block_tokens: int, first_block: int) -> tuple[pa.RecordBatch, int]:
    """Strip a batch of ranked token rows (id, source, keep_rank, token_ids): rows of ``STRIPPED_DDL`` and the
    blocks used (blocks are laid out again over the kept tokens)."""
    ids, offsets = binary_values(column(batch, "token_ids"), np.uint32)
    tokens = TokenBatch(ids, offsets)
    result = strip_tokens(tokens, column(batch, "keep_rank").to_numpy(), limits, span_tokens)
    before = np.diff(offsets)
    if byte_lengths is not None:
        starts, ends = byte_cuts(tokens, result, byte_lengths)
        at = np.zeros(ids.size + 1, dtype=np.int64)
        np.cumsum(byte_lengths[ids], out=at[1:])
        units = at[offsets[1:]] - at[offsets[:-1]]
    else:
        starts, ends, units = result.cut_start, result.cut_end, before
    pairs = np.empty(2 * starts.size, dtype=np.int64)
    pairs[0::2], pairs[1::2] = starts, ends
    lengths = result.kept.lengths()
    block, token_start = assign_blocks(lengths, block_tokens)
    out = pa.RecordBatch.from_arrays(
        [
            pa.array(block + first_block, pa.int64()),
            pa.array(token_start, pa.int64()),
            column(batch, "id"),
            column(batch, "source"),
            pa.array(lengths, pa.int64()),
            binary_array(result.kept.ids, result.kept.offsets),
            pa.array(before, pa.int64()),
            pa.array(result.removed, pa.int64()),
            pa.array(units, pa.int64()),
            binary_array(pairs, 2 * result.cut_offsets),
        ],
        names=[f.split()[0] for f in STRIPPED_DDL.split(", ")],
    )
    return out, int(block[-1]) + 1 if block.size else 0


def strip_map(config: RepetitionConfig, broadcast: Any) -> Callable[[Batches], Batches]:
    """mapInArrow over ranked token rows, the cutoffs broadcast: rows of ``STRIPPED_DDL``."""

    def strip(batches: Batches) -> Batches:
        from pyspark import TaskContext

        task = TaskContext.get()
        next_block = (task.partitionId() if task else 0) << 32
        limits = broadcast.value
        byte_lengths = get_tokenizer(config.tokenizer).byte_lengths
        for batch in batches:
            if batch.num_rows:
                out, used = strip_batch(batch, config.span_tokens, limits, byte_lengths, config.block_tokens,
                                        next_block)
                next_block += used
                yield out

    return strip


STRIP_COLUMNS = ("_strip_tokens_before", "_strip_tokens_removed", "_strip_text_units", "_strip_cuts")
"""What the input table is joined with (by id) for :func:`rebuild_batch`."""


def rebuild_batch(batch: pa.RecordBatch, unit: str, table: str) -> pa.RecordBatch:
    """Rows of the input table joined with their cuts (``STRIP_COLUMNS``): the same columns with ``text`` cut,
    then ``tokens_before`` and ``tokens_removed``. ``unit``: 'bytes' (BPE) or 'words'."""
    from corpussieve.errors import InputError

    texts = column(batch, "text").to_pylist()
    units = column(batch, "_strip_text_units").to_pylist()
    pairs, offsets = binary_values(column(batch, "_strip_cuts"), np.int64)
    out = []
    for i, text in enumerate(texts):
        lo, hi = int(offsets[i]), int(offsets[i + 1])
        if lo == hi or text is None:
            out.append(text)
            continue
        try:
            out.append(cut_text(text, pairs[lo:hi], unit, units[i]))
        except ValueError as err:
            raise InputError(f"cannot cut the text: {err}", table=table, column="text",
                             row_ids=[column(batch, "id")[i].as_py()]) from None
    return with_columns(
        batch,
        {"text": pa.array(out, pa.string()),
         "tokens_before": column(batch, "_strip_tokens_before"),
         "tokens_removed": column(batch, "_strip_tokens_removed")},
        drop=STRIP_COLUMNS,
    )


def rebuild_map(unit: str, table: str) -> Callable[[Batches], Batches]:
    """mapInArrow over the input joined with its cuts: the stripped table's rows."""

    def rebuild(batches: Batches) -> Batches:
        for batch in batches:
            yield rebuild_batch(batch, unit, table)

    return rebuild
