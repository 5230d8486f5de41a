"""Small generated corpora for the repetition tests (token-id level, so they need no tokenizer)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from corpussieve.repetition.tokenizers import TokenBatch


def token_batch(documents: Sequence[Sequence[int]]) -> TokenBatch:
    """CSR batch of token-id documents."""
    lengths = [len(d) for d in documents]
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.fromiter((t for d in documents for t in d), dtype=np.uint32, count=int(offsets[-1]))
    return TokenBatch(ids=ids, offsets=offsets)


def random_corpus(rng: np.random.Generator) -> list[list[int]]:
    """A few documents mixing shared pieces (repeats across and within documents, overlapping ones) with
    random filler from a tiny vocabulary (so that accidental repeats happen too), some shorter than a span."""
    pieces = [list(rng.integers(0, 6, int(rng.integers(1, 16)))) for _ in range(4)]
    documents = []
    for _ in range(int(rng.integers(1, 9))):
        doc: list[int] = []
        for _ in range(int(rng.integers(0, 7))):
            if rng.random() < 0.5:
                doc += pieces[int(rng.integers(0, len(pieces)))]
            else:
                doc += list(rng.integers(0, 40, int(rng.integers(0, 10))))
        documents.append([int(t) for t in doc])
    return documents


@pytest.fixture
def make_batch():
    return token_batch


@pytest.fixture
def make_random_corpus():
    return random_corpus
