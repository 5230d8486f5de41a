"""Ingest throughput on a generated corpus (JSON Lines, html + text), in Spark local mode."""

from __future__ import annotations

import argparse
import json
import shutil

from benchlib import BENCH_OUT, corpus, corpussieve, dir_bytes, machine, run_measured


def bench(docs: int) -> dict:
    data = corpus(docs)
    out = BENCH_OUT / f"ingest-{docs}"
    shutil.rmtree(out, ignore_errors=True)
    result = run_measured(corpussieve("ingest", "--input", str(data), "--output", str(out / "raw"),
                                      "--set", "spark.ui=false", "--mode", "overwrite"))
    report = json.loads((out / "raw_report.json").read_text())
    size = dir_bytes(data)
    return {
        "benchmark": "ingest", "docs": docs, "input_mb_gzip": round(size / 1e6, 1),
        "body_mb": round(report["metrics"]["body_bytes"] / 1e6, 1), "seconds": result["seconds"],
        "docs_per_second": round(docs / result["seconds"], 1),
        "gzip_mb_per_second": round(size / 1e6 / result["seconds"], 2),
        "body_mb_per_second": round(report["metrics"]["body_bytes"] / 1e6 / result["seconds"], 2),
        "peak_rss_gib": result["peak_rss_gib"],
        "stages": {s["name"]: s["seconds"] for s in report["stages"]},
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(bench(args.docs), indent=2))


if __name__ == "__main__":
    main()
