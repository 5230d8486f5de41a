"""The format job's speed end to end in Spark local mode, against the tokenizer alone.

The text-only generated corpus of ``bench_repetition`` (ingested once into a Delta table under bench-data/,
~700 cl100k tokens a document) is formatted into Megatron shards under a plan that reads one source twice,
another half a time and the rest once, by ``corpussieve format`` in a separate process (wall time includes the
JVM start; the job's own time is reported too).

    PYTHONPATH=lib python scripts/bench_format.py --docs 15000       # ~10M tokens
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import yaml
from bench_repetition import CONF, delta_table, tokenizer_alone
from benchlib import BENCH_OUT, REPO, corpussieve, machine, run_measured

sys.path.insert(0, str(REPO / "lib"))


def bench(docs: int = 30_000) -> dict:
    from corpussieve.sample.corpus import SOURCES

    table = delta_table(docs)
    out = BENCH_OUT / f"format-{docs}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    plan = {"model_params": 1.0e9, "sources": {SOURCES[0]: {"epochs": 2.0}, SOURCES[1]: {"epochs": 0.5}}}
    (out / "plan.yaml").write_text(yaml.safe_dump(plan))
    load_before = os.getloadavg()[0]
    result = run_measured(corpussieve("format", "--input", str(table), "--output", str(out / "shards"),
                                      "--plan", str(out / "plan.yaml"), "--conf", CONF))
    load_after = os.getloadavg()[0]
    report = json.loads((out / "shards" / "report.json").read_text())
    corpus_tokens = report["corpus"]["text_tokens"]
    stream_tokens = report["stream"]["tokens"]
    alone = tokenizer_alone(table)
    return {
        "benchmark": "format", "docs": docs, "corpus_tokens": corpus_tokens, "stream_tokens": stream_tokens,
        "shards": report["stream"]["shards"], "shard_bytes": report["stream"]["bytes"],
        "wall_seconds": result["seconds"], "job_seconds": report["seconds"],
        # the corpus tokenized per second: the figure to hold against the tokenizer alone
        "corpus_tokens_per_second_wall": round(corpus_tokens / result["seconds"]),
        "corpus_tokens_per_second_job": round(corpus_tokens / report["seconds"]),
        "stream_tokens_per_second_job": round(stream_tokens / report["seconds"]),
        "tokenizer_alone_tokens_per_second": alone["tokens_per_second"],
        "peak_rss_gib": result["peak_rss_gib"], "cpu_seconds": result["cpu_seconds"],
        # other work on the machine slows every figure down; the 1-minute load average says how much there was
        "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
        "stages": {s["name"]: s["seconds"] for s in report["stages"]},
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=30_000, help="documents of the generated corpus")
    args = parser.parse_args()
    print(json.dumps(bench(args.docs), indent=2))


if __name__ == "__main__":
    main()
