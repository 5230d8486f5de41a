"""`make demo`: the whole pipeline on the embedded sample corpus, in Spark local mode.

Inspect -> Deduplicate -> Clean: the repetition report inspects the raw corpus, dedup removes
duplicates before anything pays to clean them, and clean turns the survivors into training text.
Jobs that have not landed yet are skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lib"))

from corpussieve.cli import build_parser, run_job  # noqa: E402
from corpussieve.config import build_config  # noqa: E402
from corpussieve.runlog import setup_logging  # noqa: E402
from corpussieve.sample.corpus import CorpusSpec  # noqa: E402
from corpussieve.sample.writers import write_corpus  # noqa: E402
from corpussieve.session import build_session  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default="out/demo", help="folder for every demo output")
    parser.add_argument("--docs", type=int, default=2000, help="documents in the sample corpus")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup_logging("INFO")
    out = Path(args.output).resolve()
    if out.exists():
        shutil.rmtree(out)
    started = time.perf_counter()
    conf = [str(REPO / "conf" / "local.yaml")]
    # small data: C2 would compile code that runs for seconds (see spark.jit)
    spark = build_session(build_config(conf).spark, app_name="corpussieve-demo", jit_default="quick")
    cli = build_parser()
    results: dict[str, object] = {}
    try:
        raw_files = out / "raw"
        gen = write_corpus(CorpusSpec(docs=args.docs, seed=args.seed, bad_record_rate=0.002), str(raw_files))
        results["generate"] = {"files": gen["files"], "docs": gen["docs"], "path": str(raw_files)}
        lake = out / "lake"
        steps = [
            ("ingest", ["--input", str(raw_files), "--output", str(lake / "raw")]),
            ("repetition", ["--input", str(lake / "raw"), "--output", str(out / "repetition")]),
            ("dedup", ["--input", str(lake / "raw"), "--output", str(out / "dedup"),
                       "--index", str(lake / "dedup_index")]),
            ("clean", ["--input", str(out / "dedup" / "documents"), "--output", str(out / "clean")]),
        ]
        for job, job_args in steps:
            ns = cli.parse_args([job, *job_args, "--conf", conf[0]])
            results[job] = run_job(job, ns, spark=spark)
    finally:
        spark.stop()
    seconds = time.perf_counter() - started
    print("\n=== corpussieve demo: done in %.0fs ===" % seconds)
    for job, summary in results.items():
        print(f"\n[{job}]")
        print(json.dumps(summary, indent=2, default=str))
    print(f"\nEverything is under {out}; open the reports in a browser:")
    for job in ("repetition", "dedup", "clean"):
        print(f"  {out / job / 'report.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
