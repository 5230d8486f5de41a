"""The benchmark index: every item's n-gram hashes, sorted, with the items that hold each. Built once on the driver
(:func:`build_index`), then broadcast to the Python workers while it fits (compact numpy arrays: 20 bytes per
(n-gram, item) entry; 100,000 items of ~60 words are ~5M entries, ~100 MB), else turned into a Spark table for a
join.

* Items with at least ``ngram`` words give every n-gram of their words; items with ``min_item_words`` to
  ``ngram - 1`` words give one n-gram of all their words (its own length: documents are matched at every length
  the index holds); shorter items give none and are counted (``too_short``), as are empty ones.
* An n-gram held by more than ``max_items_per_ngram`` distinct items is left out (``common_ngrams``, with
  examples in the report): it is template text, not an item. An item all of whose n-grams are left out cannot be
  detected and is counted (``only_common``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corpussieve.decontaminate.benchmarks import Benchmark
from corpussieve.decontaminate.config import DecontaminateConfig
from corpussieve.decontaminate.ngrams import gram_hashes
from corpussieve.decontaminate.words import words_of

#: items processed per group while building (bounds the temporaries: a few uint64 per word of the group)
_BUILD_ITEMS = 20_000


@dataclass
class BenchmarkIndex:
    """Sorted distinct n-gram hashes; ``items[entry_offsets[i]:entry_offsets[i+1]]`` hold ``hashes[i]``.

    Items are numbered across benchmarks: ``item_benchmark[j]`` is the benchmark number of item j,
    ``item_ids[j]`` its id. Picklable; plain numpy arrays plus the ids."""

    hashes: np.ndarray  # uint64, sorted, distinct
    entry_offsets: np.ndarray  # int64, len(hashes) + 1
    items: np.ndarray  # int32
    lengths: np.ndarray  # int64: the n-gram lengths the index holds (ngram, and short items' lengths)
    benchmarks: list[str]
    item_benchmark: np.ndarray  # int32
    item_ids: list[str]
    item_ngrams: np.ndarray  # int32: n-grams each item put in the index
    filter_bits: np.ndarray | None = None  # uint8 bitmap over the hashes' top bits (see ``lookup``)
    stats: list[dict[str, Any]] = field(default_factory=list)  # per benchmark: counts for the report
    common: dict[str, Any] = field(default_factory=dict)  # n-grams left out as too common, with examples

    @property
    def nbytes(self) -> int:
        bitmap = self.filter_bits.nbytes if self.filter_bits is not None else 0
        return int(self.hashes.nbytes + self.entry_offsets.nbytes + self.items.nbytes + self.item_benchmark.nbytes
                   + self.item_ngrams.nbytes + bitmap + sum(len(i) + 50 for i in self.item_ids))

    def catalog(self) -> ItemCatalog:
        """What matched items are named with: what the join path's workers need instead of the whole index."""
        return ItemCatalog(self.benchmarks, self.item_benchmark, self.item_ids)

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For n-gram hashes (uint64): (position in ``hashes`` of each (n-gram, item) match, the item), in order.

        Almost no n-gram of a document is in the index, so a bitmap over the hashes' top bits (16 bits per
        distinct hash: 1 in ~16 absent hashes passes) answers most of them with one memory access each; only
        those that pass are binary-searched, in sorted order. Measured on 600,000 hashes against 5M (loaded
        2-core machine): ``searchsorted`` alone 6.1 s (a cache miss per step of every search), sorted first 0.46 s,
        the bitmap then a search of the survivors 0.29 s."""
        if self.hashes.size == 0 or hashes.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int32)
        candidates = np.arange(hashes.size)
        if self.filter_bits is not None:
            top = (hashes >> np.uint64(64 - _bits_of(self.filter_bits))).astype(np.int64)
            candidates = np.flatnonzero((self.filter_bits[top >> 3] >> (top & 7).astype(np.uint8)) & 1)
        queries = hashes[candidates]
        order = np.argsort(queries, kind="stable")
        at = np.empty(queries.size, dtype=np.int64)
        at[order] = np.searchsorted(self.hashes, queries[order])
        at[at == self.hashes.size] = 0
        hit = np.flatnonzero(self.hashes[at] == queries)
        found, at = candidates[hit], at[hit]
        if found.size == 0:
            return found.astype(np.int64), np.empty(0, np.int32)
        lo, hi = self.entry_offsets[at], self.entry_offsets[at + 1]
        counts = hi - lo
        which = np.repeat(found, counts)
        first = np.repeat(lo - np.cumsum(counts) + counts, counts)
        return which.astype(np.int64), self.items[first + np.arange(which.size)]

    def table_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(hash as int64, item) for every entry: the join path's index table."""
        return (np.repeat(self.hashes, np.diff(self.entry_offsets)).view(np.int64), self.items)


def _bits_of(bitmap: np.ndarray) -> int:
    return int(bitmap.size * 8).bit_length() - 1


def filter_bitmap(hashes: np.ndarray) -> np.ndarray:
    """A bitmap of 2^b bits (b: 16 bits per hash, rounded up to a power of two, 2^16..2^32) with the bit of each
    hash's top b bits set."""
    bits = min(32, max(16, int(np.ceil(np.log2(max(1, hashes.size) * 16)))))
    bitmap = np.zeros(1 << (bits - 3), dtype=np.uint8)
    top = (hashes >> np.uint64(64 - bits)).astype(np.int64)
    np.bitwise_or.at(bitmap, top >> 3, np.left_shift(1, top & 7).astype(np.uint8))
    return bitmap


@dataclass(frozen=True)
class ItemCatalog:
    benchmarks: list[str]
    item_benchmark: np.ndarray
    item_ids: list[str]


def build_index(benchmarks: Sequence[Benchmark], cfg: DecontaminateConfig) -> BenchmarkIndex:
    """The index of every item of ``benchmarks`` (see the module docstring)."""
    n = cfg.ngram
    item_benchmark = np.concatenate([np.full(len(b.texts), i, dtype=np.int32) for i, b in enumerate(benchmarks)]
                                    or [np.empty(0, np.int32)])
    item_ids = [i for b in benchmarks for i in b.ids]
    texts = [t for b in benchmarks for t in b.texts]
    word_counts = np.zeros(len(texts), dtype=np.int64)
    pair_hashes, pair_items, pair_starts, pair_lengths = [], [], [], []
    for lo in range(0, len(texts), _BUILD_ITEMS):
        group = texts[lo: lo + _BUILD_ITEMS]
        words = words_of(group)
        m = words.counts()
        word_counts[lo: lo + len(group)] = m
        short = np.flatnonzero((m >= cfg.min_words) & (m < n))
        lengths = sorted({n, *m[short].tolist()})
        item_of_word = np.repeat(np.arange(len(group)), m)
        for k, starts, hashes in gram_hashes(words, lengths):
            items = item_of_word[starts]
            # an item gives its n-grams, or (short) the one k-gram that starts at its first word
            keep = (m[items] >= n) if k == n else ((m[items] == k) & (starts == words.offsets[items]))
            pair_hashes.append(hashes[keep])
            pair_items.append(items[keep].astype(np.int32) + lo)
            pair_starts.append((starts[keep] - words.offsets[items[keep]]).astype(np.int32))
            pair_lengths.append(np.full(int(keep.sum()), k, dtype=np.int8))
    hashes = np.concatenate(pair_hashes) if pair_hashes else np.empty(0, np.uint64)
    items = np.concatenate(pair_items) if pair_items else np.empty(0, np.int32)
    # Sorted by hash; a stable sort keeps each hash's entries in item order (items were hashed in order), so an
    # item that repeats an n-gram has its copies side by side. One sort: 5.1M entries for 100,000 items.
    order = np.argsort(hashes, kind="stable")
    hashes, items = hashes[order], items[order]
    distinct = np.ones(hashes.size, dtype=bool)
    distinct[1:] = (hashes[1:] != hashes[:-1]) | (items[1:] != items[:-1])
    hashes, items, order = hashes[distinct], items[distinct], order[distinct]
    # items per distinct hash; drop the too common
    new_hash = np.ones(hashes.size, dtype=bool)
    new_hash[1:] = hashes[1:] != hashes[:-1]
    group_start = np.flatnonzero(new_hash)
    per_hash = np.diff(np.append(group_start, hashes.size))
    common = per_hash > cfg.max_items_per_ngram
    if common.any():
        first = order[group_start[common]]
        where = np.stack([items[group_start[common]], np.concatenate(pair_starts)[first],
                          np.concatenate(pair_lengths)[first]], axis=1)
    else:
        where = np.empty((0, 3), np.int64)
    common_examples = _common_examples(texts, where, per_hash[common], benchmarks, item_benchmark,
                                       cfg.example_spans)
    keep_entry = np.repeat(~common, per_hash)
    hashes, items = hashes[keep_entry], items[keep_entry]
    uniq, counts = hashes[np.flatnonzero(new_hash[keep_entry])], per_hash[~common]
    entry_offsets = np.zeros(uniq.size + 1, dtype=np.int64)
    np.cumsum(counts, out=entry_offsets[1:])
    item_ngrams = np.bincount(items, minlength=len(texts)).astype(np.int32)
    all_items = np.zeros(len(texts), dtype=bool)
    all_items[np.concatenate(pair_items) if pair_items else np.empty(0, np.int32)] = True  # gave any n-gram
    stats = []
    for b_index, b in enumerate(benchmarks):
        mine = item_benchmark == b_index
        empty = word_counts[mine] == 0
        stats.append({
            "benchmark": b.name, "path": b.path, "items": int(mine.sum()), "empty_items": int(empty.sum()),
            "too_short_items": int(((word_counts[mine] < cfg.min_words) & ~empty).sum()),
            "short_items_whole": int(((word_counts[mine] >= cfg.min_words) & (word_counts[mine] < n)).sum()),
            "only_common_items": int((all_items[mine] & (item_ngrams[mine] == 0)).sum()),
            "indexed_items": int((item_ngrams[mine] > 0).sum()),
            "ngrams": int(item_ngrams[mine].sum()),
        })
    lengths = np.unique([n, *[int(k) for k in np.unique(word_counts[(word_counts >= cfg.min_words)
                                                                      & (word_counts < n)])]]).astype(np.int64)
    return BenchmarkIndex(uniq, entry_offsets, items.astype(np.int32), lengths, [b.name for b in benchmarks],
                          item_benchmark, item_ids, item_ngrams, filter_bitmap(uniq), stats,
                          {"ngrams_left_out": int(common.sum()), "examples": common_examples})


def _common_examples(texts: list[str], where: np.ndarray, per_hash: np.ndarray, benchmarks: Sequence[Benchmark],
                     item_benchmark: np.ndarray, limit: int) -> list[dict[str, Any]]:
    """The most widespread n-grams left out, with the text of one occurrence."""
    out = []
    for i in np.argsort(-per_hash, kind="stable")[:limit]:
        item, word, k = (int(v) for v in where[i])
        words = words_of([texts[item]])
        text = texts[item][int(words.starts[word]): int(words.ends[word + k - 1])]
        out.append({"items": int(per_hash[i]), "text": text, "example_benchmark": benchmarks[
            int(item_benchmark[item])].name})
    return out
