"""The seeded hash functions of MinHash and the values a signature stores, over numpy uint64 arrays.

Built on the 64-bit mixing dedup shares with repetition (:mod:`corpussieve.hashing`): pure integer
arithmetic with the wrap-around semantics numpy applies to unsigned arrays, so results are bit-identical on
every machine and numpy version, and constants from a splitmix64 stream written in plain Python (not
numpy's random generators, whose streams may change between releases).
"""

from __future__ import annotations

import numpy as np

from corpussieve.hashing import MASK64, fmix64, fmix64_int, splitmix64_stream

_M32 = np.uint64((1 << 32) - 1)


class MinHashFunctions:
    """Seeded hash functions h_i(x) = (a_i * lo(x) + c_i * hi(x) + b_i) mod 2^64, i = 0..count-1.

    ``lo`` and ``hi`` are the low and high 32 bits of a 64-bit shingle hash; ``a_i``, ``c_i`` and ``b_i``
    are uniform 64-bit values from a splitmix64 stream of ``seed``, so a seed names the same functions on
    every machine. This is Dietzfelbinger's multiply-add-shift scheme for a vector of two 32-bit
    characters (Thorup, "High Speed Hashing for Integers and Strings", 2015): the top 32 bits of h_i are
    *strongly universal* (pairwise independent) over the 64-bit inputs, the same guarantee as the classic
    ``(a*x + b) mod (2^61 - 1)`` family, and the shingle hashes feeding it are already fully mixed.

    Why not the Mersenne-prime family: exact 122-bit products modulo 2^61 - 1 cost ~15 numpy passes
    per (shingle, function) and measured 3.6 ns; this family is two multiplies and two adds in native
    uint64 wrap-around arithmetic, 0.9 ns including the per-document minimum, and that step dominates
    MinHash. The tradeoff: only the *order* of the top bits is strongly universal (the low bits of a
    product depend only on the low bits of its factors), which is why the minimum is taken over the whole
    64-bit value (its top bits decide it) and why the stored signature value is derived from that minimum
    through a bijective mixer (:func:`stored_values`) rather than taken from its low bits.
    """

    def __init__(self, count: int, seed: int) -> None:
        if count < 1:
            raise ValueError("count must be >= 1")
        stream = splitmix64_stream(seed ^ 0x6D696E6861736821, 3 * count)  # "minhash!" keeps it apart from other uses
        self.count = count
        self.seed = seed
        self.a = np.array(stream[0::3], dtype=np.uint64)
        self.c = np.array(stream[1::3], dtype=np.uint64)
        self.b = np.array(stream[2::3], dtype=np.uint64)
        # Column vectors so that (functions, 1) op (1, shingles) broadcasts with a contiguous inner loop.
        self._a, self._c, self._b = self.a[:, None], self.c[:, None], self.b[:, None]
        for array in (self.a, self.b, self.c, self._a, self._b, self._c):
            array.setflags(write=False)  # instances are shared through a cache

    def apply(
        self,
        x: np.ndarray,
        start: int = 0,
        stop: int | None = None,
        scratch: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """h_i(x) for i in ``start:stop`` and every 64-bit ``x``: a ``(stop - start, len(x))`` uint64 array.

        ``scratch`` may pass two preallocated arrays of at least that size, reused across calls to avoid
        allocation in hot loops; the result is then a view of the first of them.
        """
        return self.apply_halves(*split_halves(x), start, stop, scratch)

    def apply_halves(
        self,
        lo: np.ndarray,
        hi: np.ndarray,
        start: int = 0,
        stop: int | None = None,
        scratch: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """:meth:`apply` on inputs already split by :func:`split_halves` (done once per block of shingles)."""
        stop = self.count if stop is None else stop
        rows, cols = stop - start, lo.shape[0]
        if scratch is None:
            m1, m2 = (np.empty((rows, cols), dtype=np.uint64) for _ in range(2))
        else:
            m1, m2 = (s.reshape(-1)[: rows * cols].reshape(rows, cols) for s in scratch)
        lo, hi = lo[None, :], hi[None, :]
        np.multiply(lo, self._a[start:stop], out=m1)
        np.multiply(hi, self._c[start:stop], out=m2)
        m1 += m2
        m1 += self._b[start:stop]
        return m1

    def apply_reference(self, x: int, i: int) -> int:
        """h_i(x) with Python big integers: the specification ``apply`` must match."""
        lo, hi = x & 0xFFFFFFFF, (x >> 32) & 0xFFFFFFFF
        return (int(self.a[i]) * lo + int(self.c[i]) * hi + int(self.b[i])) & MASK64


def split_halves(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The low and high 32 bits of 64-bit values, as uint64 arrays."""
    return x & _M32, x >> np.uint64(32)


def stored_values(minima: np.ndarray) -> np.ndarray:
    """The uint32 a signature stores for each 64-bit minimum: the low 32 bits of ``fmix64(minimum)``.

    Minima are small numbers (the least of many hash values), so their own bits are far from uniform;
    through the bijective mixer, two different minima store the same value with probability ~2^-32,
    the collision rate the similarity estimator corrects for.
    """
    mixed = fmix64(np.ascontiguousarray(minima, dtype=np.uint64))
    return (mixed & _M32).astype(np.uint32)


def stored_value_reference(minimum: int) -> int:
    """:func:`stored_values` for one Python int (for tests)."""
    return fmix64_int(minimum) & 0xFFFFFFFF
