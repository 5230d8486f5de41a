"""Site and corpus boilerplate lines: the batch kernels of the Spark line stage, and a reference.

The Spark job hashes every line of every prepared document (``hash_batch_lines``), counts each
distinct hash once per document per site (``distinct_per_document`` feeds the explode/group-by),
decides which hashes are boilerplate with the thresholds of ``LineBoilerplateConfig``, and drops
those lines from each document (``pair_member`` + ``drop_lines``).

Everything here works on whole Arrow/numpy batches: lines of all documents of a batch are one flat
array with a parent index per line, so membership tests are one sort, never a loop over lines.
``find_boilerplate`` is the plain-Python statement of the rule, used to check the Spark version.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corpussieve.clean.config import LineBoilerplateConfig
from corpussieve.clean.lines import hash_lines, normalize_lines, rejoin


@dataclass
class BatchLines:
    """Every line of a batch of documents as flat arrays; document ``i`` owns ``offsets[i]:offsets[i+1]``.

    ``hashes`` is the signed 64-bit hash of the normalized line, 0 for a line too short (or empty)
    to count; ``short`` says whether the normalized line is short enough to be corpus-wide
    boilerplate (``max_corpus_line_chars``); ``lengths`` is the normalized line's length in characters (the
    paragraph rule's ``min_chars`` is measured on it).
    """

    offsets: np.ndarray
    hashes: np.ndarray
    short: np.ndarray
    lengths: np.ndarray | None = None

    def document(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]


def hash_batch_lines(documents: Sequence[Sequence[str]], cfg: LineBoilerplateConfig) -> BatchLines:
    """Hash the lines of many documents in one pass of Arrow kernels (normalize) and xxh3 (hash)."""
    counts = np.fromiter((len(lines) for lines in documents), dtype=np.int64, count=len(documents))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    flat = pa.array([line for lines in documents for line in lines], type=pa.string())
    if len(flat) == 0:
        return BatchLines(offsets, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64))
    normalized = normalize_lines(flat)
    lengths = pc.utf8_length(normalized).to_numpy(zero_copy_only=False)
    hashes = hash_lines(normalized, normalized=True, signed=True)
    hashes[lengths < cfg.min_line_chars] = 0
    return BatchLines(offsets, hashes, lengths <= cfg.max_corpus_line_chars, lengths.astype(np.int64, copy=False))


def parents(offsets: np.ndarray) -> np.ndarray:
    """The document index of every flat line, from the offsets."""
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))


def distinct_per_document(lines: BatchLines) -> tuple[np.ndarray, np.ndarray]:
    """Each document's distinct countable hashes, sorted: (offsets per document, flat line positions).

    The positions index ``lines.hashes``/``lines.short`` (the first occurrence of each hash in its
    document), so the caller can pick any aligned value. One lexsort for the whole batch.
    """
    doc = parents(lines.offsets)
    countable = np.flatnonzero(lines.hashes != 0)
    order = countable[np.lexsort((countable, lines.hashes[countable], doc[countable]))]
    keep = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        same_doc = doc[order[1:]] == doc[order[:-1]]
        keep[1:] = ~(same_doc & (lines.hashes[order[1:]] == lines.hashes[order[:-1]]))
    picked = order[keep]
    per_doc = np.bincount(doc[picked], minlength=len(lines.offsets) - 1)
    return np.concatenate(([0], np.cumsum(per_doc))).astype(np.int64), picked


def pair_member(rows: np.ndarray, values: np.ndarray, set_rows: np.ndarray, set_values: np.ndarray) -> np.ndarray:
    """For each (rows[i], values[i]): is that exact pair among (set_rows, set_values)? One lexsort.

    The set side sorts before the query side within equal pairs, so a query is a member exactly
    when its group starts with a set element.
    """
    n = len(rows)
    if n == 0 or len(set_rows) == 0:
        return np.zeros(n, dtype=bool)
    all_rows = np.concatenate((set_rows, rows)).astype(np.int64, copy=False)
    all_values = np.concatenate((set_values, values)).astype(np.int64, copy=False)
    is_query = np.concatenate((np.zeros(len(set_rows), dtype=np.int8), np.ones(n, dtype=np.int8)))
    order = np.lexsort((is_query, all_values, all_rows))
    sorted_rows, sorted_values = all_rows[order], all_values[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (sorted_rows[1:] != sorted_rows[:-1]) | (sorted_values[1:] != sorted_values[:-1])
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    member_sorted = is_query[order][group_start] == 0
    out = np.zeros(len(order), dtype=bool)
    out[order] = member_sorted
    return out[len(set_rows) :]


def list_parts(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(parent row, value) of every element of a list<int64> column; null lists hold nothing."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    values = pc.list_flatten(column).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    rows = pc.list_parent_indices(column).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return rows, values


def drop_lines(lines: Sequence[str], drop: np.ndarray) -> str:
    """The document without the dropped lines (paragraph breaks tidied as in ``rejoin``)."""
    return rejoin(lines, ~drop) if drop.any() else rejoin(lines)


def find_boilerplate(
    documents: Iterable[tuple[str | None, Iterable[tuple[int, bool]]]], cfg: LineBoilerplateConfig
) -> tuple[dict[str, set[int]], set[int]]:
    """The rule in plain Python: (site -> its boilerplate hashes, corpus-wide hashes).

    ``documents`` yields (site, [(hash, short), ...]) per document with text; hashes of 0 are
    ignored and each hash counts once per document. A site's line is boilerplate when the site has
    at least ``min_site_size`` documents and the line is in at least ``min_site_docs`` of them and
    in at least ``min_site_fraction`` of them. A line is corpus-wide boilerplate when it is short,
    in at least ``min_corpus_docs`` documents and on at least ``min_corpus_sites`` sites (documents
    without a site count as documents, not as a site); at most ``max_corpus_lines`` of them, the most
    widespread first (ties: smaller hash first).
    """
    site_docs: Counter[str] = Counter()
    site_line_docs: dict[str | None, Counter[int]] = defaultdict(Counter)
    short_of: dict[int, bool] = {}
    for site, keys in documents:
        distinct = {h: s for h, s in keys if h != 0}
        if site is not None:
            site_docs[site] += 1
        for h, s in distinct.items():
            site_line_docs[site][h] += 1
            short_of[h] = short_of.get(h, False) or s
    per_site: dict[str, set[int]] = {}
    for site, lines in site_line_docs.items():
        if site is None or site_docs[site] < cfg.min_site_size:
            continue
        floor = max(cfg.min_site_docs, cfg.min_site_fraction * site_docs[site])
        found = {h for h, n in lines.items() if n >= floor}
        if found:
            per_site[site] = found
    corpus_docs: Counter[int] = Counter()
    corpus_sites: Counter[int] = Counter()
    for site, lines in site_line_docs.items():
        for h, n in lines.items():
            corpus_docs[h] += n
            corpus_sites[h] += site is not None
    widespread = [
        h for h, n in corpus_docs.items()
        if n >= cfg.min_corpus_docs and corpus_sites[h] >= cfg.min_corpus_sites and short_of[h]
    ]  # fmt: skip
    widespread.sort(key=lambda h: (-corpus_docs[h], h))
    return per_site, set(widespread[: cfg.max_corpus_lines])
