"""Known repetition injected into unique text is measured accurately, lands in its bucket, and grades right."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from corpussieve.repetition.config import RiskConfig
from corpussieve.repetition.coverage import BUCKET_LABELS, coverage_of_batch, multiplicity_bucket
from corpussieve.repetition.risk import assess_risk
from corpussieve.repetition.tokenizers import get_tokenizer

SPAN = 50


def injected_corpus(rng, fraction: float, copies: int, total: int = 200_000):
    """Unique random documents plus spans (of ~100 tokens) copied ``copies`` times, so that ``fraction`` of the
    ``total`` tokens are copies. Span tokens are < 10^6, filler tokens in [10^6, 2^32) (so two copies are
    almost never followed by the same filler token, which would make a genuinely repeated window).

    Returns the documents and the exact number of tokens inside injected copies.
    """
    repeated = round(fraction * total)
    n_spans = max(1, repeated // (copies * 100))
    span_length = repeated // (copies * n_spans)
    assert span_length >= SPAN, "corpus too small to inject this fraction"
    spans = [rng.integers(0, 10**6, span_length).tolist() for _ in range(n_spans)]
    unique = total - n_spans * copies * span_length
    lengths = rng.integers(200, 2000, max(1, unique // 1000))
    lengths = np.maximum(1, np.round(lengths * unique / lengths.sum()).astype(int))
    docs = [rng.integers(10**6, 2**32, int(n)).tolist() for n in lengths]
    for span in spans:
        for _ in range(copies):
            doc = docs[int(rng.integers(0, len(docs)))]
            # Insert between two unique tokens, never inside or next to another copy.
            cut = int(rng.integers(0, len(doc) + 1))
            while (cut > 0 and doc[cut - 1] < 10**6) or (cut < len(doc) and doc[cut] < 10**6):
                cut = int(rng.integers(0, len(doc) + 1))
            doc[cut:cut] = span
    return docs, n_spans * copies * span_length


@pytest.mark.parametrize(
    ("fraction", "copies", "total"),
    [
        (0.10, 100, 200_000),
        (0.05, 20, 200_000),
        (0.02, 5, 200_000),
        (0.02, 300, 1_000_000),
        (0.05, 2000, 2_500_000),
        (0.25, 12_000, 2_500_000),
    ],
)
def test_injected_fraction_and_bucket(make_batch, fraction, copies, total):
    rng = np.random.default_rng(int(fraction * 1000) + copies)
    docs, truth = injected_corpus(rng, fraction, copies, total=total)
    figures = coverage_of_batch(make_batch(docs), SPAN).figures
    true_fraction = truth / figures.tokens
    assert abs(figures.repeated_token_fraction - true_fraction) < 0.005
    bucket = int(multiplicity_bucket(np.array([copies]))[0])
    assert figures.bucket_tokens[bucket] == figures.repeated_tokens
    assert figures.cross_document_tokens >= 0.9 * figures.repeated_tokens
    assert figures.excess_tokens == pytest.approx(truth * (1 - 1 / copies), rel=0.01)
    assert BUCKET_LABELS[bucket]


@pytest.mark.parametrize(
    ("fraction", "copies", "total", "grade"),
    [
        (0.15, 100, 200_000, "Critical"),
        (0.05, 100, 200_000, "High"),
        (0.01, 50, 500_000, "Elevated"),
        (0.003, 20, 500_000, "Low"),
        (0.15, 5, 200_000, "Low"),  # below the band: 5 repeats is under the 10x lower edge at 800M
        (0.15, 3000, 2_000_000, "Low"),  # above the band's 1,000x upper edge
    ],
)
def test_grade_follows_injected_repetition(make_batch, fraction, copies, total, grade):
    rng = np.random.default_rng(copies + int(fraction * 10_000))
    docs, truth = injected_corpus(rng, fraction, copies, total=total)
    figures = coverage_of_batch(make_batch(docs), SPAN).figures
    result = assess_risk(figures.effective_mass, model_params=8e8, plan_note="No training plan given.")
    assert result.grade == grade
    in_band = truth / figures.tokens if 10 < copies <= 1000 else 0.0
    assert result.share_in_band == pytest.approx(in_band, abs=0.005)


def test_a_larger_model_is_hurt_by_fewer_repeats(make_batch):
    rng = np.random.default_rng(9)
    docs, _ = injected_corpus(rng, 0.12, 5)
    mass = coverage_of_batch(make_batch(docs), SPAN).figures.effective_mass
    assert assess_risk(mass, model_params=8e8, plan_note="").grade == "Low"
    assert assess_risk(mass, model_params=7e9, plan_note="").grade == "Critical"


def test_injected_paragraphs_in_real_text(make_batch):
    rng = np.random.default_rng(1)
    tok = get_tokenizer("cl100k")
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))

    def sentence() -> str:
        words = ["".join(rng.choice(letters, int(rng.integers(2, 9)))) for _ in range(int(rng.integers(6, 16)))]
        return " ".join(words).capitalize() + "."

    def paragraph(sentences: int) -> str:
        return " ".join(sentence() for _ in range(sentences))

    boilerplate = paragraph(8)
    docs = []
    copies = 0
    for _ in range(150):
        paragraphs = [paragraph(int(rng.integers(3, 9))) for _ in range(int(rng.integers(2, 6)))]
        if rng.random() < 0.4:
            paragraphs.insert(int(rng.integers(0, len(paragraphs) + 1)), boilerplate)
            copies += 1
        docs.append("\n\n".join(paragraphs))
    batch = tok.encode_batch(docs)
    figures = coverage_of_batch(batch, SPAN).figures
    truth = copies * tok.encode(boilerplate).size / figures.tokens
    assert copies >= 40
    assert abs(figures.repeated_token_fraction - truth) < 0.005
    # Where a copy ends a document or precedes "\n\n", its last token merges differently, so a few edge
    # tokens belong to sub-variants seen fewer times; nearly all the mass is in the copies' bucket.
    assert figures.bucket_tokens[BUCKET_LABELS.index("10-99")] >= 0.99 * figures.repeated_tokens


def test_one_line_repeated_100k_times_in_one_document():
    tok = get_tokenizer("cl100k")
    text = "The quick brown fox jumps over the lazy dog while the cat sleeps.\n" * 100_000
    tracemalloc.start()
    try:
        batch = tok.encode_batch([text, "A short unrelated document."])
        result = coverage_of_batch(batch, SPAN)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    figures = result.figures
    tokens = int(batch.lengths()[0])
    assert tokens > 1_000_000
    assert figures.repeated_tokens == tokens
    assert figures.within_document_tokens == tokens and figures.cross_document_tokens == 0
    assert figures.spans == 1 and result.spans.rows()[0][1:3] == (0, tokens)
    assert figures.bucket_tokens[BUCKET_LABELS.index("10000+")] == tokens
    assert figures.unrepeatable_documents == 1
    # About 1.1M tokens: the whole pipeline stays within a few hundred bytes per token.
    assert peak < 400 * 2**20
    risk = assess_risk(figures.effective_mass, model_params=8e8, plan_note="", config=RiskConfig())
    assert risk.share_above_band > 0.99 and risk.grade == "Low"
