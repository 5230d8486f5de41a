"""64-bit mixing shared by dedup and repetition: MurmurHash3's finalizer and a splitmix64 constant stream.

Pure integer arithmetic with the wrap-around semantics numpy applies to unsigned arrays, so results are
bit-identical on every machine and numpy version. Constants come from splitmix64 in plain Python (not
numpy's random generators, whose streams may change between releases).
"""

from __future__ import annotations

import numpy as np

MASK64 = (1 << 64) - 1
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
