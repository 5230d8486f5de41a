"""The mixing arithmetic: whole and fractional epochs, the seeded subset closest to its tokens found from one
bucket (against the one-sort reference), and the planned totals."""

from __future__ import annotations

import numpy as np
import pytest

from corpussieve.format.mixing import (
    BUCKET_SHIFT,
    Cutoff,
    SourceMix,
    closest_prefix,
    crossing_bucket,
    cutoff_in_bucket,
    plan_shares,
    planned_by_source,
    select_fraction,
    shard_count,
    split_passes,
)
from corpussieve.repetition.plan import plan_from_mapping


@pytest.mark.parametrize("passes, whole, fraction", [(1.0, 1, 0.0), (2.5, 2, 0.5), (0.3, 0, 0.3),
                                                     (2.9999999999999, 3, 0.0), (4.000000000001, 4, 0.0)])
def test_passes_split_into_whole_epochs_and_a_fraction(passes, whole, fraction):
    got_whole, got_fraction = split_passes(passes)
    assert got_whole == whole and got_fraction == pytest.approx(fraction)


def test_closest_prefix_takes_the_smaller_on_a_tie():
    tokens = np.array([10, 10, 10])
    assert closest_prefix(tokens, 14) == 1
    assert closest_prefix(tokens, 15) == 1  # 10 and 20 are as far: fewer documents
    assert closest_prefix(tokens, 16) == 2
    assert closest_prefix(tokens, 4) == 0
    assert closest_prefix(tokens, 7, before=5) == 0


def two_level(ranks, ids, tokens, target):
    """What the Spark stage does: bucket sums, then the crossing bucket alone."""
    buckets = ranks >> BUCKET_SHIFT
    unique = np.unique(buckets)
    sums = np.array([tokens[buckets == b].sum() for b in unique])
    counts = np.array([(buckets == b).sum() for b in unique])
    b, before, documents_before = crossing_bucket(unique, sums, counts, target)
    inside = np.flatnonzero(buckets == b)
    cut = cutoff_in_bucket(b, before, ranks[inside], [ids[i] for i in inside], tokens[inside], target,
                           documents_before)
    return cut, np.array([cut.selects(int(r), i) for r, i in zip(ranks, ids, strict=True)])


@pytest.mark.parametrize("seed", range(12))
def test_the_fraction_found_from_one_bucket_is_the_reference_subset(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    # few distinct high bits so buckets hold many documents, and some equal ranks (ties broken by id)
    ranks = (rng.integers(0, 6, n).astype(np.int64) << BUCKET_SHIFT) + rng.integers(0, 3, n)
    ids = [f"d{i:04d}" for i in rng.permutation(n)]
    tokens = rng.integers(2, 300, n).astype(np.int64)
    target = float(rng.uniform(0, 0.999)) * tokens.sum()
    cut, mask = two_level(ranks, ids, tokens, target)
    reference = select_fraction(ranks, ids, tokens, target)
    assert np.array_equal(mask, reference)
    assert cut.tokens == int(tokens[mask].sum()) and cut.documents == int(mask.sum())
    assert abs(cut.tokens - target) <= tokens.max() / 2 + 1e-9  # within half a document of the target


def test_a_fraction_too_small_for_any_document_takes_none():
    ranks = np.array([1 << BUCKET_SHIFT, 2 << BUCKET_SHIFT], dtype=np.int64)
    cut, mask = two_level(ranks, ["a", "b"], np.array([100, 100]), 20.0)
    assert not mask.any() and cut.documents == 0 and cut.tokens == 0


def test_planned_totals_follow_the_plan_weights_and_epochs():
    plan = plan_from_mapping({"model_params": 1e8, "training_tokens": 10_000,
                              "sources": {"web": {"weight": 0.6}, "wiki": {"epochs": 2.5}}})
    tokens = {"web": 20_000, "wiki": 1_000, "forum": 3_000}
    passes = plan.passes(tokens)
    assert passes == {"web": pytest.approx(0.3), "wiki": 2.5, "forum": 1.0}
    mixes = {name: SourceMix(name, 10, tokens[name], passes[name], None) for name in tokens}
    shares = plan_shares(mixes)
    assert shares["web"] == pytest.approx(6000 / (6000 + 2500 + 3000))
    cuts = {"web": Cutoff(5, "x", 3, 6010), "wiki": Cutoff(9, "y", 5, 480)}
    planned = planned_by_source(mixes, cuts)
    assert planned["web"] == {"documents": 3, "tokens": 6010, "distinct_documents": 3}
    assert planned["wiki"] == {"documents": 25, "tokens": 2480, "distinct_documents": 10}
    assert planned["forum"] == {"documents": 10, "tokens": 3000, "distinct_documents": 10}


def test_shard_count_rounds_up_and_is_never_zero():
    assert shard_count(0, 100) == 1 and shard_count(100, 100) == 1 and shard_count(101, 100) == 2
