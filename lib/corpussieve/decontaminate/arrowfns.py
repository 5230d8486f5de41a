"""The decontaminate job's Python stages as Arrow functions: what ``mapInArrow`` runs.

1. :func:`documents_batch` (over the documents, every input column): the pure core
   (:mod:`corpussieve.decontaminate.matching`) per batch; out come the input columns (``text`` replaced where
   ``cut`` cut it), ``contamination`` (the audit column), ``__hits`` (per item: n-grams, spans and their text,
   for the contaminated table), ``__reason`` (null: kept) and the workers' counters (``__n_*``, ``__sec_match``:
   the batch's totals on its first row). On the broadcast path the batch is matched against the index; on the
   join path the batch carries its matches in ``__matches`` (from the Spark join) and only the item catalog
   rides along.
2. :func:`windows_batch` (join path): every n-gram of every document as a row (id, length, word position,
   hash), to be joined with the index table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa

from corpussieve.arrowutil import column, with_columns
from corpussieve.decontaminate.config import DecontaminateConfig
from corpussieve.decontaminate.index import BenchmarkIndex, ItemCatalog
from corpussieve.decontaminate.matching import DocumentResult, Matches, assemble, find_matches
from corpussieve.decontaminate.ngrams import gram_hashes
from corpussieve.decontaminate.words import words_of

Batches = Iterator[pa.RecordBatch]

ITEM_TYPE = pa.struct([("benchmark", pa.string()), ("item_id", pa.string()), ("ngrams", pa.int32())])
CONTAMINATION_TYPE = pa.struct([
    ("contaminated", pa.bool_()), ("ngrams", pa.int32()), ("chars", pa.int64()),
    ("benchmarks", pa.list_(pa.string())), ("items", pa.list_(ITEM_TYPE)), ("action", pa.string()),
])
"""The audit column: items hit with their n-gram counts, the document's matching n-grams and the characters they
cover, and what was done (null: nothing to do; ``flag``, ``cut``, or ``drop``)."""
SPAN_TYPE = pa.struct([("start", pa.int64()), ("end", pa.int64())])
HIT_TYPE = pa.struct([("benchmark", pa.string()), ("item_id", pa.string()), ("ngrams", pa.int32()),
                      ("spans", pa.list_(SPAN_TYPE)), ("span_texts", pa.list_(pa.string()))])
MATCH_TYPE = pa.struct([("length", pa.int32()), ("position", pa.int32()), ("item", pa.int32())])
COUNTERS = ("documents", "words", "contaminated", "item_hits", "ngram_hits", "span_chars", "cut", "chars_removed",
            "rejected")
ADDED_FIELDS = [pa.field("contamination", CONTAMINATION_TYPE), pa.field("__hits", pa.list_(HIT_TYPE)),
                pa.field("__reason", pa.string()), *[pa.field(f"__n_{c}", pa.int64()) for c in COUNTERS],
                pa.field("__sec_match", pa.float64())]
INTERNAL_COLUMNS = [f.name for f in ADDED_FIELDS if f.name.startswith("__")] + ["__matches"]


def contamination_value(result: DocumentResult, mode: str) -> dict:
    action = None
    if result.contaminated:
        action = "drop" if result.reasons else ("cut" if mode == "cut" else "flag")
    return {"contaminated": result.contaminated, "ngrams": result.ngrams, "chars": result.chars,
            "benchmarks": result.benchmarks,
            "items": [{"benchmark": h.benchmark, "item_id": h.item_id, "ngrams": h.ngrams} for h in result.hits],
            "action": action}


def hits_value(result: DocumentResult, text: str | None, span_chars: int) -> list[dict] | None:
    if not result.contaminated:
        return None
    return [{"benchmark": h.benchmark, "item_id": h.item_id, "ngrams": h.ngrams,
             "spans": [{"start": s, "end": e} for s, e in h.spans],
             "span_texts": [(text or "")[s: min(e, s + span_chars)] for s, e in h.spans]} for h in result.hits]


def matches_of(batch: pa.RecordBatch, word_offsets: np.ndarray) -> Matches:
    """The join path's matches carried in ``__matches`` (per row: length, word position in the row, item), with
    positions made global over the batch's words."""
    values = column(batch, "__matches")
    if values is None:
        return Matches.empty()
    lengths = values.value_lengths().fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = values.flatten()
    if len(flat) == 0:
        return Matches.empty()
    position = flat.field("position").to_numpy().astype(np.int64)
    row = np.repeat(np.arange(len(batch)), lengths)
    return Matches(position + word_offsets[row], flat.field("length").to_numpy().astype(np.int64),
                   flat.field("item").to_numpy().astype(np.int32))


def documents_batch(batch: pa.RecordBatch, cfg: DecontaminateConfig, index: BenchmarkIndex | None,
                    catalog: ItemCatalog) -> pa.RecordBatch:
    """One batch of documents decontaminated (see the module docstring). ``index`` None: the join path."""
    started = time.perf_counter()
    texts = column(batch, "text").to_pylist()
    words = words_of(texts)
    matches = find_matches(words, index) if index is not None else matches_of(batch, words.offsets)
    results, counters = assemble(texts, words, matches, catalog, cfg)
    n = len(texts)

    def first_row(value: float, kind: pa.DataType) -> pa.Array:
        out = np.zeros(n, dtype=np.float64 if kind == pa.float64() else np.int64)
        if n:
            out[0] = value
        return pa.array(out, kind)

    columns = {
        "contamination": pa.array([contamination_value(r, cfg.mode) for r in results], CONTAMINATION_TYPE),
        "__hits": pa.array([hits_value(r, t, cfg.span_text_chars) for r, t in zip(results, texts, strict=True)],
                           pa.list_(HIT_TYPE)),
        "__reason": pa.array([r.reasons[0] if r.reasons else None for r in results], pa.string()),
        **{f"__n_{c}": first_row(counters.get(c, 0), pa.int64()) for c in COUNTERS},
        "__sec_match": first_row(time.perf_counter() - started, pa.float64()),
    }
    if any(r.text is not None for r in results):  # cut: only then is the text column rebuilt
        columns["text"] = pa.array([r.text if r.text is not None else t for r, t in zip(results, texts, strict=True)],
                                   pa.string())
    return with_columns(batch, columns, drop=["__matches"])


def documents_map(cfg: DecontaminateConfig, shared, catalog: ItemCatalog | None = None) -> Callable[[Batches], Batches]:
    """mapInArrow over the documents. ``shared``: a broadcast of the index (the broadcast path; read once per
    Python worker), or None with ``catalog`` (the join path, matches in ``__matches``)."""

    def run(batches: Batches) -> Batches:
        index = shared.value if shared is not None else None
        names = index.catalog() if index is not None else catalog
        for batch in batches:
            yield documents_batch(batch, cfg, index, names)

    return run


WINDOWS_DDL = "id string, length int, position int, hash long"


def windows_batch(batch: pa.RecordBatch, lengths: list[int]) -> pa.RecordBatch:
    """Every n-gram of the lengths the index holds, of every document: (id, length, word position, hash)."""
    ids = column(batch, "id")
    words = words_of(column(batch, "text").to_pylist())
    text_of_word = np.repeat(np.arange(len(batch)), words.counts())
    rows, ks, positions, hashes = [], [], [], []
    for k, first, h in gram_hashes(words, lengths):
        doc = text_of_word[first]
        rows.append(doc)
        ks.append(np.full(first.size, k, dtype=np.int32))
        positions.append((first - words.offsets[doc]).astype(np.int32))
        hashes.append(h.view(np.int64))
    if not rows:
        return pa.RecordBatch.from_arrays([pa.array([], pa.string()), pa.array([], pa.int32()),
                                           pa.array([], pa.int32()), pa.array([], pa.int64())],
                                          names=["id", "length", "position", "hash"])
    return pa.RecordBatch.from_arrays(
        [ids.take(pa.array(np.concatenate(rows))), pa.array(np.concatenate(ks)), pa.array(np.concatenate(positions)),
         pa.array(np.concatenate(hashes))], names=["id", "length", "position", "hash"])


def windows_map(lengths: list[int]) -> Callable[[Batches], Batches]:
    def run(batches: Batches) -> Batches:
        for batch in batches:
            yield windows_batch(batch, lengths)

    return run
