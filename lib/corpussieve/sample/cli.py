"""``corpussieve generate``: the sample corpus on disk."""

from __future__ import annotations

import argparse
import os
from typing import Any

from corpussieve.errors import ConfigError
from corpussieve.sample.corpus import CorpusSpec
from corpussieve.sample.plants import blocked_domains, write_benchmark, write_blocklist
from corpussieve.sample.writers import write_corpus


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", required=True, metavar="DIR", help="folder for the shards")
    parser.add_argument("--docs", type=int, default=1000, help="number of documents (100 to 1,000,000+)")
    parser.add_argument("--seed", type=int, default=7, help="same seed, same corpus")
    parser.add_argument("--format", choices=["jsonl", "warc"], default="jsonl")
    parser.add_argument("--shards", type=int, default=None, help="number of files (default: one per 5,000 docs)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    parser.add_argument("--no-html", action="store_true", help="leave out the html field (text only)")
    parser.add_argument("--no-text", action="store_true", help="leave out the text field (html only)")
    parser.add_argument("--junk-fraction", type=float, default=0.05)
    parser.add_argument("--near-fraction", type=float, default=0.10)
    parser.add_argument("--exact-fraction", type=float, default=0.04)
    parser.add_argument("--bad-record-rate", type=float, default=0.0,
                        help="JSON Lines only: add this fraction of broken lines (bad UTF-8, bad JSON, empty body)")
    parser.add_argument("--contaminated-fraction", type=float, default=0.0,
                        help="articles quoting an item of a synthetic evaluation set (written to DIR/../benchmark.jsonl)")
    parser.add_argument("--pii-fraction", type=float, default=0.0,
                        help="articles with a paragraph of emails, phones, IP addresses or card numbers (gen_pii)")
    parser.add_argument("--blocked-fraction", type=float, default=0.0,
                        help="articles served from listed gambling domains (list written to DIR/../blocklist.txt)")
    parser.add_argument("--benchmark-items", type=int, default=100, help="items of the synthetic evaluation set")


def run(args: argparse.Namespace) -> dict[str, Any]:
    try:
        spec = CorpusSpec(docs=args.docs, seed=args.seed, include_html=not args.no_html,
                          include_text=not args.no_text, junk_fraction=args.junk_fraction,
                          near_fraction=args.near_fraction, exact_fraction=args.exact_fraction,
                          bad_record_rate=args.bad_record_rate, contaminated_fraction=args.contaminated_fraction,
                          pii_fraction=args.pii_fraction, blocked_fraction=args.blocked_fraction,
                          benchmark_items=args.benchmark_items)
    except ValueError as exc:
        raise ConfigError(f"generate: {exc}") from None
    written = write_corpus(spec, args.output, args.format, args.shards, args.workers)
    # beside the shards, not among them: a reader of DIR must find only the corpus
    beside = os.path.dirname(os.path.abspath(args.output.rstrip("/")))
    if spec.contaminated_fraction > 0:
        written["benchmark"] = write_benchmark(spec.seed, spec.benchmark_items,
                                               os.path.join(beside, "benchmark.jsonl"))["path"]
    if spec.blocked_fraction > 0:
        written["blocklist"] = write_blocklist(blocked_domains(spec.seed), os.path.join(beside, "blocklist.txt"))["path"]
    return written
