"""Coverage, spans and histograms: equal to the brute-force reference, and the documented definitions."""

from __future__ import annotations

import numpy as np
import pytest

from corpussieve.repetition.coverage import (
    BUCKET_LABELS,
    CoverageResult,
    RepetitionFigures,
    coverage,
    coverage_of_batch,
    multiplicity_bucket,
    trailing_max,
)
from corpussieve.repetition.reference import reference_coverage
from corpussieve.repetition.windows import local_counts, weighted_counts, window_hashes

DOCUMENT_FIELDS = (
    "tokens",
    "windows",
    "repeated_tokens",
    "within_document_tokens",
    "cross_document_tokens",
    "excess_tokens",
    "max_count",
    "spans",
)


def assert_same(vectorized: CoverageResult, reference: CoverageResult) -> None:
    for name in DOCUMENT_FIELDS:
        assert np.array_equal(getattr(vectorized.documents, name), getattr(reference.documents, name)), name
    assert vectorized.spans.rows() == reference.spans.rows()
    assert vectorized.figures == reference.figures
    assert vectorized.figures.excess_tokens == reference.figures.excess_tokens


@pytest.mark.parametrize("seed", range(8))
def test_vectorized_equals_brute_force_on_random_corpora(make_batch, make_random_corpus, seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        docs = make_random_corpus(rng)
        span = int(rng.integers(1, 7))
        assert_same(coverage_of_batch(make_batch(docs), span), reference_coverage(docs, span))


@pytest.mark.parametrize("seed", range(4))
def test_vectorized_equals_brute_force_with_passes(make_batch, make_random_corpus, seed):
    rng = np.random.default_rng(100 + seed)
    for _ in range(40):
        docs = make_random_corpus(rng)
        span = int(rng.integers(2, 6))
        passes = rng.choice([0.25, 1.0, 2.0, 3.5], len(docs))
        assert_same(coverage_of_batch(make_batch(docs), span, passes), reference_coverage(docs, span, passes))


def test_trailing_max_matches_naive():
    rng = np.random.default_rng(1)
    for n in (0, 1, 5, 17, 64):
        values = rng.integers(0, 50, n)
        for width in (1, 2, 3, 8, 70):
            naive = [values[max(0, k - width + 1) : k + 1].max() for k in range(n)]
            assert trailing_max(values, width).tolist() == naive


def test_figures_merge_across_batches_exactly(make_batch, make_random_corpus):
    """Counts are corpus-wide (joined by hash, as the Spark job does); each batch's figures add up."""
    rng = np.random.default_rng(42)
    docs = make_random_corpus(rng) + make_random_corpus(rng) + make_random_corpus(rng)
    span = 3
    whole = coverage_of_batch(make_batch(docs), span)
    all_windows = window_hashes(make_batch(docs), span)
    unique, counts = np.unique(all_windows.hashes, return_counts=True)
    corpus_count = dict(zip(unique.tolist(), counts.tolist(), strict=True))
    total = RepetitionFigures()
    cut = len(docs) // 2
    for part in (docs[:cut], docs[cut:]):
        windows = window_hashes(make_batch(part), span)
        counts_here = np.array([corpus_count[h] for h in windows.hashes.tolist()], dtype=np.int64)
        total = total + coverage(windows, counts_here, local_counts(windows.doc, windows.hashes)).figures
    assert total == whole.figures


def test_repeats_inside_one_document_are_within_document(make_batch):
    line = list(range(10, 16))
    docs = [line * 5, [900 + i for i in range(30)]]
    result = coverage_of_batch(make_batch(docs), 8)
    assert result.documents.repeated_tokens.tolist() == [30, 0]
    assert result.documents.within_document_tokens.tolist() == [30, 0]
    assert result.documents.cross_document_tokens.tolist() == [0, 0]
    # Overlapping repeated windows merge into one maximal span over the whole document.
    assert [(r[0], r[1], r[2]) for r in result.spans.rows()] == [(0, 0, 30)]
    assert result.spans.cross_document.tolist() == [False]


def test_span_shared_by_documents_is_cross_document_with_exact_excess(make_batch):
    shared = list(range(100, 120))
    docs = [[1, 2, 3, *shared, 4], [5, *shared], [*shared, 6, 7], [8] * 25]
    result = coverage_of_batch(make_batch(docs), 8)
    assert result.documents.repeated_tokens.tolist() == [20, 20, 20, 25]
    assert result.documents.cross_document_tokens.tolist() == [20, 20, 20, 0]
    # Keep-one dedup of a 20-token span copied 3 times saves 2 copies (40 tokens); each token of the all-8
    # document lies under windows seen 18 times, so 17/18 of it is excess.
    assert result.documents.excess_tokens[:3].sum() == pytest.approx(40.0, abs=1e-9)
    assert result.figures.excess_tokens == pytest.approx(40.0 + 25 * 17 / 18, abs=1e-9)
    assert result.spans.rows()[0][1:6] == (3, 23, 13, 3, 3)
    # The span's key is the same in every document: the clusters can be joined corpus-wide.
    keys = set(result.spans.key_hash[:3].tolist())
    assert len(keys) == 1
    # The all-8 document repeats inside itself only.
    assert result.documents.within_document_tokens.tolist()[3] == 25
    assert result.figures.bucket_tokens[BUCKET_LABELS.index("3-9")] == 60
    assert result.figures.bucket_tokens[BUCKET_LABELS.index("10-99")] == 25


def test_unrepeatable_documents_are_counted(make_batch):
    result = coverage_of_batch(make_batch([[], [1, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8]]), 8)
    assert result.documents.unrepeatable.tolist() == [True, True, False]
    assert result.figures.unrepeatable_documents == 2
    assert result.figures.unrepeatable_tokens == 3
    assert result.figures.repeated_tokens == 0 and result.figures.spans == 0


def test_empty_batch(make_batch):
    result = coverage_of_batch(make_batch([]), 8)
    assert result.figures == RepetitionFigures()
    assert len(result.spans) == 0


def test_multiplicity_buckets():
    counts = np.array([2, 3, 9, 10, 99, 100, 999, 1000, 9999, 10000, 10**7])
    assert multiplicity_bucket(counts).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_effective_counts_sum_passes_over_sources(make_batch):
    shared = list(range(50, 70))
    docs = [[*shared, 1], [2, *shared], list(range(200, 230))]
    passes = np.array([1.0, 4.0, 2.0])
    windows = window_hashes(make_batch(docs), 10)
    effective = weighted_counts(windows.hashes, passes[windows.doc])
    from corpussieve.repetition.windows import occurrence_counts

    result = coverage(
        windows,
        occurrence_counts(windows.hashes),
        local_counts(windows.doc, windows.hashes),
        effective_counts=effective,
        passes=passes,
    )
    table = result.figures.effective_mass
    # The shared span is seen 1 + 4 = 5 times; each copy weighs its own passes in training tokens.
    assert table.mass_between(5, 5) == 20 * 1.0 + 20 * 4.0
    assert table.mass_between(1, 1) == 1 and table.mass_between(4, 4) == 4
    assert table.mass_between(2, 2) == 30 * 2.0
    assert table.total() == 21 * 1 + 21 * 4 + 30 * 2


def test_invalid_counts_are_rejected(make_batch):
    windows = window_hashes(make_batch([[1, 2, 3, 4]]), 2)
    with pytest.raises(ValueError):
        coverage(windows, np.array([1, 1, 1]), np.array([2, 1, 1]))
    with pytest.raises(ValueError):
        coverage(windows, np.array([1, 1]), np.array([1, 1]))
