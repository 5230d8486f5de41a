"""The cost of paragraph dedup (``clean.paragraphs``) on the generated corpus, whose syndicated spans are
exactly repeated paragraphs: the clean job with and without it, alternating, in one Spark session (same
JVM, warm Python workers, so the difference is the stage's), after one warm-up run.

Per run: the job's seconds, its stages' seconds, and the shuffle bytes its Spark stages wrote (from Spark's
status store: the difference between the two settings is the paragraph stage's shuffle volume), and what the
stage removed. The machine's load average is printed with the figures: on a shared machine they vary.

    PYTHONPATH=lib python scripts/bench_paragraphs.py [--docs 20000] [--text-only] [--rounds 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import time
from pathlib import Path

from benchlib import BENCH_OUT, REPO, corpus, machine

sys.path.insert(0, str(REPO / "lib"))


def write_input(path: Path, source: Path, text_only: bool) -> int:
    import pyarrow as pa
    from deltalake import write_deltalake

    rows = []
    for file in sorted(source.glob("*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                body = "text" if text_only else "html"
                rows.append({"id": r["id"], "url": r.get("url"), "fetch_time": r.get("fetch_time"), body: r.get(body)})
    shutil.rmtree(path, ignore_errors=True)
    write_deltalake(str(path), pa.Table.from_pylist(rows), mode="overwrite")
    return len(rows)


def shuffle_bytes(spark) -> int:
    """Shuffle bytes written by every Spark stage the session has run so far (its status store)."""
    store = spark.sparkContext._jsc.sc().statusStore()
    stages = store.stageList(None, False, False, getattr(store, "stageList$default$4")(), None)
    total, it = 0, stages.iterator()
    while it.hasNext():
        total += int(it.next().shuffleWriteBytes())
    return total


def run(spark, source: Path, out: Path, paragraphs: bool) -> dict:
    from corpussieve.cli import main

    shutil.rmtree(out, ignore_errors=True)
    before, started = shuffle_bytes(spark), time.perf_counter()
    code = main(["clean", "--input", str(source), "--output", str(out), "--log-level", "WARNING",
                 "--set", f"clean.paragraphs.enabled={str(paragraphs).lower()}"], spark=spark)
    seconds = time.perf_counter() - started
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    m = report["metrics"]
    shuffled = shuffle_bytes(spark) - before
    return {"paragraphs": paragraphs, "seconds": round(seconds, 1), "shuffle_mb": round(shuffled / 1e6, 2),
            "stages": {s["name"]: s["seconds"] for s in report["stages"]}, "kept": m["kept"],
            "paragraphs_removed": m["paragraphs_removed"], "paragraph_chars_removed": m["paragraph_chars_removed"],
            "docs_with_paragraphs_removed": m["docs_with_paragraphs_removed"],
            "stage": {k: v for k, v in (report.get("paragraphs") or {}).items() if k != "top"},
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--text-only", action="store_true", help="text inputs (no extraction: the stage weighs more)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each setting, alternating")
    args = parser.parse_args()

    from corpussieve.config import SparkConfig
    from corpussieve.session import build_session

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    work = BENCH_OUT / "paragraphs"
    source = work / f"input-{args.docs}{'-text' if args.text_only else ''}"
    docs = write_input(source, corpus(args.docs), args.text_only)
    spark = build_session(SparkConfig(master="local[2]", ui=False, log_level="ERROR", jit="quick",
                                      app_name="corpussieve-bench-paragraphs"))
    warm = write_input(work / "warm", corpus(500), args.text_only)
    run(spark, work / "warm", work / "out-warm", True)
    runs = []
    for _ in range(args.rounds):
        for setting in (False, True):
            runs.append(run(spark, source, work / f"out-{setting}", setting))
            print(json.dumps(runs[-1]), flush=True)
    spark.stop()

    def mean(setting: bool, key: str) -> float:
        values = [r[key] for r in runs if r["paragraphs"] is setting]
        return sum(values) / len(values)

    summary = {"machine": machine(), "docs": docs, "warm_up_docs": warm, "text_only": args.text_only,
               "seconds_without": round(mean(False, "seconds"), 1), "seconds_with": round(mean(True, "seconds"), 1),
               "extra_fraction": round(mean(True, "seconds") / mean(False, "seconds") - 1, 3),
               "shuffle_mb_without": round(mean(False, "shuffle_mb"), 2),
               "shuffle_mb_with": round(mean(True, "shuffle_mb"), 2),
               "paragraph_stage_seconds": [r["stages"].get("paragraphs") for r in runs if r["paragraphs"]],
               "runs": runs}
    print(json.dumps(summary, indent=2))
    (work / f"summary-{docs}{'-text' if args.text_only else ''}.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
