"""Word n-gram hashes, vectorized over a batch, for one or several n-gram lengths in one pass.

The hash of the k consecutive word hashes u_0..u_{k-1} is a chain: ``acc = fmix64(u_0 ^ K_SEED)``, then
``acc = fmix64(acc ^ u_j)`` for j = 1..k-1, and finally ``fmix64(acc ^ k * K_LEN)``. Every step is a bijection
of the accumulator and of the next word, so two n-grams of one length that differ in one word never collide, and
the length is mixed in last, so the k-gram and the (k+1)-gram chains share their prefix work: all lengths up to
n cost one chain of n steps plus one finalization per wanted length. Short benchmark items (GPT-3's 8..12 words)
are matched as one n-gram of their own length, which the documents then need too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from corpussieve.decontaminate.words import Words
from corpussieve.hashing import MASK64, fmix64, fmix64_int, splitmix64_stream

_K_SEED, _K_LEN = (np.uint64(v) for v in splitmix64_stream(0x44454341, 2))


def gram_hashes(words: Words, lengths: Sequence[int]) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """For each wanted length k (ascending): (k, first word of each k-gram, its hash).

    The first word is a global word index into ``words`` (int64); only n-grams inside one text are made, in
    text order. Memory: a few arrays of one uint64 per word."""
    wanted = sorted({int(k) for k in lengths if k >= 1})
    total = words.hashes.size
    if not wanted or total == 0:
        return
    u = words.hashes
    text_of_word = np.repeat(np.arange(len(words)), words.counts())
    left = words.offsets[1:][text_of_word] - np.arange(total)  # words from each word to the end of its text
    acc = u ^ _K_SEED
    fmix64(acc, out=acc)
    for k in range(1, wanted[-1] + 1):
        if k > 1:
            span = total - k + 1
            if span <= 0:
                return
            acc = acc[:span]
            acc ^= u[k - 1:]
            fmix64(acc, out=acc)
        if k in wanted:
            starts = np.flatnonzero(left[: acc.size] >= k)
            if starts.size:
                out = acc[starts] ^ np.uint64((k * int(_K_LEN)) & MASK64)
                yield k, starts, fmix64(out, out=out)


def gram_hash_reference(word_hashes: Sequence[int]) -> int:
    """The hash of one n-gram of word hashes by the definition above, with Python integers (for tests)."""
    acc = fmix64_int(int(word_hashes[0]) ^ int(_K_SEED))
    for u in word_hashes[1:]:
        acc = fmix64_int(acc ^ int(u))
    return fmix64_int(acc ^ ((len(word_hashes) * int(_K_LEN)) & MASK64))
