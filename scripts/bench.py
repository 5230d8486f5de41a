"""`make bench`: every benchmark, one after another; results go to bench-out/results.json.

    make bench                          # all benchmarks at their default sizes
    make bench BENCH_ARGS="--only ingest --ingest-docs 10000"
    make bench BENCH_ARGS="--only tables --tables-docs 1000000 --tables-pages 100000 --tables-rounds 3"
    make bench BENCH_ARGS="--only refresh --refresh-lake-docs 500000 --refresh-batch-docs 20000"
    make bench BENCH_ARGS="--only inspect --inspect-docs 100000"
    make bench BENCH_ARGS="--only format --format-docs 15000"
    make bench BENCH_ARGS="--only decontaminate --decontaminate-docs 10000 --decontaminate-items 100000"
    make bench BENCH_ARGS="--only pii --pii-docs 20000"
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH_OUT, machine  # noqa: E402

# name -> (module, default size argument)
BENCHMARKS = {
    "ingest": ("bench_ingest", {"docs": 100_000}),
    "repetition": ("bench_repetition", {"docs": 150_000}),
    "clean": ("bench_clean", {"docs": [10_000, 100_000]}),
    "dedup": ("bench_dedup", {"docs": [10_000, 100_000, 1_000_000]}),
    "tables": ("bench_tables", {"docs": 1_000_000, "pages": 100_000}),
    "refresh": ("bench_refresh", {"lake_docs": 500_000, "batch_docs": 20_000}),
    "inspect": ("bench_inspect", {"docs": 100_000}),
    "format": ("bench_format", {"docs": 30_000}),
    "decontaminate": ("bench_decontaminate", {"docs": 10_000, "items": 100_000}),
    "pii": ("bench_pii", {"docs": 20_000}),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks to run")
    parser.add_argument("--ingest-docs", type=int, default=None)
    parser.add_argument("--repetition-docs", type=int, default=None)
    parser.add_argument("--clean-docs", type=int, nargs="+", default=None)
    parser.add_argument("--dedup-docs", type=int, nargs="+", default=None)
    parser.add_argument("--tables-docs", type=int, default=None, help="documents of the dedup table (0: skip it)")
    parser.add_argument("--tables-pages", type=int, default=None, help="html pages of the clean input (0: skip it)")
    parser.add_argument("--tables-rounds", type=int, default=None, help="runs per backend, alternating their order")
    parser.add_argument("--refresh-lake-docs", type=int, default=None, help="documents in the lake (500,000)")
    parser.add_argument("--refresh-batch-docs", type=int, default=None, help="documents in the batch (20,000)")
    parser.add_argument("--inspect-docs", type=int, default=None, help="documents the card is written for (100,000)")
    parser.add_argument("--format-docs", type=int, default=None, help="documents formatted (30,000, ~20M tokens)")
    parser.add_argument("--decontaminate-docs", type=int, default=None,
                        help="pages cleaned, then decontaminated (10,000)")
    parser.add_argument("--decontaminate-items", type=int, default=None, help="benchmark items (100,000)")
    parser.add_argument("--pii-docs", type=int, default=None, help="pages cleaned with the PII step (20,000)")
    args = parser.parse_args()
    results = {"machine": machine(), "results": []}
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        if name not in BENCHMARKS:
            parser.error(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        module_name, defaults = BENCHMARKS[name]
        module = importlib.import_module(module_name)
        kwargs = dict(defaults)
        for key in ("docs", "pages", "rounds", "lake_docs", "batch_docs", "items"):
            override = getattr(args, f"{name}_{key}", None)
            if override is not None:
                kwargs[key] = override
        print(f"== {name} {kwargs}", flush=True)
        result = module.bench(**kwargs)
        print(json.dumps(result, indent=2), flush=True)
        results["results"].append(result)
    BENCH_OUT.mkdir(exist_ok=True)
    (BENCH_OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {BENCH_OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
