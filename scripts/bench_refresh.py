"""A lake refresh costs the batch, not the lake: one batch refreshed into a big lake, against dedup + clean
run on the same batch alone.

* The lake: ``--lake-docs`` generated text-only documents (default 500,000) refreshed once into
  bench-data/refresh-lake-<N> (kept and reused; each measurement works on a fresh copy).
* The batch: ``--batch-docs`` documents (default 20,000): 90% new pages, 10% copies of lake documents
  (30% exact, the rest near duplicates), text only like the lake.
* ``refresh``: ``corpussieve refresh`` of the batch into the copy of the lake, one process (JVM start,
  ingest, read of the new rows, dedup against the lake's index, clean with the lake's site-line counts, the
  appends, the log).
* ``alone``: the same batch as a table (ingested beforehand, untimed), then ``corpussieve dedup`` and
  ``corpussieve clean`` on it, one process each: what the batch costs with no lake at all.

Text-only pages make the comparison strict: without html extraction clean is cheap, so the lake-sized
work (the index join, the site-line counts) weighs more than it would on html pages.

    PYTHONPATH=lib .venv/bin/python scripts/bench_refresh.py [--lake-docs 500000] [--batch-docs 20000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH_DATA, BENCH_OUT, corpus, corpussieve, dir_bytes, machine, run_measured  # noqa: E402

SETS = ["--set", "spark.ui=false", "--set", "spark.log_level=ERROR", "--log-level", "WARNING"]
WORK = BENCH_OUT / "refresh"


def lake_for(docs: int) -> tuple[Path, dict]:
    """The lake after one refresh of ``docs`` generated text-only documents, built once."""
    lake = BENCH_DATA / f"refresh-lake-{docs}"
    marker = BENCH_DATA / f"refresh-lake-{docs}.json"
    if not marker.exists():
        shutil.rmtree(lake, ignore_errors=True)
        files = corpus(docs, text_only=True)
        built = run_measured(corpussieve("refresh", "--lake", str(lake), "--input", str(files), *SETS))
        marker.write_text(json.dumps({"seconds": built["seconds"], "summary": built["summary"]}, indent=2) + "\n")
    return lake, json.loads(marker.read_text())


def batch_for(lake_docs: int, docs: int) -> tuple[Path, dict]:
    from corpussieve.sample.batches import write_next_batch

    path = BENCH_DATA / f"refresh-batch-{docs}-of-{lake_docs}"
    marker = path / "_DONE.json"
    if not marker.exists():
        shutil.rmtree(path, ignore_errors=True)
        fresh = int(docs * 0.9)
        info = write_next_batch(str(corpus(lake_docs, text_only=True)), str(path), docs=fresh, seed=11,
                                prefix="next", copies=(docs - fresh) / fresh, include_html=False,
                                previous_limit=200_000)
        marker.write_text(json.dumps({"docs": info["docs"], "copies": len(info["copies"])}) + "\n")
    return path, json.loads(marker.read_text())


def stage_seconds(report: dict, prefix: str) -> float:
    return round(sum(s["seconds"] for s in report["stages"] if s["name"].startswith(prefix)), 2)


def bench(lake_docs: int = 500_000, batch_docs: int = 20_000) -> dict:
    WORK.mkdir(parents=True, exist_ok=True)
    lake, built = lake_for(lake_docs)
    batch, batch_info = batch_for(lake_docs, batch_docs)
    result: dict = {"benchmark": "refresh", "machine": machine(), "lake_docs": lake_docs,
                    "lake_build": built, "batch": batch_info, "lake_mb": round(dir_bytes(lake) / 1e6, 1)}

    # alone: the batch as a table (untimed), then dedup and clean on it
    alone = WORK / "alone"
    shutil.rmtree(alone, ignore_errors=True)
    run_measured(corpussieve("ingest", "--input", str(batch), "--output", str(alone / "batch"), *SETS))
    dedup = run_measured(corpussieve("dedup", "--input", str(alone / "batch"), "--output", str(alone / "dedup"), *SETS))
    clean = run_measured(corpussieve("clean", "--input", str(alone / "dedup" / "documents"),
                                     "--output", str(alone / "clean"), *SETS))
    result["alone"] = {"dedup_seconds": dedup["seconds"], "clean_seconds": clean["seconds"],
                       "seconds": round(dedup["seconds"] + clean["seconds"], 2),
                       "kept": clean["summary"].get("kept"), "removed_by_dedup": (dedup["summary"].get("documents") or 0)
                       - (dedup["summary"].get("kept") or 0)}

    # refresh: the batch into a copy of the lake
    work_lake = WORK / "lake"
    shutil.rmtree(work_lake, ignore_errors=True)
    shutil.copytree(lake, work_lake)
    refreshed = run_measured(corpussieve("refresh", "--lake", str(work_lake), "--input", str(batch), *SETS))
    summary = refreshed["summary"]
    report = json.loads(Path(summary["report"]).read_text())
    stages = {name: stage_seconds(report, name) for name in ("ingest", "read", "dedup.", "clean.", "write", "log")}
    result["refresh"] = {"seconds": refreshed["seconds"], "peak_rss_gib": refreshed["peak_rss_gib"],
                         "stages": stages, "new_rows": summary.get("new_rows"),
                         "removed_against_index": summary.get("removed_against_index"),
                         "documents_appended": summary.get("documents_appended")}
    result["ratio"] = round(refreshed["seconds"] / result["alone"]["seconds"], 2)
    result["ratio_without_ingest"] = round((refreshed["seconds"] - stages["ingest"]) / result["alone"]["seconds"], 2)
    shutil.rmtree(work_lake, ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lake-docs", type=int, default=500_000)
    parser.add_argument("--batch-docs", type=int, default=20_000)
    args = parser.parse_args()
    result = bench(args.lake_docs, args.batch_docs)
    print(json.dumps(result, indent=2))
    (BENCH_OUT / "refresh.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
