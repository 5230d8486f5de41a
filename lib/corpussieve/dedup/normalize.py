"""Text normalization for dedup: NFKC, case folding, punctuation and whitespace folding.

NFKC and case folding are C-level string methods called once per document. Punctuation and whitespace
folding run vectorized over the Unicode code points of a whole batch (one table lookup per character),
because regex substitution of frequent punctuation runs at only ~10 MB/s.

The batch form, :class:`NormalizedBatch`, is what the shingle hashing consumes: the code points of every
document concatenated, with offsets. :func:`normalize_text` is the same computation for one string.
"""

from __future__ import annotations

import string
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from corpussieve.dedup.config import NormalizationConfig

SPACE = 0x20


@lru_cache(maxsize=1)
def punctuation_table() -> np.ndarray:
    """Boolean table over all code points: Unicode punctuation (categories P*) and ASCII ``string.punctuation``.

    ASCII punctuation includes the symbols $+<=>^`|~, which web text uses as punctuation; other symbols
    (currency signs, math, emoji) are content and are kept.
    """
    table = np.zeros(sys.maxunicode + 1, dtype=bool)
    table[[cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp))[0] == "P"]] = True
    table[[ord(c) for c in string.punctuation]] = True
    return table


@lru_cache(maxsize=1)
def whitespace_table() -> np.ndarray:
    """Boolean table over all code points: ``str.isspace`` (the characters ``str.split()`` splits on)."""
    table = np.zeros(sys.maxunicode + 1, dtype=bool)
    table[[cp for cp in range(sys.maxunicode + 1) if chr(cp).isspace()]] = True
    return table


@dataclass(frozen=True)
class NormalizedBatch:
    """Normalized documents as concatenated code points.

    ``codepoints[offsets[i]:offsets[i+1]]`` is document i. ``blank[i]`` is True when document i was None or
    has no non-whitespace character left; such documents yield no shingles. ``none[i]`` is True when the
    input itself was None.
    """

    codepoints: np.ndarray  # uint32
    offsets: np.ndarray  # int64, len n + 1
    blank: np.ndarray  # bool, len n
    none: np.ndarray  # bool, len n

    def __len__(self) -> int:
        return len(self.blank)

    def subset(self, rows: np.ndarray) -> NormalizedBatch:
        """The documents where the boolean mask ``rows`` is True, in order."""
        lengths = np.diff(self.offsets)
        offsets = np.zeros(int(rows.sum()) + 1, dtype=np.int64)
        np.cumsum(lengths[rows], out=offsets[1:])
        return NormalizedBatch(self.codepoints[np.repeat(rows, lengths)], offsets, self.blank[rows], self.none[rows])

    def text(self, i: int) -> str | None:
        """Document i as a string (None when it was None)."""
        if self.none[i]:
            return None
        return self.codepoints[self.offsets[i] : self.offsets[i + 1]].tobytes().decode("utf-32-le")


def _casefold(text: str) -> str:
    # casefold and lower agree on ASCII, and lower has a much faster ASCII path.
    return text.lower() if text.isascii() else text.casefold()


def normalize_batch(texts: Sequence[str | None], config: NormalizationConfig) -> NormalizedBatch:
    """Normalize a batch: NFKC, casefold, punctuation to space, whitespace runs to one space and strip.

    Steps switched off in ``config`` are skipped. None stays None (an empty, blank document).
    """
    pieces = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    none = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if text is None:
            none[i] = True
            continue
        if config.nfkc:
            text = unicodedata.normalize("NFKC", text)
        if config.casefold:
            text = _casefold(text)
        lengths[i] = len(text)
        pieces.append(text.encode("utf-32-le"))
    cps = np.frombuffer(bytearray().join(pieces), dtype=np.uint32)  # writable, one copy of the text
    del pieces
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])

    if config.fold_punctuation and cps.size:
        cps[punctuation_table()[cps]] = SPACE
    is_space = whitespace_table()[cps]
    spaces = np.flatnonzero(is_space)
    non_space = lengths - np.diff(np.searchsorted(spaces, offsets))
    if config.fold_whitespace and spaces.size:
        cps, offsets = _collapse_whitespace(cps, offsets, is_space, spaces, non_space)
    return NormalizedBatch(cps, offsets, non_space == 0, none)


def _collapse_whitespace(
    cps: np.ndarray, offsets: np.ndarray, is_space: np.ndarray, spaces: np.ndarray, non_space: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Turn each whitespace run into one space and drop leading and trailing whitespace of each document.

    ``spaces`` holds the positions of whitespace characters and ``non_space`` the number of other
    characters of each document.
    """
    n_docs = offsets.size - 1
    doc = np.searchsorted(offsets, spaces, side="right") - 1
    doc_start = spaces == offsets[doc]
    run_start = doc_start.copy()
    run_start[0] = True
    run_start[1:] |= spaces[1:] - 1 != spaces[:-1]
    runs, run_doc = spaces[run_start], doc[run_start]
    inner = ~doc_start[run_start]  # a run at a document's start is leading
    # A document ending in whitespace: its last run is trailing.
    lengths = np.diff(offsets)
    ends_in_space = np.zeros(n_docs, dtype=bool)
    filled = lengths > 0
    ends_in_space[filled] = is_space[offsets[1:][filled] - 1]
    last_run = np.searchsorted(runs, offsets[1:]) - 1
    inner[last_run[ends_in_space]] = False
    cps[spaces] = SPACE
    keep = ~is_space
    keep[runs[inner]] = True
    new_lengths = non_space + np.bincount(run_doc[inner], minlength=n_docs)
    new_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(new_lengths, out=new_offsets[1:])
    return cps[keep], new_offsets


def normalize_text(text: str, config: NormalizationConfig) -> str:
    """Normalize one document; identical to its slice of :func:`normalize_batch`."""
    batch = normalize_batch([text], config)
    return batch.text(0) or ""


def normalize_texts(texts: Sequence[str | None], config: NormalizationConfig) -> list[str | None]:
    """Normalize a batch into strings; None stays None."""
    batch = normalize_batch(texts, config)
    return [batch.text(i) for i in range(len(batch))]
