"""The mixing arithmetic: how many times each document enters the planned token stream. Pure (numpy only).

A source read ``passes`` times (the plan's ``epochs``, or ``weight x training_tokens / source tokens`` as the
repetition job's :class:`~corpussieve.repetition.plan.TrainingPlan` computes it) contributes every document
``floor(passes)`` times, plus a deterministic seeded subset of its documents for the fractional part: the
documents ordered by a seeded 63-bit hash of (seed, source, id), ties by id, and the prefix of that order
whose tokens come closest to ``fraction x source tokens`` (whole documents only, so a source misses its share
by less than one document). Tokens here are the stream's: a document's tokens plus its end-of-document token.

The prefix is found without sorting the corpus: :func:`crossing_bucket` picks, from token sums per bucket of
the hash's top 16 bits (one small aggregation), the bucket where the prefix ends; :func:`cutoff_in_bucket`
sorts that bucket alone (1/65536 of the source). :func:`select_fraction` is the one-sort reference both are
tested against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

RANK_BITS = 63
BUCKET_BITS = 16
BUCKET_SHIFT = RANK_BITS - BUCKET_BITS
"""A rank's bucket is ``rank >> BUCKET_SHIFT``: 65,536 buckets of equal hash range."""
_EPSILON = 1e-9


def split_passes(passes: float) -> tuple[int, float]:
    """Whole epochs and the fraction left: 2.5 -> (2, 0.5); float noise (2.9999999999) rounds to whole."""
    whole = math.floor(passes + _EPSILON)
    fraction = passes - whole
    return whole, (fraction if fraction > _EPSILON else 0.0)


@dataclass(frozen=True)
class SourceMix:
    """One source's part of the stream, before the fractional subset is chosen."""

    source: str
    documents: int
    tokens: int
    """Stream tokens of one pass (every document's tokens plus its end-of-document token)."""
    passes: float
    weight: float | None

    @property
    def whole_epochs(self) -> int:
        return split_passes(self.passes)[0]

    @property
    def fraction(self) -> float:
        return split_passes(self.passes)[1]

    @property
    def fraction_target(self) -> float:
        """Tokens the fractional subset should hold."""
        return self.fraction * self.tokens


def source_mixes(passes: Mapping[str, float], documents: Mapping[str, int], tokens: Mapping[str, int],
                 weights: Mapping[str, float | None]) -> dict[str, SourceMix]:
    return {name: SourceMix(name, int(documents[name]), int(tokens[name]), float(passes[name]), weights.get(name))
            for name in sorted(passes)}


def plan_shares(mixes: Mapping[str, SourceMix]) -> dict[str, float]:
    """Each source's share of the stream as the plan states it (passes x tokens, not rounded to documents)."""
    mass = {name: m.passes * m.tokens for name, m in mixes.items()}
    total = sum(mass.values())
    return {name: (value / total if total else 0.0) for name, value in mass.items()}


def closest_prefix(tokens: np.ndarray, target: float, before: float = 0.0) -> int:
    """The n for which ``before + tokens[:n].sum()`` is closest to ``target`` (the smaller n on a tie)."""
    cumulative = np.zeros(len(tokens) + 1, dtype=np.float64)
    np.cumsum(np.asarray(tokens, dtype=np.float64), out=cumulative[1:])
    return int(np.argmin(np.abs(cumulative + before - target)))


@dataclass(frozen=True)
class Cutoff:
    """The fractional subset of one source: documents whose (rank, id) is at most (``rank``, ``last_id``); with
    ``last_id`` None, those whose rank is below ``rank``."""

    rank: int
    last_id: str | None
    documents: int
    tokens: int

    def selects(self, rank: int, doc_id: str) -> bool:
        if self.last_id is None:
            return rank < self.rank
        return (rank, doc_id) <= (self.rank, self.last_id)


NOTHING = Cutoff(0, None, 0, 0)


def select_fraction(ranks: np.ndarray, ids: list[str], tokens: np.ndarray, target: float) -> np.ndarray:
    """The reference: which documents the fractional subset takes, by one sort of the whole source."""
    order = sorted(range(len(ids)), key=lambda i: (int(ranks[i]), ids[i]))
    n = closest_prefix(np.asarray(tokens)[order], target)
    mask = np.zeros(len(ids), dtype=bool)
    mask[order[:n]] = True
    return mask


def crossing_bucket(buckets: np.ndarray, tokens: np.ndarray, documents: np.ndarray,
                    target: float) -> tuple[int, int, int]:
    """The bucket in which the closest prefix ends, and the tokens and documents of every bucket before it.

    ``buckets`` ascending (distinct), ``tokens`` and ``documents`` their sums. The prefix ends in the first
    bucket whose end passes the target: every prefix ending elsewhere is farther from it.
    """
    ends = np.cumsum(np.asarray(tokens, dtype=np.int64))
    crossing = int(np.searchsorted(ends, target, side="right"))
    if crossing >= len(buckets):  # target at or past the total: the whole source (no fraction does this)
        crossing = len(buckets) - 1
    before = int(ends[crossing - 1]) if crossing else 0
    documents_before = int(np.asarray(documents, dtype=np.int64)[:crossing].sum())
    return int(buckets[crossing]), before, documents_before


def cutoff_in_bucket(bucket: int, before: int, ranks: np.ndarray, ids: list[str], tokens: np.ndarray,
                     target: float, documents_before: int) -> Cutoff:
    """The cutoff from the documents of the crossing bucket, ``before`` tokens (``documents_before`` documents)
    of the source ranking ahead of them."""
    order = sorted(range(len(ids)), key=lambda i: (int(ranks[i]), ids[i]))
    ordered_tokens = np.asarray(tokens, dtype=np.int64)[order]
    n = closest_prefix(ordered_tokens, target, before)
    taken = before + int(ordered_tokens[:n].sum())
    if n == 0:
        return Cutoff(bucket << BUCKET_SHIFT, None, documents_before, taken)
    last = order[n - 1]
    return Cutoff(int(ranks[last]), ids[last], documents_before + n, taken)


def shard_count(stream_tokens: int, shard_tokens: int) -> int:
    return max(1, math.ceil(stream_tokens / shard_tokens))


def planned_by_source(mixes: Mapping[str, SourceMix], cutoffs: Mapping[str, Cutoff]) -> dict[str, dict[str, int]]:
    """Documents and stream tokens each source puts in the shards: whole epochs plus the fractional subset."""
    out = {}
    for name, mix in mixes.items():
        cut = cutoffs.get(name, NOTHING)
        out[name] = {"documents": mix.whole_epochs * mix.documents + cut.documents,
                     "tokens": mix.whole_epochs * mix.tokens + cut.tokens,
                     "distinct_documents": mix.documents if mix.whole_epochs else cut.documents}
    return out
