"""The inspect job (the data card): its time against one repetition run on the same table, in Spark local mode.

The table is the repetition benchmark's (``bench_repetition.delta_table``: generated text-only documents,
~3.2 KB ≈ 700 cl100k tokens each, ingested once under bench-data/). ``corpussieve inspect`` and then
``corpussieve repetition`` run on it as separate processes (wall time includes the JVM start; the jobs' own
times are reported too). The card should cost at most one repetition run: both tokenize every document once,
and the card then only sums.

    PYTHONPATH=lib python scripts/bench_inspect.py                  # 100k documents
    PYTHONPATH=lib python scripts/bench_inspect.py --docs 20000 --no-repetition
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

from bench_repetition import delta_table
from benchlib import BENCH_OUT, REPO, corpussieve, machine, run_measured

CONF = str(REPO / "conf" / "local.yaml")


def bench(docs: int = 100_000, repetition: bool = True) -> dict:
    table = delta_table(docs)
    out = BENCH_OUT / f"inspect-{docs}"
    shutil.rmtree(out, ignore_errors=True)
    load_before = os.getloadavg()[0]
    card_run = run_measured(corpussieve("inspect", "--input", str(table), "--output", str(out), "--conf", CONF))
    load_after = os.getloadavg()[0]
    card = json.loads((out / "card.json").read_text())
    tokens = card["quantity"]["tokens"]
    result = {
        "benchmark": "inspect", "machine": machine(), "docs": docs, "tokens": tokens,
        "wall_seconds": card_run["seconds"], "job_seconds": card["seconds"],
        "docs_per_second_wall": round(docs / card_run["seconds"]),
        "tokens_per_second_wall": round(tokens / card_run["seconds"]),
        "peak_rss_gib": card_run["peak_rss_gib"],
        # the machine is shared: the 1-minute load average says how much other work there was
        "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
        "stages": {s["name"]: s["seconds"] for s in card["stages"]},
        "weakest_axis": card["weakest"]["axis"] if card["weakest"] else None,
    }
    if repetition:
        rep_out = BENCH_OUT / f"inspect-{docs}-repetition"
        shutil.rmtree(rep_out, ignore_errors=True)
        rep_run = run_measured(corpussieve("repetition", "--input", str(table), "--output", str(rep_out),
                                           "--conf", CONF))
        report = json.loads((rep_out / "report.json").read_text())
        result["repetition_wall_seconds"] = rep_run["seconds"]
        result["repetition_job_seconds"] = report["seconds"]
        result["card_over_repetition_wall"] = round(card_run["seconds"] / rep_run["seconds"], 2)
        result["card_over_repetition_job"] = round(card["seconds"] / report["seconds"], 2)
        result["load_average_after_repetition"] = round(os.getloadavg()[0], 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--no-repetition", action="store_true", help="skip the repetition run it is compared with")
    args = parser.parse_args()
    result = bench(args.docs, repetition=not args.no_repetition)
    print(json.dumps(result, indent=2))
    BENCH_OUT.mkdir(exist_ok=True)
    (BENCH_OUT / f"inspect-{args.docs}.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
