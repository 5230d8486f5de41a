"""Matching texts against the benchmark index, and what follows per document: the items hit with their n-gram
counts, the overlapping spans (merged), and in ``cut`` mode the text without them.

This is the worker-side core, shared by the decontaminate job and clean's document step: the broadcast path
calls :func:`decontaminate_texts` with the index; the join path finds the matching n-grams in Spark and calls
:func:`assemble` with them. Both end in :func:`assemble`, so they agree by construction (and a test checks it).

Spans are ``(start, end)`` code point offsets into the original text (Python string indices). The spans of one
document's matching n-grams are merged where they overlap or touch.

``cut`` follows GPT-3 (Brown et al. 2020, appendix C): each merged span is widened by ``cut_margin_chars`` on
both sides and removed; the text splits into the pieces between; pieces shorter than ``min_piece_chars``
(stripped) are dropped; a document split into more than ``max_pieces`` pieces is dropped whole
(``decontaminate:cut_too_fragmented``), and one with no piece left too (``decontaminate:cut_nothing_left``).
The pieces kept are joined with a blank line, so no sentence is spliced onto another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from corpussieve.decontaminate.config import DecontaminateConfig
from corpussieve.decontaminate.index import BenchmarkIndex, ItemCatalog
from corpussieve.decontaminate.ngrams import gram_hashes
from corpussieve.decontaminate.reasons import DECONTAMINATE
from corpussieve.decontaminate.words import Words, words_of
from corpussieve.runlog import Counters

Span = tuple[int, int]
PIECE_SEPARATOR = "\n\n"


@dataclass
class ItemHit:
    benchmark: str
    item_id: str
    ngrams: int  # distinct n-grams of the document that the item holds
    spans: list[Span]  # merged spans of those n-grams


@dataclass
class DocumentResult:
    """One text's outcome. ``text`` is the new text in cut mode when something was cut (else None: unchanged);
    ``reasons`` non-empty means the document is rejected (drop mode, or a cut leaving too little)."""

    hits: list[ItemHit] = field(default_factory=list)
    ngrams: int = 0  # distinct n-grams of the document held by any item
    spans: list[Span] = field(default_factory=list)  # merged over every item
    chars: int = 0  # characters inside the merged spans
    text: str | None = None
    reasons: list[str] = field(default_factory=list)
    pieces: int | None = None  # cut: pieces the text split into

    @property
    def contaminated(self) -> bool:
        return bool(self.hits)

    @property
    def benchmarks(self) -> list[str]:
        return sorted({h.benchmark for h in self.hits})


@dataclass(frozen=True)
class Matches:
    """Matching n-grams of a batch: first word (global index into the batch's words), length, and item."""

    start: np.ndarray  # int64
    length: np.ndarray  # int64
    item: np.ndarray  # int32

    @classmethod
    def empty(cls) -> Matches:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32))


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Overlapping or touching spans merged, sorted."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def cut_text(text: str, spans: Sequence[Span], cfg: DecontaminateConfig) -> tuple[str | None, int, str | None]:
    """(the text without the widened spans, or None when it is dropped; pieces it split into; reason code)."""
    margin = cfg.cut_margin_chars
    removed = merge_spans([(max(0, s - margin), min(len(text), e + margin)) for s, e in spans])
    pieces, at = [], 0
    for start, end in removed:
        pieces.append(text[at:start])
        at = end
    pieces.append(text[at:])
    pieces = [p.strip() for p in pieces if p.strip()]
    if len(pieces) > cfg.max_pieces:
        return None, len(pieces), DECONTAMINATE["cut_too_fragmented"]
    kept = [p for p in pieces if len(p) >= cfg.min_piece_chars]
    if not kept:
        return None, len(pieces), DECONTAMINATE["cut_nothing_left"]
    return PIECE_SEPARATOR.join(kept), len(pieces), None


def find_matches(words: Words, index: BenchmarkIndex) -> Matches:
    """The (n-gram, item) matches of a batch's words against the index (the broadcast path)."""
    starts, lengths, items = [], [], []
    for k, first, hashes in gram_hashes(words, index.lengths):
        which, item = index.lookup(hashes)
        starts.append(first[which])
        lengths.append(np.full(which.size, k, dtype=np.int64))
        items.append(item)
    if not starts:
        return Matches.empty()
    return Matches(np.concatenate(starts), np.concatenate(lengths), np.concatenate(items))


def assemble(texts: Sequence[str | None], words: Words, matches: Matches, catalog: ItemCatalog,
             cfg: DecontaminateConfig) -> tuple[list[DocumentResult], Counters]:
    """Per text: the items hit, n-gram counts, merged spans and, by ``cfg.mode``, the cut text or the reason."""
    results = [DocumentResult() for _ in texts]
    counters = Counters(documents=len(texts), words=int(words.hashes.size))
    if matches.start.size == 0:
        return results, counters
    text_of_word = np.repeat(np.arange(len(texts)), words.counts())
    doc = text_of_word[matches.start]
    span_start = words.starts[matches.start]
    span_end = words.ends[matches.start + matches.length - 1]
    order = np.lexsort((span_start, matches.item, doc))
    doc, item, span_start, span_end, first, length = (
        doc[order], matches.item[order], span_start[order], span_end[order], matches.start[order],
        matches.length[order])
    bounds = np.flatnonzero(np.diff(doc)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, doc.size], strict=True):
        d = int(doc[lo])
        result = results[d]
        pairs = list(zip(item[lo:hi].tolist(), first[lo:hi].tolist(), length[lo:hi].tolist(),
                         span_start[lo:hi].tolist(), span_end[lo:hi].tolist(), strict=True))
        windows: set[tuple[int, int]] = set()
        by_item: dict[int, list[tuple[int, int, int, int]]] = {}
        for it, w, k, s, e in pairs:
            by_item.setdefault(it, []).append((w, k, s, e))
            windows.add((w, k))
        for it, rows in by_item.items():
            result.hits.append(ItemHit(catalog.benchmarks[int(catalog.item_benchmark[it])], catalog.item_ids[it],
                                       len({(w, k) for w, k, _, _ in rows}),
                                       merge_spans([(s, e) for _, _, s, e in rows])))
        result.hits.sort(key=lambda h: (h.benchmark, h.item_id))
        result.ngrams = len(windows)
        result.spans = merge_spans([(s, e) for _, _, _, s, e in pairs])
        result.chars = sum(e - s for s, e in result.spans)
        counters.add("contaminated", 1).add("item_hits", len(result.hits)).add("ngram_hits", result.ngrams)
        counters.add("span_chars", result.chars)
        if cfg.mode == "drop":
            result.reasons = [DECONTAMINATE["contaminated"]]
        elif cfg.mode == "cut":
            text = texts[d] or ""
            new_text, result.pieces, reason = cut_text(text, result.spans, cfg)
            if reason:
                result.reasons = [reason]
            else:
                result.text = new_text
                counters.add("cut", 1).add("chars_removed", len(text) - len(new_text))
        if result.reasons:
            counters.add("rejected", 1)
    return results, counters


def decontaminate_texts(texts: Sequence[str | None], index: BenchmarkIndex,
                        cfg: DecontaminateConfig) -> tuple[list[DocumentResult], Counters]:
    """The worker-side step over one batch of texts (the broadcast path): match, then :func:`assemble`."""
    words = words_of(texts)
    return assemble(texts, words, find_matches(words, index), index.catalog(), cfg)
