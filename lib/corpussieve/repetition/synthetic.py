"""Unique text with a known amount of injected repetition: the ground truth of the accuracy test and benchmark.

The sample corpus (:mod:`corpussieve.sample`) is built to be repetitive (boilerplate, syndicated passages,
duplicates), so it cannot serve as a clean background. Here every word is drawn uniformly from a vocabulary
of random pseudo-words (``vocabulary`` of them, 200k by default): two 50-token windows (~20 words) agree by
chance with probability ~200,000^-20, i.e. never, so the only repeats are the injected ones.

Injection: ``passages`` of ``passage_words`` words, each copied ``copies`` times into random documents at
sentence boundaries, enough of them that copies make up ``fraction`` of all tokens. The truth is counted
in tokens of the chosen tokenizer: a passage starts after a space and ends with a period before a space,
so its tokens in context are exactly the tokens of ``" " + passage`` (BPE pre-tokenizers split there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from corpussieve.repetition.tokenizers import Tokenizer

_CONSONANTS = list("bcdfghjklmnprstvwz") + ["ch", "sh", "th", "qu", "br", "st", "tr"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"]


@dataclass(frozen=True)
class InjectionSpec:
    """How big the background is and what is injected into it."""

    documents: int = 300
    words_per_document: int = 300
    """Mean words of a document (uniform between half and one and a half times this)."""
    fraction: float = 0.05
    """Share of all tokens that lie inside injected copies."""
    copies: int = 100
    passage_words: int = 60
    sources: tuple[str, ...] = ("web",)
    seed: int = 0
    vocabulary: int = 200_000


@dataclass(frozen=True)
class InjectedCorpus:
    ids: list[str]
    texts: list[str]
    sources: list[str]
    passages: list[str]
    copies: int
    injected_tokens: int
    """Tokens inside injected copies (copies x passage tokens, summed over passages)."""
    total_tokens: int

    @property
    def true_fraction(self) -> float:
        return self.injected_tokens / self.total_tokens if self.total_tokens else 0.0


def pseudo_words(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct lowercase pseudo-words of 2-4 syllables."""
    syllables = np.array([c + v for c in _CONSONANTS for v in _VOWELS])
    words: set[str] = set()
    while len(words) < count:
        n = count - len(words)
        lengths = rng.integers(2, 5, n)
        picks = rng.integers(0, syllables.size, (n, 4))
        for row, length in zip(picks, lengths, strict=True):
            words.add("".join(syllables[row[:length]]))
    return sorted(words)[:count]


def _sentences(words: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Words cut into sentences of 6-20 words, capitalized, each ending with a period."""
    out = []
    i = 0
    while i < words.size:
        n = int(rng.integers(6, 21))
        chunk = list(words[i : i + n])
        chunk[0] = chunk[0].capitalize()
        out.append(" ".join(chunk) + ".")
        i += n
    return out


def injected_corpus(spec: InjectionSpec, tokenizer: Tokenizer) -> InjectedCorpus:
    """The unique background with the injected passages, and the exact injected token count."""
    if not 0 <= spec.fraction < 1:
        raise ValueError("fraction must be in [0, 1)")
    rng = np.random.default_rng(spec.seed)
    vocab = np.array(pseudo_words(spec.vocabulary, rng))
    lengths = rng.integers(spec.words_per_document // 2, spec.words_per_document * 3 // 2 + 1, spec.documents)
    documents = [_sentences(vocab[rng.integers(0, vocab.size, int(n))], rng) for n in lengths]
    background = int(tokenizer.encode_batch([" ".join(d) for d in documents]).lengths().sum())

    passages: list[str] = []
    passage_tokens: list[int] = []
    wanted = spec.fraction * background / (1 - spec.fraction)
    tokens_per_word = background / max(int(lengths.sum()), 1)
    if spec.fraction > 0:
        # Passages of about passage_words words, all of one length chosen to hit the fraction; at least
        # ~60 tokens each, so that every passage holds a full window.
        count = max(1, round(wanted / (spec.copies * spec.passage_words * tokens_per_word)))
        words = max(math.ceil(60 / tokens_per_word), round(wanted / (spec.copies * count * tokens_per_word)))
        for _ in range(count):
            passage = " ".join(_sentences(vocab[rng.integers(0, vocab.size, words)], rng))
            passages.append(passage)
            passage_tokens.append(int(tokenizer.encode(" " + passage).size))
    for passage in passages:
        for _ in range(spec.copies):
            doc = documents[int(rng.integers(0, len(documents)))]
            # Never first: a copy always follows a sentence and a space, as its counted tokens assume.
            doc.insert(int(rng.integers(1, len(doc) + 1)) if doc else 0, passage)
    texts = [" ".join(d) for d in documents]
    total = int(tokenizer.encode_batch(texts).lengths().sum())
    return InjectedCorpus(
        ids=[f"doc-{i:07d}" for i in range(len(texts))],
        texts=texts,
        sources=[spec.sources[i % len(spec.sources)] for i in range(len(texts))],
        passages=passages,
        copies=spec.copies,
        injected_tokens=spec.copies * sum(passage_tokens),
        total_tokens=total,
    )
