"""64-bit hashes of every window of ``span_tokens`` consecutive tokens, vectorized over a CSR batch.

The hash
--------
Each token id ``t`` is first mixed into a pseudo-random 64-bit value ``m(t) = fmix64(t + K)`` (MurmurHash3's
finalizer, a bijection, so distinct ids never share a value). A window ``x_0..x_{L-1}`` then hashes to::

    H(x) = fmix64( sum_j m(x_j) * B^(L-1-j)  mod 2^64 )

with a fixed odd base ``B = 3 (mod 8)``. All of it is computed for every window at once from prefix sums:
with ``W_k = m(t_k) * B^-k`` and ``S(i) = sum_{k<i} W_k`` (wrapping uint64 arithmetic; an odd B is invertible
mod 2^64), the inner sum of the window starting at p is ``B^(p+L-1) * (S(p+L) - S(p))``. The identity is exact
modulo 2^64, so a window's hash depends only on its tokens, never on its document, position or batch.

Collisions
----------
Model ``m`` as a random function (the tokens' mixed values look independent). For two different windows x, y
the hashes' inner sums differ by ``sum_a m(a) * P_a(B)``, where, for each token value a,
``P_a(z) = sum_j ([x_j = a] - [y_j = a]) z^(L-1-j)`` has coefficients in {-1, 0, 1} and some ``P_a`` is
nonzero. If that ``P_a(B)`` has 2-adic valuation v, the sum is uniform over a coset of 2^v Z / 2^64 Z, so the
two windows collide with probability ``2^(v-64)``:

* ``P_a`` with an odd number of nonzero coefficients gives an odd value (v = 0): probability 2^-64.
* Two terms, ``B^i - B^j = B^j (B^d - 1)`` with ``0 < d < L``: because B = 3 (mod 8),
  ``v2(B^d - 1) = v2(B-1) + v2(B+1) + v2(d) - 1 <= 1 + 2 + 5 - 1 = 7`` for d < 64, so probability <= 2^-57.
* The worst structured case for polynomial hashing modulo 2^64 (Thue-Morse differences) needs length 2^q
  to reach ``v ~ q(q+1)/2``; a 50-token window allows q <= 5, i.e. at most ~2^-40 for such adversarial pairs,
  which ordinary text does not contain.

Typical pairs therefore collide with probability 2^-64, and among N *distinct* windows the expected number
of colliding pairs is about N^2 / 2^65: ~270 pairs at N = 10^11. Each such pair marks at most two windows
(<= 100 tokens) as repeated with count 2, i.e. a few 10^4 tokens out of 10^11 (< 10^-6 of the corpus),
all in the lowest multiplicity bucket. That is negligible for every figure the job reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from corpussieve.hashing import MASK64, fmix64, fmix64_int, splitmix64_stream
from corpussieve.repetition.tokenizers import TokenBatch

_CHUNK_WINDOWS = 1 << 20
"""Hashing works on this many windows at a time, bounding its temporaries (~40 bytes per token)."""


_K_TOKEN_INT, _K_FINAL_INT, _BASE_RAW = splitmix64_stream(0x5245504541545321, 3)  # "REPEATS!"
BASE = (_BASE_RAW & ~7) | 3
"""Odd base of the polynomial, = 3 (mod 8) so that B^d - 1 has small 2-adic valuation (see module doc)."""
BASE_INV = pow(BASE, -1, 1 << 64)

_K_TOKEN = np.uint64(_K_TOKEN_INT)
_K_FINAL = np.uint64(_K_FINAL_INT)
def window_hash_scalar(tokens: list[int] | tuple[int, ...]) -> int:
    """The hash of one window in plain Python integers: the reference the vectorized code must equal."""
    acc = 0
    for t in tokens:
        acc = (acc * BASE + fmix64_int(int(t) + _K_TOKEN_INT)) & MASK64
    return fmix64_int(acc ^ _K_FINAL_INT)


_POWERS: dict[str, np.ndarray] = {}


def _powers(count: int) -> tuple[np.ndarray, np.ndarray]:
    """B^k and B^-k mod 2^64 for k < count (cached, grown on demand)."""
    have = _POWERS.get("pow")
    if have is None or have.size < count:
        size = max(count, 1024)
        # cumprod wraps modulo 2^64 on uint64, which is exactly the ring we want.
        pw = np.empty(size, dtype=np.uint64)
        pw[0] = 1
        pw[1:] = BASE
        np.cumprod(pw, out=pw)
        ipw = np.empty(size, dtype=np.uint64)
        ipw[0] = 1
        ipw[1:] = BASE_INV
        np.cumprod(ipw, out=ipw)
        _POWERS["pow"], _POWERS["ipow"] = pw, ipw
    return _POWERS["pow"][:count], _POWERS["ipow"][:count]


@dataclass(frozen=True)
class WindowBatch:
    """Every window of a token batch, ordered by document then position.

    ``hashes[offsets[i]:offsets[i+1]]`` are document i's windows. A document with fewer than ``span_tokens``
    tokens has none ("unrepeatable"). ``token_offsets`` is the CSR offsets of the token batch the windows
    come from, so window w covers global tokens ``token_offsets[doc[w]] + pos[w] + [0, span_tokens)``.
    """

    hashes: np.ndarray
    """uint64 window hashes (``hashes.view(np.int64)`` for a Spark LongType column)."""
    doc: np.ndarray
    """int64 document index within the batch."""
    pos: np.ndarray
    """int64 token position of the window's first token within its document."""
    offsets: np.ndarray
    """int64 CSR offsets of windows per document (length documents + 1)."""
    token_offsets: np.ndarray
    """int64 CSR offsets of the tokens per document."""
    span_tokens: int

    def __len__(self) -> int:
        return self.hashes.size

    @property
    def documents(self) -> int:
        return self.offsets.size - 1

    def starts(self) -> np.ndarray:
        """Global token index (in the token batch) of each window's first token."""
        return self.token_offsets[self.doc] + self.pos


def window_hashes(tokens: TokenBatch, span_tokens: int, chunk_windows: int = _CHUNK_WINDOWS) -> WindowBatch:
    """Hash every window of ``span_tokens`` consecutive tokens of every document."""
    if span_tokens < 1:
        raise ValueError(f"span_tokens must be >= 1, got {span_tokens}")
    ids = np.asarray(tokens.ids)
    token_offsets = np.asarray(tokens.offsets, dtype=np.int64)
    lengths = np.diff(token_offsets)
    per_doc = np.maximum(lengths - span_tokens + 1, 0)
    offsets = np.zeros(per_doc.size + 1, dtype=np.int64)
    np.cumsum(per_doc, out=offsets[1:])
    total = int(offsets[-1])
    doc = np.repeat(np.arange(per_doc.size, dtype=np.int64), per_doc)
    pos = np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1], per_doc)
    starts = token_offsets[doc] + pos
    hashes = np.empty(total, dtype=np.uint64)
    chunk = max(int(chunk_windows), 1)
    for w0 in range(0, total, chunk):
        w1 = min(w0 + chunk, total)
        hashes[w0:w1] = _hash_starts(ids, starts[w0:w1], span_tokens)
    return WindowBatch(hashes, doc, pos, offsets, token_offsets, span_tokens)


def _hash_starts(ids: np.ndarray, starts: np.ndarray, span: int) -> np.ndarray:
    """Hashes of the windows starting at the given increasing global token indices."""
    t0 = int(starts[0])
    t1 = int(starts[-1]) + span
    count = t1 - t0
    pw, ipw = _powers(count + 1)
    mixed = fmix64(ids[t0:t1].astype(np.uint64) + _K_TOKEN)
    mixed *= ipw[:count]
    prefix = np.zeros(count + 1, dtype=np.uint64)
    np.cumsum(mixed, out=prefix[1:])
    local = starts - t0
    inner = prefix[local + span] - prefix[local]
    inner *= pw[local + (span - 1)]
    inner ^= _K_FINAL
    return fmix64(inner)


def occurrence_counts(hashes: np.ndarray) -> np.ndarray:
    """For each window, how many windows of the batch share its hash (the single-machine corpus count)."""
    if hashes.size == 0:
        return np.zeros(0, dtype=np.int64)
    _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
    return counts[inverse].astype(np.int64)


def window_counts(hashes: np.ndarray, doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corpus and local counts of each window in one stable sort (the single-machine corpus is the batch).

    Windows must be ordered by document (as :func:`window_hashes` returns them): after a stable sort by hash,
    the copies of one hash are then still ordered by document, so one pass finds both kinds of runs.
    """
    n = hashes.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(hashes, kind="stable")
    h, d = hashes[order], doc[order]
    new_hash = np.ones(n, dtype=bool)
    new_hash[1:] = h[1:] != h[:-1]
    new_local = new_hash.copy()
    new_local[1:] |= d[1:] != d[:-1]
    counts = np.empty(n, dtype=np.int64)
    run = np.cumsum(new_hash) - 1
    counts[order] = np.bincount(run)[run]
    local = np.empty(n, dtype=np.int64)
    run = np.cumsum(new_local) - 1
    local[order] = np.bincount(run)[run]
    return counts, local


def local_counts(doc: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """For each window, how many windows of its own document share its hash.

    Two hash-table passes (pandas' factorize: hash, then (hash, document)) instead of a two-key sort.
    """
    n = hashes.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    doc = np.asarray(doc, dtype=np.int64)
    codes, _ = pd.factorize(hashes)
    pair, _ = pd.factorize(codes.astype(np.int64) * (int(doc.max()) + 1) + doc)
    return np.bincount(pair)[pair].astype(np.int64)


def weighted_counts(hashes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For each window, the sum of ``weights`` over all windows sharing its hash.

    With ``weights = passes of each window's source``, this is the window's *effective* repeat count in
    training: every occurrence is seen once per pass over its source.
    """
    if hashes.size == 0:
        return np.zeros(0, dtype=np.float64)
    _, inverse = np.unique(hashes, return_inverse=True)
    sums = np.bincount(inverse, weights=np.asarray(weights, dtype=np.float64))
    return sums[inverse]
