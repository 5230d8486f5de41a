"""``corpussieve generate``: the sample corpus on disk."""

from __future__ import annotations

import argparse
from typing import Any

from corpussieve.errors import ConfigError
from corpussieve.sample.corpus import CorpusSpec
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


def run(args: argparse.Namespace) -> dict[str, Any]:
    try:
        spec = CorpusSpec(docs=args.docs, seed=args.seed, include_html=not args.no_html,
                          include_text=not args.no_text, junk_fraction=args.junk_fraction,
                          near_fraction=args.near_fraction, exact_fraction=args.exact_fraction,
                          bad_record_rate=args.bad_record_rate)
    except ValueError as exc:
        raise ConfigError(f"generate: {exc}") from None
    return write_corpus(spec, args.output, args.format, args.shards, args.workers)
