"""64-bit hashing primitives over numpy uint64 arrays, and universal hashing modulo the Mersenne prime 2^61-1.

Everything here is pure integer arithmetic with wrap-around semantics that numpy applies to unsigned arrays,
so results are bit-identical on every machine and numpy version. Constants are derived from a splitmix64
stream written in plain Python (not numpy's random generators, whose streams may change between releases).
"""

from __future__ import annotations

import numpy as np

MASK64 = (1 << 64) - 1
MERSENNE_61 = (1 << 61) - 1
"""The prime p = 2^61 - 1 of the permutation family h(x) = (a*x + b) mod p."""

_P = np.uint64(MERSENNE_61)
_M30 = np.uint64((1 << 30) - 1)
_M31 = np.uint64((1 << 31) - 1)
_M32 = np.uint64((1 << 32) - 1)
_FMIX_C1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_C2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


def splitmix64_stream(seed: int, count: int) -> list[int]:
    """``count`` pseudo-random 64-bit integers from Vigna's splitmix64, seeded by ``seed`` (any int)."""
    state = seed & MASK64
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out.append(z ^ (z >> 31))
    return out


_FMIX_CHUNK = 1 << 16


def fmix64(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, applied element-wise to a uint64 array.

    It is a bijection on 64-bit values (so it never creates collisions) with full avalanche: every input bit
    flips each output bit with probability close to 1/2. Returns ``out`` (a new array when not given).
    Works in cache-sized chunks, so its only temporary is small whatever the input size.
    """
    if out is None:
        out = np.array(x, dtype=np.uint64, copy=True)
    elif out is not x:
        np.copyto(out, x)
    if not out.flags.c_contiguous:
        raise ValueError("fmix64 works in place on C-contiguous arrays")
    flat = out.reshape(-1)
    tmp = np.empty(min(flat.size, _FMIX_CHUNK), dtype=np.uint64)
    for lo in range(0, flat.size, _FMIX_CHUNK):
        part = flat[lo : lo + _FMIX_CHUNK]
        t = tmp[: part.size]
        np.right_shift(part, _S33, out=t)
        part ^= t
        part *= _FMIX_C1
        np.right_shift(part, _S33, out=t)
        part ^= t
        part *= _FMIX_C2
        np.right_shift(part, _S33, out=t)
        part ^= t
    return out


def fmix64_int(value: int) -> int:
    """Scalar ``fmix64`` on a Python int (for constants and reference checks)."""
    z = value & MASK64
    z ^= z >> 33
    z = (z * 0xFF51AFD7ED558CCD) & MASK64
    z ^= z >> 33
    z = (z * 0xC4CEB9FE1A85EC53) & MASK64
    return z ^ (z >> 33)


class UniversalPermutations:
    """Seeded hash functions h_i(x) = (a_i * x + b_i) mod (2^61 - 1), i = 0..count-1.

    ``a_i`` is drawn uniformly from [1, p) and ``b_i`` from [0, p) by a splitmix64 stream of ``seed``, so a
    seed names the same permutations on every machine. Inputs are 61-bit values (``x < 2^61``); the caller
    maps its 64-bit hashes there (see :func:`to_field`).

    The products a*x reach 122 bits. They are computed exactly in uint64 by splitting a = ah*2^32 + al and
    x = xh*2^31 + xl and using 2^61 = 1 (mod p)::

        a*x = ah*xh*2^63 + (2*ah*xl + al*xh)*2^31 + al*xl
            = 4*ah*xh + (mid >> 30) + (mid & (2^30-1))*2^31 + al*xl        (mod p), mid = 2*ah*xl + al*xh

    Every partial term stays below 2^63 and their sum plus b below 2^64, so no step overflows. One fold
    ``(s & p) + (s >> 61)`` brings the sum below p + 8, and ``min(v, v - p)`` (unsigned wrap-around) makes
    the result canonical in [0, p).
    """

    def __init__(self, count: int, seed: int) -> None:
        if count < 1:
            raise ValueError("count must be >= 1")
        stream = splitmix64_stream(seed ^ 0x6D696E6861736821, 2 * count)  # "minhash!" keeps it apart from other uses
        a = [1 + v % (MERSENNE_61 - 1) for v in stream[0::2]]
        b = [v % MERSENNE_61 for v in stream[1::2]]
        self.count = count
        self.seed = seed
        self.a = np.array(a, dtype=np.uint64)
        self.b = np.array(b, dtype=np.uint64)
        # Column vectors so that (perms, 1) op (1, shingles) broadcasts with a contiguous inner loop.
        self._al = (self.a & _M32)[:, None]
        self._ah2 = ((self.a >> np.uint64(32)) * np.uint64(2))[:, None]
        self._ah4 = ((self.a >> np.uint64(32)) * np.uint64(4))[:, None]
        self._b = self.b[:, None]
        for array in (self.a, self.b, self._al, self._ah2, self._ah4, self._b):
            array.setflags(write=False)  # instances are shared through a cache

    def apply(
        self,
        x: np.ndarray,
        start: int = 0,
        stop: int | None = None,
        scratch: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Permuted values of ``x`` (uint64, each < 2^61) under functions ``start:stop``.

        Returns a ``(stop - start, len(x))`` uint64 array with values in [0, p). ``scratch`` may pass three
        preallocated arrays of at least that size, reused across calls to avoid allocation in hot loops; the
        result is then a view of the first of them.
        """
        stop = self.count if stop is None else stop
        rows, cols = stop - start, x.shape[0]
        if scratch is None:
            m1, m2, m3 = (np.empty((rows, cols), dtype=np.uint64) for _ in range(3))
        else:
            m1, m2, m3 = (s.reshape(-1)[: rows * cols].reshape(rows, cols) for s in scratch)
        xl = (x & _M31)[None, :]
        xh = (x >> np.uint64(31))[None, :]
        al, ah2, ah4, b = self._al[start:stop], self._ah2[start:stop], self._ah4[start:stop], self._b[start:stop]
        np.multiply(xl, al, out=m1)  # al*xl < 2^63
        np.multiply(xl, ah2, out=m2)
        np.multiply(xh, al, out=m3)
        m2 += m3  # mid < 2^63
        np.right_shift(m2, np.uint64(30), out=m3)
        m2 &= _M30
        m2 <<= np.uint64(31)
        m1 += m2
        m1 += m3
        np.multiply(xh, ah4, out=m2)  # 4*ah*xh < 2^61
        m1 += m2
        m1 += b  # < 2^63 + 3*2^61 + 2^33 < 2^64
        np.right_shift(m1, np.uint64(61), out=m2)
        m1 &= _P
        m1 += m2  # < p + 8
        np.subtract(m1, _P, out=m2)
        np.minimum(m1, m2, out=m1)
        return m1

    def apply_reference(self, x: int, i: int) -> int:
        """(a_i * x + b_i) mod p with Python big integers: the specification ``apply`` must match."""
        return (int(self.a[i]) * x + int(self.b[i])) % MERSENNE_61


def to_field(hashes: np.ndarray) -> np.ndarray:
    """Map 64-bit hashes to 61-bit permutation inputs by keeping their top 61 bits."""
    return hashes >> np.uint64(3)
