"""The repetition job: speed end to end in Spark local mode, the tokenizer alone, and accuracy on injected repeats.

Speed: generated text-only corpora (``benchlib.corpus(docs, text_only=True)``, ~3.2 KB ≈ 700 cl100k tokens a
document) are ingested once into Delta tables under bench-data/, then ``corpussieve repetition`` runs on
them as a separate process (wall time includes the JVM start; the job's own time is reported too). The
tokenizer alone encodes the same texts in this process, as the job does (tiktoken, 2 threads).

Accuracy: unique pseudo-word text with known repeated passages injected (``repetition.synthetic``);
the job's repeated_token_fraction is compared with the truth, the injected mass with its multiplicity
bucket, and the grade with the grade of the truth.

    PYTHONPATH=lib python scripts/bench_repetition.py                      # 15k, 50k, 150k docs, then accuracy
    PYTHONPATH=lib python scripts/bench_repetition.py --sizes 0            # accuracy only
    PYTHONPATH=lib python scripts/bench_repetition.py --strip 1 --sizes 50000 --accuracy-docs 0
        # span removal: the same corpus without and with --strip 1 (time, shuffle, tokens removed vs predicted)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchlib import BENCH_DATA, BENCH_OUT, REPO, _env, corpus, corpussieve, machine, run_measured

CONF = str(REPO / "conf" / "local.yaml")
ACCURACY_CASES = (
    # (fraction of tokens in injected copies, copies)
    (0.05, 100),
    (0.02, 20),
    (0.12, 300),
    (0.06, 3000),
    (0.002, 50),
)


def delta_table(docs: int) -> Path:
    """The text-only generated corpus of ``docs`` documents as a Delta table (ingested once, then reused)."""
    table = BENCH_DATA / f"delta-{docs}-text"
    marker = BENCH_DATA / f"delta-{docs}-text.done"
    if not marker.exists():
        shutil.rmtree(table, ignore_errors=True)
        data = corpus(docs, text_only=True)
        subprocess.run(corpussieve("ingest", "--input", str(data), "--output", str(table), "--mode", "overwrite",
                                   "--conf", CONF), check=True, cwd=REPO, env=_env(), capture_output=True)
        marker.write_text("ok\n")
    return table


def tokenizer_alone(table: Path, name: str = "cl100k", batch: int = 4096, max_docs: int = 20_000,
                    repeat: int = 3) -> dict:
    """Tokens/s of the tokenizer by itself on the table's texts (read with delta-rs, no Spark): the first
    ``max_docs`` documents, best of ``repeat`` runs (other work on the machine only ever slows it down)."""
    sys.path.insert(0, str(REPO / "lib"))
    from deltalake import DeltaTable

    from corpussieve.repetition.tokenizers import get_tokenizer

    texts = DeltaTable(str(table)).to_pyarrow_table(columns=["text"]).column("text").to_pylist()[:max_docs]
    tokenizer = get_tokenizer(name)
    best, tokens = float("inf"), 0
    for _ in range(repeat):
        tokens = 0
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            tokens += int(tokenizer.encode_batch(texts[i : i + batch]).ids.size)
        best = min(best, time.perf_counter() - started)
    return {"tokens": tokens, "seconds": round(best, 2), "tokens_per_second": round(tokens / best),
            "engine": tokenizer.engine}


def speed(docs: int) -> dict:
    table = delta_table(docs)
    out = BENCH_OUT / f"repetition-{docs}"
    shutil.rmtree(out, ignore_errors=True)
    load_before = os.getloadavg()[0]
    result = run_measured(corpussieve("repetition", "--input", str(table), "--output", str(out), "--conf", CONF))
    load_after = os.getloadavg()[0]
    report = json.loads((out / "report.json").read_text())
    tokens = report["tokens_total"]
    alone = tokenizer_alone(table)
    return {
        "docs": docs, "tokens": tokens, "wall_seconds": result["seconds"], "job_seconds": report["seconds"],
        "tokens_per_second_wall": round(tokens / result["seconds"]),
        "tokens_per_second_job": round(tokens / report["seconds"]),
        "tokenizer_alone_tokens_per_second": alone["tokens_per_second"],
        "slowdown_vs_tokenizer_wall": round(alone["tokens_per_second"] / (tokens / result["seconds"]), 2),
        "slowdown_vs_tokenizer_job": round(alone["tokens_per_second"] / (tokens / report["seconds"]), 2),
        "peak_rss_gib": result["peak_rss_gib"],
        # Other work on the machine slows every figure down; the 1-minute load average says how much there was.
        "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
        "stages": {s["name"]: s["seconds"] for s in report["stages"]},
        "shuffle": report["shuffle"],
        "repeated_token_fraction": round(report["repeated_token_fraction"], 4),
        "grade": report["risk"]["grade"],
    }


def strip_speed(docs: int, k: int) -> dict:
    """The same corpus measured without and with ``--strip K``: wall time, stage times, shuffled bytes (Spark's
    own count), and the tokens removed against what the report predicted (sum of 1 - K/M(t) over M(t) > K)."""
    table = delta_table(docs)
    runs = {}
    for label, extra in (("plain", []), (f"strip_{k}", ["--strip", str(k)])):
        out = BENCH_OUT / f"repetition-{docs}-{label}"
        shutil.rmtree(out, ignore_errors=True)
        load_before = os.getloadavg()[0]
        result = run_measured(corpussieve("repetition", "--input", str(table), "--output", str(out), "--conf", CONF,
                                          *extra))
        report = json.loads((out / "report.json").read_text())
        runs[label] = {
            "wall_seconds": result["seconds"], "job_seconds": report["seconds"], "peak_rss_gib": result["peak_rss_gib"],
            "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "stages": {s["name"]: s["seconds"] for s in report["stages"]},
            "measured_shuffle_bytes": {key: v for key, v in report["shuffle"].items() if key.startswith("measured")},
        }
        if "strip" in report:
            st = report["strip"]
            runs[label]["strip"] = {
                key: st[key] for key in ("over_limit_windows", "documents_changed", "tokens_removed",
                                         "tokens_removed_fraction", "predicted_tokens_removed",
                                         "removed_over_predicted", "grade_after", "shuffle")}
            runs[label]["strip"]["repeated_token_fraction"] = [round(st["before"]["repeated_token_fraction"], 5),
                                                               round(st["after"]["repeated_token_fraction"], 5)]
            runs[label]["strip"]["excess_token_fraction"] = [round(st["before"]["excess_token_fraction"], 5),
                                                             round(st["after"]["excess_token_fraction"], 5)]
            runs[label]["tokens"] = report["tokens_total"]
    return {"docs": docs, "k": k, **runs}


def accuracy(documents: int, words: int) -> list[dict]:
    """Injected repetition measured by the job; one Delta table and one job run per case."""
    sys.path.insert(0, str(REPO / "lib"))
    import numpy as np
    import pyarrow as pa
    from deltalake import write_deltalake

    from corpussieve.repetition.config import RiskConfig
    from corpussieve.repetition.coverage import BUCKET_LABELS, multiplicity_bucket
    from corpussieve.repetition.risk import grade_for_share, harmful_band
    from corpussieve.repetition.synthetic import InjectionSpec, injected_corpus
    from corpussieve.repetition.tokenizers import get_tokenizer

    tokenizer = get_tokenizer("cl100k")
    band = harmful_band(RiskConfig().assumed_model_params)
    rows = []
    for fraction, copies in ACCURACY_CASES:
        spec = InjectionSpec(documents=documents, words_per_document=words, fraction=fraction, copies=copies,
                             seed=copies)
        data = injected_corpus(spec, tokenizer)
        table = BENCH_DATA / f"injected-{documents}-{fraction}-{copies}"
        shutil.rmtree(table, ignore_errors=True)
        write_deltalake(str(table), pa.table({"id": data.ids, "text": data.texts, "source": data.sources}))
        out = BENCH_OUT / f"repetition-injected-{fraction}-{copies}"
        shutil.rmtree(out, ignore_errors=True)
        run_measured(corpussieve("repetition", "--input", str(table), "--output", str(out), "--conf", CONF))
        report = json.loads((out / "report.json").read_text())
        bucket = BUCKET_LABELS[int(multiplicity_bucket(np.array([copies]))[0])]
        in_bucket = next(h["tokens"] for h in report["multiplicity_histogram"] if h["bucket"] == bucket)
        truth_share = data.true_fraction if band.contains(copies) else 0.0
        rows.append({
            "fraction": fraction, "copies": copies, "tokens": report["tokens_total"],
            "true_fraction": round(data.true_fraction, 5),
            "measured_fraction": round(report["repeated_token_fraction"], 5),
            "error_pp": round(100 * (report["repeated_token_fraction"] - data.true_fraction), 3),
            "bucket": bucket, "injected_tokens": data.injected_tokens, "tokens_in_bucket": in_bucket,
            "share_of_repeated_in_bucket": round(in_bucket / max(report["repeated_tokens"], 1), 4),
            "grade": report["risk"]["grade"], "grade_of_truth": grade_for_share(truth_share),
        })
    return rows


def bench(docs: int = 150_000, sizes: tuple[int, ...] | None = None, accuracy_docs: int = 3000) -> dict:
    """Speed at ``sizes`` documents (default: a tenth, a third and all of ``docs``), then accuracy."""
    sizes = tuple(d for d in (sizes or (docs // 10, docs // 3, docs)) if d)
    result = {"benchmark": "repetition", "machine": machine(), "speed": [speed(d) for d in sizes]}
    runs = result["speed"]
    if len(runs) >= 2:
        # Least-squares wall time = fixed + per_token x tokens: the JVM start and the per-job overheads,
        # then the cost that grows with the corpus.
        x = [r["tokens"] for r in runs]
        y = [r["wall_seconds"] for r in runs]
        mx, my = sum(x) / len(x), sum(y) / len(y)
        slope = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)
        result["scaling"] = {
            "token_ratio": round(x[-1] / x[0], 2),
            "wall_time_ratio": round(y[-1] / y[0], 2),
            "fixed_seconds": round(my - slope * mx, 1),
            "marginal_tokens_per_second": round(1 / slope) if slope > 0 else None,
        }
    if accuracy_docs:
        result["accuracy"] = accuracy(accuracy_docs, 300)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=150_000, help="documents of the largest corpus")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated corpus sizes in documents (default: docs/10, docs/3, docs; 0: none)")
    parser.add_argument("--accuracy-docs", type=int, default=3000, help="documents of the injection corpora (0: skip)")
    parser.add_argument("--strip", type=int, default=None, metavar="K",
                        help="measure span removal instead: each size without and with --strip K")
    args = parser.parse_args()
    sizes = tuple(int(v) for v in args.sizes.split(",")) if args.sizes is not None else None
    if args.strip is not None:
        chosen = [d for d in (sizes or (args.docs,)) if d]
        print(json.dumps({"benchmark": "repetition --strip", "machine": machine(),
                          "runs": [strip_speed(d, args.strip) for d in chosen]}, indent=2))
        return
    if sizes == (0,):
        sizes = ()
    result = bench(args.docs, sizes, args.accuracy_docs) if sizes != () else {
        "benchmark": "repetition", "machine": machine(), "accuracy": accuracy(args.accuracy_docs, 300)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
