"""The functions Spark runs in its Python workers, one Arrow batch (or one group) at a time, each with the
schema of what it returns beside it.

Each factory takes the validated ``DedupConfig`` (and what the driver derived from it, such as the banding)
and returns a closure over them: the model pickles, so every worker reads the very config the driver
validated. Nothing but pyarrow, numpy and the pure dedup kernels runs there (no Spark import). Every
function is a thin adapter: columns in, kernel, columns out; the logic lives in the kernels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpussieve.dedup.config import DedupConfig

Batches = Iterator[pa.RecordBatch]


def _band_key_lists(keys: np.ndarray) -> pa.ListArray:
    """(n, bands) int64 as a list<int64> column (Spark array<long>)."""
    n, bands = keys.shape
    offsets = pa.array(np.arange(0, n * bands + 1, bands, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(np.ascontiguousarray(keys).reshape(-1)))


def _binary_signatures(signatures: np.ndarray) -> pa.Array:
    """Signatures as Spark BinaryType values (Arrow variable-size binary)."""
    from corpussieve.dedup.minhash import signatures_to_arrow

    return signatures_to_arrow(signatures).cast(pa.binary())


#: what ``keys_and_sketches`` returns, followed by the input's passthrough columns as they came in
KEYS_AND_SKETCHES_DDL = (
    "id string, exact_hi long, exact_lo long, blank boolean, signature binary, band_keys array<long>"
)


def keys_and_sketches(config: DedupConfig, bands: int, rows: int, *,
                      skip_repeats: bool = True) -> Callable[[Batches], Batches]:
    """mapInArrow: (id, text, *passthrough) -> (id, exact_hi, exact_lo, blank, signature, band_keys, *passthrough).

    One normalization per document feeds both the exact key and the signature. ``signature`` and
    ``band_keys`` are null for blank documents and for repeats of an exact key this partition already
    signed (see :mod:`corpussieve.dedup.sketch`). The text is dropped; other columns pass through.
    ``bands`` and ``rows`` are the driver's banding plan.
    """

    def run(batches: Batches) -> Batches:
        from corpussieve.dedup.sketch import Sketcher

        sketcher = Sketcher(config, bands, rows, skip_repeats=skip_repeats)
        for batch in batches:
            result = sketcher.sketch(batch.column("text"))
            missing = pa.array(~result.signed)
            passthrough = [n for n in batch.schema.names if n not in ("id", "text")]
            signatures = pc.if_else(missing, pa.scalar(None, pa.binary()), _binary_signatures(result.signatures))
            band_keys = pc.if_else(missing, pa.scalar(None, pa.list_(pa.int64())), _band_key_lists(result.band_keys))
            yield pa.RecordBatch.from_arrays(
                [batch.column("id"), pa.array(result.hashes[:, 0]), pa.array(result.hashes[:, 1]),
                 pa.array(result.blank), signatures, band_keys, *[batch.column(n) for n in passthrough]],
                names=["id", "exact_hi", "exact_lo", "blank", "signature", "band_keys", *passthrough],
            )

    return run


#: what ``rebanded`` returns
BAND_KEYS_DDL = "id string, band_keys array<long>"


def rebanded(config: DedupConfig, bands: int, rows: int) -> Callable[[Batches], Batches]:
    """mapInArrow: (id, signature) -> (id, band_keys): bucket keys of stored signatures under this run's
    banding (``bands`` x ``rows``), for index rows stored under another."""

    def run(batches: Batches) -> Batches:
        from corpussieve.dedup.lsh import band_hashes
        from corpussieve.dedup.minhash import signatures_from_arrow

        for batch in batches:
            sigs = signatures_from_arrow(batch.column("signature"), config.num_perm)
            yield pa.RecordBatch.from_arrays([batch.column("id"), _band_key_lists(band_hashes(sigs, bands, rows))],
                                             names=["id", "band_keys"])

    return run


#: what ``bucket_edges`` returns: edges, and one row of work counters per group (null ``src``)
BUCKET_EDGES_DDL = (
    "src long, dst long, similarity double, buckets long, large_buckets long, comparisons long, "
    "truncated long, unled long, largest long"
)


def bucket_edges(config: DedupConfig) -> Callable[[pa.Table], pa.Table]:
    """applyInArrow over a group of many buckets: (bucket, nid, signature) rows -> edges whose estimate
    reaches ``config.bucket_min_similarity``.

    Rows with a null ``src`` carry the group's work counters instead of an edge (one such row per group).
    """

    def run(table: pa.Table) -> pa.Table:
        from corpussieve.dedup.edges import many_bucket_edges
        from corpussieve.dedup.minhash import signatures_from_arrow

        found = many_bucket_edges(
            table.column("bucket").to_numpy(), table.column("nid").to_numpy(),
            signatures_from_arrow(table.column("signature"), config.num_perm), config.bucket_min_similarity,
            all_pairs_max=config.bucket_all_pairs_max, leaders=config.bucket_leaders, window=config.bucket_window,
            max_signatures=config.max_bucket_signatures,
        )
        n = len(found)
        edge_row = np.r_[np.ones(n, bool), False]  # the last row holds the counters
        counters = [found.buckets, found.large_buckets, found.comparisons, found.truncated, found.unled,
                    found.largest]
        columns = [pa.array(np.r_[values, zero], mask=~edge_row)
                   for values, zero in ((found.left, 0), (found.right, 0), (found.similarity, 0.0))]
        columns += [pa.array(np.r_[np.zeros(n, np.int64), value], mask=edge_row) for value in counters]
        names = ["src", "dst", "similarity", "buckets", "large_buckets", "comparisons", "truncated", "unled",
                 "largest"]
        return pa.Table.from_arrays(columns, names=names)

    return run


#: what ``pair_similarity`` returns
PAIR_SIMILARITY_DDL = "a long, b long, similarity double"


def pair_similarity(config: DedupConfig) -> Callable[[Batches], Batches]:
    """mapInArrow: (a, b, sig_a, sig_b) -> (a, b, similarity), the MinHash estimate of each pair."""

    def run(batches: Batches) -> Batches:
        from corpussieve.dedup.minhash import signatures_from_arrow
        from corpussieve.dedup.verify import signature_similarity

        for batch in batches:
            sim = signature_similarity(signatures_from_arrow(batch.column("sig_a"), config.num_perm),
                                       signatures_from_arrow(batch.column("sig_b"), config.num_perm))
            yield pa.RecordBatch.from_arrays([batch.column("a"), batch.column("b"), pa.array(sim)],
                                             names=["a", "b", "similarity"])

    return run


#: what ``exact_jaccard`` returns
EXACT_JACCARD_DDL = "src long, dst long, jaccard double"


def exact_jaccard(config: DedupConfig) -> Callable[[Batches], Batches]:
    """mapInArrow: (src, dst, text_a, text_b) -> (src, dst, jaccard) over the exact shingle sets."""

    def run(batches: Batches) -> Batches:
        from corpussieve.dedup.verify import exact_jaccard_pairs

        for batch in batches:
            jaccard = exact_jaccard_pairs(batch.column("text_a").to_pylist(), batch.column("text_b").to_pylist(),
                                          config)
            yield pa.RecordBatch.from_arrays([batch.column("src"), batch.column("dst"), pa.array(jaccard)],
                                             names=["src", "dst", "jaccard"])

    return run


#: what ``shingle_sets`` returns: each document's distinct shingle hashes, ascending, as uint64 bytes
SHINGLE_SETS_DDL = "nid long, shingles binary"


def shingle_sets(config: DedupConfig) -> Callable[[Batches], Batches]:
    """mapInArrow: (nid, text) -> (nid, shingles), the exact shingle set of each text (see
    ``verify.shingle_sets``) as little-endian uint64 values, 8 bytes a shingle, for the driver to verify
    pairs with."""

    def run(batches: Batches) -> Batches:
        from corpussieve.dedup.verify import shingle_sets as sets

        for batch in batches:
            offsets, hashes = sets(batch.column("text").to_pylist(), config)
            start = 0
            while start < batch.num_rows:  # binary offsets are int32: at most 2^27 shingles (1 GiB) a batch
                stop = max(start + 1, int(np.searchsorted(offsets, offsets[start] + (1 << 27), "right")) - 1)
                part = offsets[start:stop + 1]
                values = pa.BinaryArray.from_buffers(
                    pa.binary(), stop - start,
                    [None, pa.py_buffer(((part - part[0]) * 8).astype(np.int32)),
                     pa.py_buffer(hashes[part[0]:part[-1]].astype("<u8").tobytes())])
                yield pa.RecordBatch.from_arrays([batch.column("nid").slice(start, stop - start), values],
                                                 names=["nid", "shingles"])
                start = stop

    return run
