"""A generated benchmark and documents with known overlaps planted in them, for the tests and the benchmark.

Items are sentences of pseudo-words (syllable strings, :func:`corpussieve.repetition.synthetic.pseudo_words`), the
documents English-like prose from the sample corpus's sentence templates: the two share no 13-gram by chance, so
the truth is exactly what was planted. A planted overlap is a run of at least ``ngram`` consecutive words of one
item's question, put between two sentences of a document; its character span in the document is recorded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from corpussieve.repetition.synthetic import pseudo_words
from corpussieve.sample.textgen import SentenceMaker


@dataclass(frozen=True)
class Planted:
    document: int
    item: int
    start: int
    end: int


def benchmark_items(count: int, seed: int = 1, words: tuple[int, int] = (20, 80),
                    vocabulary: int = 50_000) -> list[dict]:
    """``count`` items: ``id``, ``question`` (``words`` pseudo-words), ``choices`` (four short ones), ``answer``."""
    rng = np.random.default_rng(seed)
    vocab = np.array(pseudo_words(vocabulary, rng))
    lengths = rng.integers(words[0], words[1] + 1, count)
    drawn = vocab[rng.integers(0, vocab.size, int(lengths.sum()) + 12 * count)]
    items, at = [], 0
    for i, length in enumerate(lengths.tolist()):
        question = " ".join(drawn[at: at + length]).capitalize() + "?"
        at += length
        choices = [" ".join(drawn[at + 3 * c: at + 3 * c + 3]) for c in range(4)]
        at += 12
        items.append({"id": f"item-{i:06d}", "question": question, "choices": choices, "answer": "ABCD"[i % 4]})
    return items


def prose(rng: random.Random, sentences: int) -> list[str]:
    maker = SentenceMaker(rng)
    return [maker.sentence() for _ in range(sentences)]


def planted_documents(items: list[dict], documents: int, ngram: int, planted_share: float = 0.2,
                      max_plants: int = 3, sentences: tuple[int, int] = (10, 60),
                      seed: int = 2) -> tuple[list[str], list[Planted]]:
    """Documents of prose; ``planted_share`` of them hold 1..``max_plants`` overlaps with distinct items."""
    rng = random.Random(seed)
    texts, truth = [], []
    for d in range(documents):
        parts = prose(rng, rng.randint(*sentences))
        plants: list[tuple[int, str, int]] = []
        if rng.random() < planted_share:
            for item in rng.sample(range(len(items)), rng.randint(1, max_plants)):
                words = items[item]["question"].rstrip("?").split()
                length = rng.randint(ngram, len(words))
                first = rng.randint(0, len(words) - length)
                plants.append((rng.randint(1, len(parts) - 1), " ".join(words[first: first + length]), item))
        # each plant between two sentences, never two plants side by side
        slots = sorted({p[0] for p in plants})
        plants = [next(p for p in plants if p[0] == s) for s in slots]
        text = ""
        for i, sentence in enumerate(parts):
            for slot, planted, item in plants:
                if slot == i:
                    start = len(text) + (1 if text else 0)
                    text = f"{text} {planted}" if text else planted
                    truth.append(Planted(d, item, start, start + len(planted)))
            text = f"{text} {sentence}" if text else sentence
        texts.append(text)
    return texts, truth
