"""The cost of span removal in clean (``clean.spans``) on the generated corpus: the clean job with and without
the stage, alternating, in one Spark session (same JVM, warm Python workers), after one warm-up run.

Per run: the job's seconds, its stages' seconds, the shuffle bytes its Spark stages wrote, and what the stage
removed beside what it predicted (``repetition.strip.predicted_removed`` over the counts before). The machine's
load average is printed with the figures: on a shared machine they vary.

    PYTHONPATH=lib python scripts/bench_spans.py [--docs 10000] [--text-only] [--rounds 2] [--set KEY=VALUE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from bench_paragraphs import shuffle_bytes, write_input
from benchlib import BENCH_OUT, REPO, corpus, machine

sys.path.insert(0, str(REPO / "lib"))


def run(spark, source: Path, out: Path, spans: bool, sets: list[str]) -> dict:
    from corpussieve.cli import main

    shutil.rmtree(out, ignore_errors=True)
    before, started = shuffle_bytes(spark), time.perf_counter()
    extra = [x for s in sets for x in ("--set", s)]
    code = main(["clean", "--input", str(source), "--output", str(out), "--log-level", "WARNING",
                 "--set", f"clean.spans.enabled={str(spans).lower()}", *extra], spark=spark)
    seconds = time.perf_counter() - started
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    m = report["metrics"]
    return {"spans": spans, "seconds": round(seconds, 1), "shuffle_mb": round((shuffle_bytes(spark) - before) / 1e6, 2),
            "stages": {s["name"]: s["seconds"] for s in report["stages"]}, "kept": m["kept"],
            "chars_out": m["chars_out"], "stage": {k: v for k, v in (report.get("spans") or {}).items() if k != "top"},
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--text-only", action="store_true", help="text inputs (no extraction: the stage weighs more)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each setting, alternating")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="more clean settings, both runs")
    args = parser.parse_args()

    from corpussieve.config import SparkConfig
    from corpussieve.session import build_session

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    work = BENCH_OUT / "spans"
    source = work / f"input-{args.docs}{'-text' if args.text_only else ''}"
    docs = write_input(source, corpus(args.docs), args.text_only)
    spark = build_session(SparkConfig(master="local[2]", ui=False, log_level="ERROR", jit="quick",
                                      app_name="corpussieve-bench-spans"))
    warm = write_input(work / "warm", corpus(500), args.text_only)
    run(spark, work / "warm", work / "out-warm", True, args.sets)
    runs = []
    for _ in range(args.rounds):
        for setting in (False, True):
            runs.append(run(spark, source, work / f"out-{setting}", setting, args.sets))
            print(json.dumps(runs[-1]), flush=True)
    spark.stop()

    def mean(setting: bool, key: str) -> float:
        values = [r[key] for r in runs if r["spans"] is setting]
        return sum(values) / len(values)

    summary = {"machine": machine(), "docs": docs, "warm_up_docs": warm, "text_only": args.text_only,
               "sets": args.sets, "seconds_without": round(mean(False, "seconds"), 1),
               "seconds_with": round(mean(True, "seconds"), 1),
               "extra_fraction": round(mean(True, "seconds") / mean(False, "seconds") - 1, 3),
               "shuffle_mb_without": round(mean(False, "shuffle_mb"), 2),
               "shuffle_mb_with": round(mean(True, "shuffle_mb"), 2),
               "spans_stage_seconds": [r["stages"].get("spans") for r in runs if r["spans"]],
               "runs": runs}
    print(json.dumps(summary, indent=2))
    (work / f"summary-{docs}{'-text' if args.text_only else ''}.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
