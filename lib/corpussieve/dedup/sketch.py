"""One pass over the texts: the exact key of every document and the MinHash sketch of those that need one.

Normalization is the costliest step shared by the exact hash and the signature, so both come from a single
normalization of each document. A document whose exact key already appeared earlier in the same stream
(a worker's partition) is not signed again: identical normalized texts have identical signatures, so the
exact group's signature can be taken from whichever member was signed. Exact duplicates thus cost a hash,
not a signature, and a corpus of identical documents signs one document per partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corpussieve.dedup.config import DedupConfig
from corpussieve.dedup.exact import exact_hashes_of
from corpussieve.dedup.lsh import band_hashes
from corpussieve.dedup.minhash import (
    EMPTY_SIGNATURE_VALUE,
    MAX_GROUP_CHARS,
    SIGNATURE_DTYPE,
    _as_text_list,
    _groups,
    signer,
)
from corpussieve.dedup.normalize import normalize_batch
from corpussieve.dedup.shingles import batch_shingles

SEEN_LIMIT = 1_000_000
"""Exact keys remembered per stream; past it the memory is cleared (later repeats are then signed again)."""


@dataclass(frozen=True)
class SketchBatch:
    """``hashes`` (n, 2) int64 exact keys (zeros when blank); ``blank``; ``signatures`` (n, num_perm) uint32 and
    ``band_keys`` (n, bands) int64, meaningful where ``signed``."""

    hashes: np.ndarray
    blank: np.ndarray
    signed: np.ndarray
    signatures: np.ndarray
    band_keys: np.ndarray


class Sketcher:
    """Exact keys and sketches of consecutive batches of one stream, remembering the keys it signed."""

    def __init__(self, config: DedupConfig, bands: int, rows: int, *, skip_repeats: bool = True) -> None:
        self.config = config
        self.skip_repeats = skip_repeats
        self.bands, self.rows = bands, rows
        self.sign = signer(config)
        self.seen: set[tuple[int, int]] = set()

    def _first_seen(self, hashes: np.ndarray, blank: np.ndarray) -> np.ndarray:
        """True for each non-blank document whose key this stream has not signed yet (with ``skip_repeats``)."""
        if not self.skip_repeats:
            return ~blank
        if len(self.seen) > SEEN_LIMIT:
            self.seen.clear()
        sign = np.zeros(len(blank), dtype=bool)
        for i, (hi, lo) in enumerate(hashes.tolist()):
            if not blank[i] and (hi, lo) not in self.seen:
                self.seen.add((hi, lo))
                sign[i] = True
        return sign

    def sketch(self, texts: object) -> SketchBatch:
        items: Sequence[str | None] = _as_text_list(texts)
        n, cfg = len(items), self.config
        hashes = np.zeros((n, 2), dtype=np.int64)
        blank = np.zeros(n, dtype=bool)
        signed = np.zeros(n, dtype=bool)
        signatures = np.full((n, cfg.num_perm), EMPTY_SIGNATURE_VALUE, dtype=SIGNATURE_DTYPE)
        for start, stop in _groups(items, MAX_GROUP_CHARS):
            normalized = normalize_batch(items[start:stop], cfg.normalization)
            exact = exact_hashes_of(normalized)
            hashes[start:stop], blank[start:stop] = exact.hashes, exact.empty
            sign = self._first_seen(exact.hashes, exact.empty)
            signed[start:stop] = sign
            if sign.any():
                part = normalized.subset(sign) if not sign.all() else normalized
                shingles = batch_shingles(part, cfg.shingle_unit, cfg.shingle_size)
                signatures[np.flatnonzero(sign) + start] = self.sign(shingles)
        keys = np.zeros((n, self.bands), dtype=np.int64)
        if signed.any():
            keys[signed] = band_hashes(signatures[signed], self.bands, self.rows)
        return SketchBatch(hashes, blank, signed, signatures, keys)
