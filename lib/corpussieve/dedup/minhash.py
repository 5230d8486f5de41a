"""MinHash signatures over shingle hashes, vectorized over a batch, with a bounded working set.

Signature value i of a document is ``stored_values(min over its shingles x of h_i(x))``, where h_i is
the i-th seeded multiply-add-shift function of :class:`~corpussieve.dedup.hashing.MinHashFunctions` over
the 64-bit shingle hash, and the stored value is the low 32 bits of the mixed 64-bit minimum.

Why uint32: the minimum is taken over the full 64-bit values, so which shingle wins is decided at full
width; only the stored value is truncated. Two documents whose minima come from different shingles then
still store the same value with probability 2^-32, so P(equal) = J + (1 - J) * 2^-32, a bias the
estimator removes (:func:`~corpussieve.dedup.verify.signature_similarity`) and that is far below
MinHash's own standard error (~0.035 at J = 0.8 and 128 functions). It halves the memory and the shuffle
volume of signatures against uint64.

A blank document (None, empty or whitespace only after normalization) gets the signature with every value
``EMPTY_SIGNATURE_VALUE`` and is flagged in ``SignatureBatch.empty``. Blank documents must be kept out of
LSH bucketing: they are all unique. A real document has that signature with probability 2^-(32*num_perm).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from corpussieve.dedup.config import DedupConfig
from corpussieve.dedup.hashing import MinHashFunctions, split_halves, stored_values
from corpussieve.dedup.normalize import normalize_batch
from corpussieve.dedup.shingles import ShingleBatch, batch_shingles
from corpussieve.hashing import MASK64

EMPTY_SIGNATURE_VALUE = np.uint32(0xFFFFFFFF)
SIGNATURE_DTYPE = np.dtype("<u4")
SHINGLE_BLOCK = 16384
"""Shingles per block of the permutation step (long contiguous rows keep numpy's inner loops efficient)."""
PERM_BLOCK = 8
"""Hash functions evaluated at once: a block's working set is 2 * SHINGLE_BLOCK * PERM_BLOCK * 8 bytes (2 MiB)."""
MAX_GROUP_CHARS = 1 << 22
"""Documents are normalized and shingled in groups of about this many characters (a longer one alone)."""


@dataclass(frozen=True)
class SignatureBatch:
    """MinHash signatures of a batch: ``signatures`` is (n, num_perm) uint32, ``empty`` flags blank documents."""

    signatures: np.ndarray
    empty: np.ndarray

    def __len__(self) -> int:
        return self.empty.size


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> MinHashFunctions:
    """The ``num_perm`` hash functions ("permutations") named by ``seed`` (cached: they are immutable)."""
    return MinHashFunctions(num_perm, seed)


def signatures_from_shingles(
    shingles: ShingleBatch,
    perms: MinHashFunctions,
    *,
    shingle_block: int = SHINGLE_BLOCK,
    perm_block: int = PERM_BLOCK,
) -> np.ndarray:
    """(n, perms.count) uint32 signatures of the documents of ``shingles``.

    The shingles of the batch are processed in blocks of ``shingle_block``, each against ``perm_block``
    permutations at a time, and the per-document minima of a block come from one ``np.minimum.reduceat``
    over the document boundaries inside it. Memory beyond the inputs and the (n, num_perm) running minima is
    a fixed ~2 * shingle_block * perm_block * 8 bytes, whatever the document sizes. Documents without
    shingles get ``EMPTY_SIGNATURE_VALUE`` everywhere.
    """
    n_docs, n_perm = len(shingles), perms.count
    hashes = shingles.hashes
    offsets = shingles.offsets
    minima = np.full((n_docs, n_perm), MASK64, dtype=np.uint64)
    scratch = (np.empty(shingle_block * perm_block, dtype=np.uint64), np.empty(shingle_block * perm_block,
                                                                                dtype=np.uint64))
    for lo in range(0, hashes.size, shingle_block):
        hi = min(lo + shingle_block, hashes.size)
        docs, seg_starts = _segments(offsets, lo, hi)
        halves = split_halves(hashes[lo:hi])
        for p0 in range(0, n_perm, perm_block):
            p1 = min(p0 + perm_block, n_perm)
            values = perms.apply_halves(*halves, p0, p1, scratch)
            seg_min = np.minimum.reduceat(values, seg_starts, axis=1)
            rows = minima[docs, p0:p1]
            np.minimum(rows, seg_min.T, out=rows)
            minima[docs, p0:p1] = rows
    signatures = stored_values(minima).astype(SIGNATURE_DTYPE, copy=False)
    signatures[np.diff(offsets) == 0] = EMPTY_SIGNATURE_VALUE
    return signatures


def _segments(offsets: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Documents with shingles in [lo, hi) and where each one's shingles start, relative to lo."""
    first = int(np.searchsorted(offsets, lo, side="right")) - 1
    last = int(np.searchsorted(offsets, hi - 1, side="right")) - 1
    docs = np.arange(first, last + 1)
    starts = np.maximum(offsets[docs], lo) - lo
    ends = np.minimum(offsets[docs + 1], hi) - lo
    keep = ends > starts
    return docs[keep], starts[keep]


def _groups(texts: Sequence[str | None], max_chars: int) -> Iterator[tuple[int, int]]:
    """Consecutive [start, stop) ranges of documents holding about ``max_chars`` characters each."""
    start, chars = 0, 0
    for i, text in enumerate(texts):
        size = 0 if text is None else len(text)
        if chars and chars + size > max_chars:
            yield start, i
            start, chars = i, 0
        chars += size
    if start < len(texts) or not texts:
        yield start, len(texts)


def _as_text_list(texts: object) -> Sequence[str | None]:
    """A list of str or None from a list or tuple, a numpy array, a pandas Series or a pyarrow string array."""
    if isinstance(texts, (list, tuple)):
        return texts
    if hasattr(texts, "to_pylist"):
        return texts.to_pylist()  # type: ignore[no-any-return]
    if hasattr(texts, "tolist"):
        return [None if t is None or t != t else t for t in texts.tolist()]  # pandas may hold NaN for missing
    return list(texts)  # type: ignore[call-overload]


def signer(config: DedupConfig) -> Callable[[ShingleBatch], np.ndarray]:
    """The function that turns a batch's shingles into (n, num_perm) uint32 signatures under ``config.sketch``."""
    if config.sketch_scheme == "one_permutation":
        from corpussieve.dedup.oph import one_permutation

        return one_permutation(config.num_perm, config.seed).signatures
    perms = permutations(config.num_perm, config.seed)
    return lambda shingles: signatures_from_shingles(shingles, perms)


def minhash_signatures(texts: object, config: DedupConfig) -> SignatureBatch:
    """Normalize, shingle and MinHash a batch of texts under ``config``.

    ``texts``: a sequence of str or None, a numpy object array or a pyarrow string array. The signature of a
    document depends only on its text and the config, never on the batch it arrives in.
    """
    items = _as_text_list(texts)
    sign = signer(config)
    signatures = np.empty((len(items), config.num_perm), dtype=SIGNATURE_DTYPE)
    empty = np.empty(len(items), dtype=bool)
    for start, stop in _groups(items, MAX_GROUP_CHARS):
        normalized = normalize_batch(items[start:stop], config.normalization)
        shingles = batch_shingles(normalized, config.shingle_unit, config.shingle_size)
        signatures[start:stop] = sign(shingles)
        empty[start:stop] = normalized.blank
    return SignatureBatch(signatures, empty)


def is_empty_signature(signatures: np.ndarray) -> np.ndarray:
    """Rows of a (k, num_perm) signature array that carry the blank-document marker."""
    return np.all(signatures == EMPTY_SIGNATURE_VALUE, axis=-1)


def signatures_to_arrow(signatures: np.ndarray) -> pa.FixedSizeBinaryArray:
    """(n, num_perm) uint32 signatures as one fixed-size binary value per row (little-endian), zero-copy where
    possible: 4 * num_perm bytes a row, a compact column for Spark (BinaryType) and Delta."""
    sig = np.ascontiguousarray(signatures, dtype=SIGNATURE_DTYPE)
    width = 4 * sig.shape[1]
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), sig.shape[0], [None, pa.py_buffer(sig)])


def signatures_from_arrow(values: object, num_perm: int) -> np.ndarray:
    """Inverse of :func:`signatures_to_arrow`; also takes a (chunked) binary array or a list of bytes."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    fixed = isinstance(values, pa.FixedSizeBinaryArray)
    if fixed and values.null_count == 0 and values.type.byte_width == 4 * num_perm:  # type: ignore[union-attr]
        data = np.frombuffer(values.buffers()[1], dtype=SIGNATURE_DTYPE)
        start = values.offset * num_perm
        return data[start : start + len(values) * num_perm].reshape(len(values), num_perm).copy()
    rows = values.to_pylist() if hasattr(values, "to_pylist") else list(values)  # type: ignore[attr-defined]
    if any(row is None or len(row) != 4 * num_perm for row in rows):
        raise ValueError(f"every signature must be {4 * num_perm} bytes")
    return np.frombuffer(b"".join(rows), dtype=SIGNATURE_DTYPE).reshape(len(rows), num_perm).copy()
