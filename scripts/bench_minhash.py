"""Benchmark MinHash signature throughput: corpussieve.dedup vs datasketch's pure-Python MinHash.

Generates English-like documents (Zipf-distributed vocabulary of English-like words, sentences with
capitals and punctuation), then times, on one core:

* corpussieve: ``minhash_signatures`` (normalization + word shingling + signing) end to end, and its
  stages separately, for both sketch schemes (one-permutation hashing, the default, and 128 permutations);
* datasketch: ``MinHash.update_batch`` over the same documents' word 5-gram shingles (lower-cased,
  whitespace-split), i.e. its fastest documented path.

Usage: PYTHONPATH=lib python scripts/bench_minhash.py [--mb 8] [--datasketch-mb 1] [--num-perm 128]
"""

from __future__ import annotations

import argparse
import os
import random
import time

# English letters by frequency, and their frequencies in tenths of a percent.
_LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
_FREQ = (127, 91, 82, 75, 70, 67, 63, 61, 60, 43, 40, 28, 28, 24, 24, 22, 20, 20, 19, 15, 10, 8, 2, 2, 1, 1)


def english_like_docs(total_bytes: int, seed: int = 7) -> list[str]:
    """Documents of 50..3000 words from a 30k-word Zipf vocabulary, with sentence punctuation."""
    rng = random.Random(seed)
    vocab = []
    for _ in range(30_000):
        length = max(1, min(14, int(rng.gauss(5, 2.5))))
        vocab.append("".join(rng.choices(_LETTERS, _FREQ, k=length)))
    zipf = [1.0 / (rank + 1) for rank in range(len(vocab))]
    docs, size = [], 0
    while size < total_bytes:
        n_words = rng.randint(50, 3000)
        words = rng.choices(vocab, zipf, k=n_words)
        parts, sentence = [], 0
        for word in words:
            if sentence == 0:
                word = word.capitalize()
            sentence += 1
            if sentence > rng.randint(6, 25):
                word += rng.choice([".", ".", ".", "?", "!"])
                sentence = 0
            elif rng.random() < 0.06:
                word += ","
            parts.append(word)
        doc = " ".join(parts)
        docs.append(doc)
        size += len(doc.encode("utf-8"))
    return docs


def mb(docs: list[str]) -> float:
    return sum(len(d.encode("utf-8")) for d in docs) / 1e6


def bench_corpussieve(docs: list[str], num_perm: int, ngram: int, sketch: str = "one_permutation") -> dict[str, float]:
    from corpussieve.dedup import DedupConfig, minhash_signatures
    from corpussieve.dedup.minhash import signer
    from corpussieve.dedup.normalize import normalize_batch, punctuation_table, whitespace_table
    from corpussieve.dedup.shingles import batch_shingles

    punctuation_table(), whitespace_table()  # one-off table builds are not throughput
    config = DedupConfig(num_perm=num_perm, ngram=ngram, sketch=sketch)
    minhash_signatures(docs[:20], config)  # warm-up
    size = mb(docs)
    t0 = time.perf_counter()
    minhash_signatures(docs, config)
    total = time.perf_counter() - t0

    t0 = time.perf_counter()
    normalized = normalize_batch(docs, config.normalization)
    t1 = time.perf_counter()
    shingles = batch_shingles(normalized, "word", ngram)
    t2 = time.perf_counter()
    signer(config)(shingles)
    t3 = time.perf_counter()
    return {
        "MB": size,
        "shingles": float(shingles.hashes.size),
        "end_to_end_MBps": size / total,
        "normalize_MBps": size / (t1 - t0),
        "shingle_MBps": size / (t2 - t1),
        "sign_MBps": size / (t3 - t2),
        "ns_per_shingle": (t3 - t2) / shingles.hashes.size * 1e9,
    }


def bench_datasketch(docs: list[str], num_perm: int, ngram: int, batch: bool) -> float:
    """MB/s of datasketch MinHash over lower-cased whitespace word n-grams, via update_batch or update."""
    from datasketch import MinHash

    t0 = time.perf_counter()
    for doc in docs:
        tokens = doc.lower().split()
        shingles = [" ".join(tokens[i : i + ngram]).encode("utf-8") for i in range(max(1, len(tokens) - ngram + 1))]
        sketch = MinHash(num_perm=num_perm)
        if batch:
            sketch.update_batch(shingles)
        else:
            for shingle in shingles:
                sketch.update(shingle)
    return mb(docs) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=8.0, help="MB of text for corpussieve")
    parser.add_argument("--datasketch-mb", type=float, default=1.0, help="MB of text for datasketch (slow)")
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--ngram", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, whatever BLAS or numpy might do

    docs = english_like_docs(int(args.mb * 1e6))
    for sketch in ("one_permutation", "permutations"):  # side by side, same documents, same process
        ours = bench_corpussieve(docs, args.num_perm, args.ngram, sketch)
        print(
            f"corpussieve.dedup sketch={sketch} ({ours['MB']:.1f} MB, {len(docs)} docs, "
            f"{ours['shingles'] / 1e6:.2f}M shingles, {args.num_perm} values, word {args.ngram}-grams, 1 core)"
        )
        print(f"  end to end        {ours['end_to_end_MBps']:7.1f} MB/s")
        print(f"  normalize         {ours['normalize_MBps']:7.1f} MB/s")
        print(f"  shingle hashing   {ours['shingle_MBps']:7.1f} MB/s")
        print(f"  signing           {ours['sign_MBps']:7.1f} MB/s  ({ours['ns_per_shingle']:.1f} ns per shingle)")

    small = english_like_docs(int(args.datasketch_mb * 1e6), seed=8)
    ours_small = bench_corpussieve(small, args.num_perm, args.ngram)["end_to_end_MBps"]
    batch = bench_datasketch(small, args.num_perm, args.ngram, batch=True)
    single = bench_datasketch(small[: max(1, len(small) // 4)], args.num_perm, args.ngram, batch=False)
    print(f"same {mb(small):.1f} MB of documents (another seed), end to end, 1 core:")
    print(f"  corpussieve.dedup.minhash_signatures  {ours_small:7.2f} MB/s")
    print(f"  datasketch MinHash.update_batch       {batch:7.2f} MB/s  (corpussieve {ours_small / batch:.1f}x)")
    print(f"  datasketch MinHash.update per shingle {single:7.2f} MB/s  (corpussieve {ours_small / single:.1f}x)")


if __name__ == "__main__":
    main()
