"""`make demo`: two refreshes of a sample lake, in Spark local mode.

The first crawl batch (the embedded sample corpus) and then a second one holding new pages and exact and
near-duplicate copies of the first batch's. Each refresh ingests its batch into the lake's raw table,
deduplicates the new rows against everything the lake kept before any page is cleaned (Inspect ->
Deduplicate -> Clean), cleans the survivors and appends the curated tables exactly once; the second also
writes the repetition report of the whole documents table. Then ``why`` explains one removed copy.
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
from corpussieve.sample.batches import write_next_batch  # noqa: E402
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
        batch0, batch1 = out / "batches" / "0", out / "batches" / "1"
        gen = write_corpus(CorpusSpec(docs=args.docs, seed=args.seed, bad_record_rate=0.002), str(batch0))
        # the next crawl: new pages, and copies of a tenth of them from the first crawl (30% exact, the rest
        # near duplicates with 1% of their words edited), under new ids
        nxt = write_next_batch(str(batch0), str(batch1), docs=args.docs // 4, seed=args.seed + 1, prefix="crawl1",
                               copies=0.4)
        results["generate"] = {"batch 0": gen["docs"], "batch 1": nxt["docs"],
                               "batch 1 copies of batch 0": len(nxt["copies"])}
        lake = out / "lake"
        steps = [
            ("refresh", ["--lake", str(lake), "--input", str(batch0)]),
            ("refresh", ["--lake", str(lake), "--input", str(batch1), "--repetition"]),
        ]
        for n, (job, job_args) in enumerate(steps):
            ns = cli.parse_args([job, *job_args, "--conf", conf[0]])
            results[f"refresh {n}"] = run_job(job, ns, spark=spark)
        # the data card of the curated lake: quantity, quality, coverage, the weakest axis
        ns = cli.parse_args(["inspect", "--lake", str(lake), "--output", str(lake / "_reports" / "card"),
                             "--conf", conf[0]])
        results["inspect"] = run_job("inspect", ns, spark=spark)
        # training shards of the curated lake, mixed by a plan: Megatron .bin/.idx and a manifest table
        (out / "plan.yaml").write_text("model_params: 1.0e8\nsources:\n  curated-news: {epochs: 2}\n")
        ns = cli.parse_args(["format", "--input", str(lake / "documents"), "--plan", str(out / "plan.yaml"),
                             "--output", str(out / "shards"), "--conf", conf[0]])
        results["format"] = run_job("format", ns, spark=spark)
        from corpussieve.refresh.audit import why
        from corpussieve.refresh.lake import Lake
        from corpussieve.tables import Tables

        config = build_config(conf)
        tables = Tables(spark, config.tables)
        copy = next(c for c in nxt["copies"] if not c["exact"])
        results["why"] = why(tables, Lake(str(lake), config.refresh.tables), copy["id"])["says"]
    finally:
        spark.stop()
    seconds = time.perf_counter() - started
    print("\n=== corpussieve demo: done in %.0fs ===" % seconds)
    for job, summary in results.items():
        print(f"\n[{job}]")
        print(json.dumps(summary, indent=2, default=str))
    print(f"\nEverything is under {out}; open the reports in a browser:")
    for report in ("refresh-0/report.html", "refresh-1/report.html", "refresh-0/ingest.html",
                   "repetition/report.html", "card/card.html"):
        print(f"  {out / 'lake' / '_reports' / report}")
    print(f"  {out / 'shards' / 'report.html'}  (training shards under {out / 'shards' / 'shards'})")
    print(f"Ask the lake about any document: corpussieve why ID --lake {out / 'lake'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
