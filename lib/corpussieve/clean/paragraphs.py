"""Paragraph dedup across documents: a long paragraph that many otherwise different pages carry (a press
release, a legal notice, a quoted passage) is kept in one document only.

A *paragraph* is one line of the prepared text (the extractor emits one block per line) whose normalized
form is at least ``min_chars`` long. Its identity is the line hash the site-lines stage already computes
(``corpussieve.clean.lines``: lower case, digit runs -> 0, punctuation and space runs -> one space, xxh3):
the same folding CCNet hashes its paragraphs with, so a copy that differs only in case, punctuation or a
date still counts as a copy. Each document counts each of its paragraphs once.

The rule (the Spark stage is ``corpussieve.clean.stages.find_paragraphs``; ``tests/clean/test_paragraphs.py``
states it in plain Python and checks the stage against it): among the documents that hold a paragraph after the
site and corpus-wide line rules (a copy those rules remove is not a candidate) and that no earlier step
rejected, the first by the keep order (``dedup.keep``: a total order ending with the lowest id) keeps every
copy it holds; every other document loses every copy. With earlier batches (a lake), a paragraph an earlier
batch already holds is removed from every document of the new batch: the earlier document was first.

What is here is pure (numpy): the per-document paragraph hashes ``prepare`` adds.
"""

from __future__ import annotations

import numpy as np

from corpussieve.clean.sitelines import BatchLines, distinct_per_document


def paragraph_keys(lines: BatchLines, min_chars: int) -> tuple[np.ndarray, np.ndarray]:
    """Each document's distinct paragraph hashes (lines whose normalized form has at least ``min_chars``
    characters), sorted: (offsets per document, flat hashes). One lexsort for the whole batch."""
    if lines.lengths is None:
        raise ValueError("paragraph keys need the normalized line lengths (hash_batch_lines sets them)")
    long_only = BatchLines(lines.offsets, np.where(lines.lengths >= min_chars, lines.hashes, 0), lines.short)
    offsets, picked = distinct_per_document(long_only)
    return offsets, long_only.hashes[picked]


__all__ = ["paragraph_keys"]
