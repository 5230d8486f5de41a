"""The PII step: precision and recall per kind on the labelled set, and what the step costs inside clean.

1. Quality: ``tests/clean/data/pii_labelled.txt`` (40+ positives and 40+ hard negatives per kind, written
   by hand alongside the detector) and ``pii_heldout.txt`` (10 + 10 per kind, written after it and never
   tuned against), scored by ``corpussieve.clean.steps.pii_scoring``; the misses are printed.
2. Cost in the job: ``corpussieve clean`` on ``bench_clean``'s generated pages with the step on (flag mode,
   the default); the report's worker seconds per Python step give the step's per-page seconds beside the
   job's (wall seconds x cores: what the job costs a core per page) and beside every Python step's sum.
3. Cost of the detector alone, in this process, on the kept texts of that run and on the same texts with
   labelled cases pasted in (a PII-dense worst case), flag and redact.

    PYTHONPATH=lib python scripts/bench_pii.py [--docs 20000] [--skip-job]
    make bench BENCH_ARGS="--only pii --pii-docs 20000"
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

from benchlib import BENCH_OUT, REPO, machine

sys.path.insert(0, str(REPO / "lib"))

LABELLED = REPO / "tests" / "clean" / "data" / "pii_labelled.txt"
#: written after the detector, scored once, never tuned against
HELDOUT = REPO / "tests" / "clean" / "data" / "pii_heldout.txt"
CORES = 2


def quality(path: Path = LABELLED) -> dict:
    from corpussieve.clean.steps.pii_scoring import load_labelled, score

    result = score(load_labelled(path))
    errors = result.pop("errors")
    return {"set": path.name, "per_kind": result, "errors": errors}


def detector_speed(texts: list[str], urls: list[str | None], mode: str) -> dict:
    from corpussieve.clean.steps.base import StepRows
    from corpussieve.clean.steps.pii import PiiConfig, PiiStep

    cfg = PiiConfig(mode=mode)
    step = PiiStep(cfg, PiiStep.prepare(cfg, None))
    step.apply(StepRows(["w"] * 50, urls[:50], texts[:50]))  # warm-up: imports, regex and metadata caches
    started = time.perf_counter()
    result = step.apply(StepRows([str(i) for i in range(len(texts))], urls, texts))
    seconds = time.perf_counter() - started
    return {"pages": len(texts), "chars": sum(map(len, texts)), "seconds": round(seconds, 3),
            "ms_per_page": round(1000 * seconds / len(texts), 4),
            "spans": {k: sum(v) for k, v in result.counters.items()}}


def job_cost(docs: int) -> dict:
    from bench_clean import _write_table, clean_job, generated_rows

    source = BENCH_OUT / f"pii-input-{docs}"
    if not (source / "_delta_log").exists():
        _write_table(source, generated_rows(docs))
    out = BENCH_OUT / f"pii-clean-{docs}"
    job = clean_job(source, out)
    report = json.loads((out / "report.json").read_text())
    workers = report["metrics"]["worker_seconds"]
    step = workers.get("step_pii", 0.0)
    python_total = sum(workers.values())
    pages = job["docs"]
    kept = report["metrics"]["kept"]
    return {
        "docs": pages, "kept": kept, "job": {k: job[k] for k in ("seconds", "job_seconds", "peak_rss_gib")},
        "worker_seconds": workers, "pii_counters": report["metrics"]["document_steps"].get("pii"),
        "step_ms_per_page": round(1000 * step / pages, 4),
        "step_ms_per_kept_page": round(1000 * step / max(kept, 1), 4),
        "job_core_ms_per_page": round(1000 * job["job_seconds"] * CORES / pages, 3),
        "step_share_of_job_core_time": round(step / (job["job_seconds"] * CORES), 4),
        "step_share_of_python_worker_time": round(step / python_total, 4) if python_total else None,
        "out": str(out),
    }


def kept_texts(out: str, limit: int = 5000) -> tuple[list[str], list[str | None]]:
    from deltalake import DeltaTable

    table = DeltaTable(f"{out}/documents").to_pyarrow_table(columns=["text", "url"])
    return table.column("text").to_pylist()[:limit], table.column("url").to_pylist()[:limit]


def dense(texts: list[str], seed: int = 3) -> list[str]:
    """Each text with three labelled cases pasted between its paragraphs."""
    from corpussieve.clean.steps.pii_scoring import load_labelled

    cases = [c.text for c in load_labelled(LABELLED)]
    rng = random.Random(seed)
    out = []
    for text in texts:
        parts = text.split("\n")
        for case in rng.sample(cases, 3):
            parts.insert(rng.randrange(len(parts) + 1), case)
        out.append("\n".join(parts))
    return out


def bench(docs: int = 20_000, skip_job: bool = False) -> dict:
    result: dict = {"benchmark": "pii", "machine": machine(), "load_average": os.getloadavg(),
                    "quality": quality(), "quality_heldout": quality(HELDOUT)}
    if not skip_job:
        result["job"] = job_cost(docs)
        texts, urls = kept_texts(result["job"]["out"])
        result["detector_alone"] = {
            "kept_texts_flag": detector_speed(texts, urls, "flag"),
            "kept_texts_redact": detector_speed(texts, urls, "redact"),
            "pii_dense_flag": detector_speed(dense(texts), urls, "flag"),
        }
    result["load_average_after"] = os.getloadavg()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--skip-job", action="store_true", help="only the labelled set (seconds, no Spark)")
    args = parser.parse_args()
    result = bench(args.docs, args.skip_job)
    for q in (result["quality"], result["quality_heldout"]):
        print(f"{q['set']}\nkind          positives  negatives    tp   fp   fn  precision  recall")
        for kind, row in q["per_kind"].items():
            print(f"{kind:<13} {row['positive_cases']:>9} {row['negative_cases']:>10} {row['tp']:>5} {row['fp']:>4} "
                  f"{row['fn']:>4} {row['precision']:>10.3f} {row['recall']:>7.3f}")
        for error in q["errors"]:
            print(f"  {error['error']} {error['kind']}: {error['span']!r} in {error['text']!r}")
    print(json.dumps({k: v for k, v in result.items() if not k.startswith("quality")}, indent=2))
    BENCH_OUT.mkdir(exist_ok=True)
    (BENCH_OUT / "pii.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
