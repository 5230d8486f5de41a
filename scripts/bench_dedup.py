"""Dedup benchmark: speed and quality of `corpussieve dedup` in Spark local mode, against datasketch.

For each size: a generated text-only corpus is ingested once into a cached Delta table, then the dedup
job runs as a separate process (wall time and peak memory of the whole process tree, JVM included) with
the default config. Reported: docs/s and MB/s of text end to end, seconds per stage, peak RSS, and the
quality against exact ground truth (every pair at Jaccard >= 0.75 of word 5-gram sets, found by an exact
prefix-filter similarity join): removal precision and pair recall at J >= 0.85.

The baseline is a single-process datasketch pipeline (MinHash with update_batch + MinHashLSH, same
num_perm, threshold and word 5-grams over the same normalization), timed the same way.

    PYTHONPATH=lib python scripts/bench_dedup.py --docs 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH_DATA, BENCH_OUT, REPO, corpus, corpussieve, machine, run_measured  # noqa: E402

BASELINE_MAX_DOCS = 100_000
QUALITY_MAX_DOCS = 100_000


def delta_corpus(docs: int) -> Path:
    """The generated text-only corpus as a Delta table, ingested once and reused."""
    table = BENCH_DATA / f"delta-{docs}-text"
    marker = BENCH_DATA / f"delta-{docs}-text.DONE"
    if not marker.exists():
        shutil.rmtree(table, ignore_errors=True)
        run_measured(corpussieve("ingest", "--input", str(corpus(docs, text_only=True)), "--output", str(table),
                                 "--mode", "overwrite", "--set", "spark.ui=false"))
        marker.write_text("ok\n")
    return table


def run_dedup(table: Path, docs: int, extra: list[str], name: str = "") -> dict:
    out = BENCH_OUT / f"dedup-{docs}{name}"
    shutil.rmtree(out, ignore_errors=True)
    result = run_measured(corpussieve("dedup", "--input", str(table), "--output", str(out),
                                      "--set", "spark.ui=false", *extra))
    report = json.loads((out / "report.json").read_text())
    m = report["metrics"]
    seconds = result["seconds"]
    return {
        "seconds": seconds, "job_seconds": report["seconds"], "peak_rss_gib": result["peak_rss_gib"],
        "text_mb": round(m["text_bytes"] / 1e6, 1),
        "docs_per_second": round(docs / seconds, 1), "mb_per_second": round(m["text_bytes"] / 1e6 / seconds, 2),
        "job_mb_per_second": m["mb_per_second"],
        "stages": {s["name"]: s["seconds"] for s in report["stages"]},
        "kept": m["kept"], "removed_exact": m["removed_exact"], "removed_near": m["removed_near"],
        "exact_checks": m.get("exact_checks"), "candidate_edges": m.get("candidate_edges"),
        "banding": report["summary"]["banding"], "sketch": report["config"].get("dedup", report["config"]).get("sketch"), "out": str(out),
    }


def quality(table: Path, out: Path) -> dict:
    from deltalake import DeltaTable

    from corpussieve.dedup import DedupConfig
    from corpussieve.dedup.groundtruth import dedup_quality

    started = time.perf_counter()
    raw = DeltaTable(str(table)).to_pyarrow_table(columns=["id", "text"]).to_pydict()
    clusters = DeltaTable(str(out / "clusters")).to_pyarrow_table(columns=["id", "kept"]).to_pydict()
    kept = dict(zip(clusters["id"], clusters["kept"], strict=True))
    q = dedup_quality(raw["id"], raw["text"], kept, DedupConfig()).as_dict()
    q["ground_truth_seconds"] = round(time.perf_counter() - started, 1)
    return {k: (round(v, 5) if isinstance(v, float) else int(v) if hasattr(v, "item") else v) for k, v in q.items()}


def baseline(table: str) -> dict:
    """datasketch, one process: MinHash (update_batch) + MinHashLSH insert and query; prints JSON."""
    from datasketch import MinHash, MinHashLSH
    from deltalake import DeltaTable

    from corpussieve.dedup import DedupConfig, normalize_texts

    config = DedupConfig()
    started = time.perf_counter()
    raw = DeltaTable(table).to_pyarrow_table(columns=["id", "text"]).to_pydict()
    read = time.perf_counter()
    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)
    removed = 0
    n = config.ngram
    for start in range(0, len(raw["id"]), 1000):
        ids, texts = raw["id"][start : start + 1000], raw["text"][start : start + 1000]
        for doc_id, text in zip(ids, normalize_texts(texts, config.normalization), strict=True):
            words = (text or "").split()
            if not words:
                continue
            shingles = [" ".join(words[i : i + n]).encode("utf-8") for i in range(max(1, len(words) - n + 1))]
            sketch = MinHash(num_perm=config.num_perm)
            sketch.update_batch(shingles)
            if lsh.query(sketch):
                removed += 1  # a candidate already kept: datasketch's usual "first one wins" dedup
            else:
                lsh.insert(doc_id, sketch)
    done = time.perf_counter()
    return {"docs": len(raw["id"]), "removed": removed, "read_seconds": round(read - started, 2),
            "dedup_seconds": round(done - read, 2)}


def bench(docs: int | list[int] = (10_000, 100_000, 1_000_000), baseline_max: int = BASELINE_MAX_DOCS,
          quality_max: int = QUALITY_MAX_DOCS, sketches: list[str] | None = None,
          anchors: list[str] | None = None, anchors_max: int = 100_000) -> dict:
    """``sketches``: also run the job with each of these ``dedup.sketch`` schemes, side by side in this run.
    ``anchors``: also run these peers (``bench_dedup_anchors``: text-dedup's PySpark script, datatrove) on
    the same corpus in this run, up to ``anchors_max`` documents; each reads the corpus in its own native
    form (the Delta table for corpussieve, the JSON Lines for datatrove, a Parquet copy for text-dedup), and
    that one-off conversion is not timed for anyone."""
    sizes = [docs] if isinstance(docs, int) else list(docs)
    results = []
    for size in sizes:
        table = delta_corpus(size)
        row: dict = {"docs": size, "corpussieve": run_dedup(table, size, [])}
        if size <= quality_max:
            row["quality"] = quality(table, Path(row["corpussieve"]["out"]))
        for scheme in sketches or []:
            other = run_dedup(table, size, ["--set", f"dedup.sketch={scheme}"], f"-{scheme}")
            if size <= quality_max:
                other["quality"] = quality(table, Path(other["out"]))
            row[f"corpussieve[sketch={scheme}]"] = other
        if anchors and size <= anchors_max:
            from bench_dedup_anchors import anchors as run_anchors

            peers = run_anchors(corpus(size, text_only=True), anchors)
            ours = row["corpussieve"]["seconds"]
            for peer in peers["anchors"].values():
                peer["corpussieve_speedup"] = round(peer["seconds"] / ours, 2)  # peer seconds / ours
            row["anchors"] = peers
        if size <= baseline_max:
            measured = run_measured([sys.executable, str(Path(__file__)), "--baseline", str(table)])
            inner = measured["summary"]
            text_mb = row["corpussieve"]["text_mb"]
            row["datasketch"] = {
                "seconds": measured["seconds"], "peak_rss_gib": measured["peak_rss_gib"],
                "docs_per_second": round(size / measured["seconds"], 1),
                "mb_per_second": round(text_mb / measured["seconds"], 2), **inner,
            }
        print(json.dumps(row, indent=2), flush=True)
        results.append(row)
    return {"benchmark": "dedup", "cores": os.cpu_count(), "results": results, "machine": machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline-max", type=int, default=BASELINE_MAX_DOCS,
                        help="run datasketch up to this many documents")
    parser.add_argument("--quality-max", type=int, default=QUALITY_MAX_DOCS,
                        help="compute exact ground truth up to this many documents")
    parser.add_argument("--sketch", nargs="+", default=[], choices=["one_permutation", "permutations"],
                        help="also run with these dedup.sketch schemes, side by side")
    parser.add_argument("--anchors", nargs="+", default=[], choices=["text-dedup", "datatrove"],
                        help="also run these peers on the same corpus in this run (see bench_dedup_anchors.py)")
    parser.add_argument("--anchors-max", type=int, default=100_000, help="run the anchors up to this many documents")
    parser.add_argument("--baseline", metavar="TABLE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        sys.path.insert(0, str(REPO / "lib"))
        print(json.dumps(baseline(args.baseline)))
        return
    result = bench(args.docs, args.baseline_max, args.quality_max, args.sketch, args.anchors, args.anchors_max)
    BENCH_OUT.mkdir(exist_ok=True)
    (BENCH_OUT / "dedup.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
