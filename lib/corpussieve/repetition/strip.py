"""Repeated span removal: cut the copies of every over-used window beyond the first ``max_copies`` (pure numpy).

Definitions (``corpussieve repetition --strip K``; the brute force in
:func:`corpussieve.repetition.reference.reference_strip` implements the same)
---------------------------------------------------------------------------------------------------------------
* A **window** is ``span_tokens`` consecutive tokens at one position of one document (as the repetition job
  counts them). Its **count** is the number of its occurrences in the corpus, every position counted (copies
  inside one document included). A window is **over the limit** when its count is more than ``K``.
* **Keep order**: the occurrences of a window are ordered by (document keep rank, position in the document).
  The document keep rank is dedup's keep rule (``repetition.strip.keep``, default ``earliest_fetch_time`` as
  in dedup; every rule ends with the lowest id): the document dedup would keep of a duplicate pair is also
  the one whose copy of a shared span survives. This is a total order on occurrences that no partitioning,
  batch size or bucket count can change.
* **Kept and removed occurrences**: of an over-the-limit window, the first ``K`` occurrences in keep order are
  kept, every later one is removed. ``K`` copies, not one: ``--strip K`` caps every span at ``K`` copies
  (``K = 1`` is the issue's "keep the first occurrence"), so a span seen ``K + 1`` times loses one copy, not
  ``K``, and a span at ``K`` copies is untouched; stripping is monotone in ``K``.
* **Removed tokens**: the union of the token positions under every removed occurrence. Overlapping and adjacent
  removed occurrences merge; a kept occurrence that overlaps a removed one loses the overlap (removal wins).
  Within a document the removed tokens form maximal runs, the **cuts**.
* **Text**: the text is cut, never re-encoded from tokens, so everything outside the cuts is byte for byte the
  original. With a BPE tokenizer (``cl100k``, ``gpt2``) tokens are byte strings laid end to end over the UTF-8
  text; a character is removed when its first byte lies in a removed token (a character split across two
  tokens goes with the first), so the result is always valid UTF-8. With ``word`` a character goes with the
  first token that ends after it (a word owns the whitespace before it, as BPE tokens own their leading space);
  characters after the last token are kept.

After stripping, no original occurrence of an over-the-limit window survives beyond its first ``K``; a cut can
join text into new windows (seams), which a recount can find repeated (the job measures the result again).

``K`` relates to the report: a token under windows seen at most ``M`` times (``M(t)``, the report's token
count) loses, in expectation over where its copies sit, ``1 - K/M`` of its copies when ``M > K``;
:func:`predicted_removed` sums that over the count mass, the figure the removal is compared with.

Per batch, given the over-limit windows with their cutoffs (:class:`CopyLimits`) and each document's keep
rank, :func:`strip_tokens` strips a batch of tokenized documents and :func:`cut_text_bytes` /
:func:`cut_text_words` rebuild their texts: the core a clean step or the refresh can call batch by batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from corpussieve.repetition.coverage import MassTable
from corpussieve.repetition.tokenizers import _WORD_RE, TokenBatch
from corpussieve.repetition.windows import WindowBatch, window_hashes


@dataclass(frozen=True)
class CopyLimits:
    """The over-limit windows and, for each, its last kept occurrence (the ``K``-th in keep order).

    An occurrence (document rank r, position p) of ``hashes[i]`` is kept iff
    ``(r, p) <= (cutoff_rank[i], cutoff_pos[i])``; windows not listed are never removed.
    """

    hashes: np.ndarray
    """uint64, unique."""
    cutoff_rank: np.ndarray
    """int64 keep rank of the document holding the last kept occurrence."""
    cutoff_pos: np.ndarray
    """int64 position of that occurrence in its document."""
    max_copies: int

    def __len__(self) -> int:
        return self.hashes.size

    @property
    def nbytes(self) -> int:
        return self.hashes.nbytes + self.cutoff_rank.nbytes + self.cutoff_pos.nbytes

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which of ``hashes`` are over the limit (their indices), with their cutoffs."""
        if not hashes.size or not self.hashes.size:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        slot = _index_of(self.hashes).get_indexer(hashes)
        picked = np.flatnonzero(slot >= 0)
        slot = slot[picked]
        return picked, self.cutoff_rank[slot], self.cutoff_pos[slot]


_INDEXES: dict[int, tuple[np.ndarray, pd.Index]] = {}


def _index_of(hashes: np.ndarray) -> pd.Index:
    """A hash table over ``hashes``, built once per array and process (a broadcast is reused across tasks)."""
    cached = _INDEXES.get(id(hashes))
    if cached is None or cached[0] is not hashes:
        if len(_INDEXES) > 4:
            _INDEXES.clear()
        cached = _INDEXES[id(hashes)] = (hashes, pd.Index(hashes))
    return cached[1]


def over_limit_windows(tokens: TokenBatch, span_tokens: int, over: np.ndarray) -> tuple[WindowBatch, np.ndarray]:
    """Every window of the batch and the indices of those whose hash is in ``over`` (uint64, unique)."""
    windows = window_hashes(tokens, span_tokens)
    if not windows.hashes.size or not over.size:
        return windows, np.zeros(0, dtype=np.int64)
    return windows, np.flatnonzero(_index_of(over).get_indexer(windows.hashes) >= 0)


def smallest_copies(hashes: np.ndarray, ranks: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` first occurrences of each hash in keep order (rank, then position), grouped by hash.

    What a batch ships to the cutoff aggregation: no later occurrence can be among a hash's first ``k``.
    """
    if not hashes.size:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((pos, ranks, hashes))
    h = hashes[order]
    new = np.ones(h.size, dtype=bool)
    new[1:] = h[1:] != h[:-1]
    group_start = np.flatnonzero(new)
    rank_in_group = np.arange(h.size) - np.repeat(group_start, np.diff(np.append(group_start, h.size)))
    return order[rank_in_group < k]


def copy_limits(hashes: np.ndarray, ranks: np.ndarray, pos: np.ndarray, k: int) -> CopyLimits:
    """The cutoff of each hash: its ``k``-th occurrence in keep order (its last one when it has fewer)."""
    chosen = smallest_copies(hashes, ranks, pos, k)
    h = hashes[chosen]
    last = np.ones(h.size, dtype=bool)
    last[:-1] = h[1:] != h[:-1]
    picked = chosen[last]
    return CopyLimits(hashes[picked].astype(np.uint64), ranks[picked].astype(np.int64), pos[picked].astype(np.int64),
                      k)


@dataclass(frozen=True)
class StripResult:
    """A stripped batch: the kept tokens, the removed tokens per document and the cuts (token positions)."""

    kept: TokenBatch
    removed: np.ndarray
    """int64 tokens removed per document."""
    cut_start: np.ndarray
    """int64 first removed token of each cut, in its document."""
    cut_end: np.ndarray
    """int64 token after each cut's last one, in its document."""
    cut_offsets: np.ndarray
    """int64 CSR offsets of the cuts per document (cuts are ordered by document, then position)."""


def strip_tokens(tokens: TokenBatch, ranks: np.ndarray, limits: CopyLimits, span_tokens: int) -> StripResult:
    """Remove every occurrence of an over-limit window beyond the first ``limits.max_copies`` (see module doc).

    ``ranks``: each document's keep rank (int64, distinct). Vectorized over the batch: windows are hashed,
    looked up in ``limits``, and the removed ones mark their tokens with a +1/-1 difference array.
    """
    ranks = np.asarray(ranks, dtype=np.int64)
    offsets = np.asarray(tokens.offsets, dtype=np.int64)
    docs = offsets.size - 1
    if ranks.shape != (docs,):
        raise ValueError("ranks must hold one keep rank per document")
    windows = window_hashes(tokens, span_tokens)
    picked, cutoff_rank, cutoff_pos = limits.lookup(windows.hashes)
    rank = ranks[windows.doc[picked]]
    pos = windows.pos[picked]
    removed_window = (rank > cutoff_rank) | ((rank == cutoff_rank) & (pos > cutoff_pos))
    starts = windows.starts()[picked[removed_window]]
    n = int(offsets[-1])
    delta = np.bincount(starts, minlength=n + 1)[: n + 1] - np.bincount(starts + span_tokens, minlength=n + 1)[: n + 1]
    covered = np.cumsum(delta[:n]) > 0
    before = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(covered, out=before[1:])
    removed = before[offsets[1:]] - before[offsets[:-1]]
    kept = TokenBatch(np.asarray(tokens.ids)[~covered], offsets - before[offsets])
    # Runs of removed tokens, broken at document starts (a window never crosses one, but adjacent documents'
    # runs would touch on the batch axis).
    doc_start = np.zeros(n + 1, dtype=bool)
    doc_start[offsets] = True
    prev = np.zeros(n, dtype=bool)
    prev[1:] = covered[:-1]
    nxt = np.zeros(n, dtype=bool)
    nxt[:-1] = covered[1:]
    run_start = np.flatnonzero(covered & (~prev | doc_start[:n]))
    run_end = np.flatnonzero(covered & (~nxt | doc_start[1:])) + 1
    cut_doc = np.searchsorted(offsets, run_start, side="right") - 1
    cut_offsets = np.zeros(docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(cut_doc, minlength=docs), out=cut_offsets[1:])
    return StripResult(kept, removed, run_start - offsets[cut_doc], run_end - offsets[cut_doc], cut_offsets)


def byte_cuts(tokens: TokenBatch, result: StripResult, byte_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cuts as UTF-8 byte offsets into each document's text (BPE tokens are byte strings end to end)."""
    offsets = np.asarray(tokens.offsets, dtype=np.int64)
    ids = np.asarray(tokens.ids)
    if ids.size and int(ids.max()) >= byte_lengths.size:
        raise ValueError(f"token id {int(ids.max())} is outside the tokenizer's vocabulary")
    at = np.zeros(ids.size + 1, dtype=np.int64)
    np.cumsum(byte_lengths[ids], out=at[1:])
    cut_doc = np.repeat(np.arange(offsets.size - 1), np.diff(result.cut_offsets))
    first = offsets[cut_doc]
    return at[first + result.cut_start] - at[first], at[first + result.cut_end] - at[first]


def cut_text_bytes(text: str, starts: np.ndarray, ends: np.ndarray, *, expected_bytes: int | None = None) -> str:
    """``text`` without the bytes ``[starts[i], ends[i])``, each end moved forward to a character boundary.

    A character is removed when its first byte lies in a cut. ``expected_bytes``: the text's length in bytes
    by its tokens; a text that does not match them (tokenized by another tokenizer) is refused.
    """
    raw = text.encode("utf-8")
    if expected_bytes is not None and expected_bytes != len(raw):
        raise ValueError(f"the text has {len(raw)} UTF-8 bytes, its tokens {expected_bytes}")
    if not len(starts):
        return text

    def boundary(at: int) -> int:
        while at < len(raw) and (raw[at] & 0xC0) == 0x80:
            at += 1
        return at

    pieces, last = [], 0
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        s, e = boundary(s), boundary(e)
        pieces.append(raw[last:s])
        last = max(last, e)
    pieces.append(raw[last:])
    return b"".join(pieces).decode("utf-8")


def cut_text_words(text: str, starts: np.ndarray, ends: np.ndarray, *, expected_tokens: int | None = None) -> str:
    """``text`` without the word tokens ``[starts[i], ends[i])`` and the whitespace before each of them."""
    if not len(starts):
        return text
    word_ends = [m.end() for m in _WORD_RE.finditer(text)]
    if expected_tokens is not None and expected_tokens != len(word_ends):
        raise ValueError(f"the text has {len(word_ends)} word tokens, its token ids {expected_tokens}")
    pieces, last = [], 0
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        cut_from = word_ends[s - 1] if s > 0 else 0
        pieces.append(text[last:cut_from])
        last = word_ends[e - 1]
    pieces.append(text[last:])
    return "".join(pieces)


def cut_text(text: str, cuts: np.ndarray, unit: str, units: int | None = None) -> str:
    """``text`` without its cuts: ``cuts`` holds flat int64 (start, end) pairs in the text's UTF-8 bytes
    (``unit`` 'bytes', a BPE tokenizer: :func:`cut_text_bytes`) or in word tokens ('words':
    :func:`cut_text_words`); ``units``: the text's length in that unit by its tokens, checked."""
    starts, ends = cuts[0::2], cuts[1::2]
    if unit == "bytes":
        return cut_text_bytes(text, starts, ends, expected_bytes=units)
    return cut_text_words(text, starts, ends, expected_tokens=units)


def predicted_removed(count_mass: MassTable, max_copies: int) -> float:
    """Tokens a cap at ``max_copies`` copies is expected to remove, from the report's token counts M(t).

    A token whose most repeated window has M > K copies keeps K of them: ``1 - K/M`` per copy. Exact for a span
    copied M times in contexts that differ; overlapping windows of different counts (the most repeated one
    decides M) and copies that sit inside kept ones make the real figure differ.
    """
    over = count_mass.values > max_copies
    return float(np.sum(count_mass.mass[over] * (1.0 - max_copies / count_mass.values[over])))
