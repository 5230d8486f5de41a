"""The clean job's speed and quality, in Spark local mode on 2 cores, against trafilatura alone.

Speed: pages/s of the whole ``corpussieve clean`` command (JVM start included, and the job's own
figure without it) on generated HTML pages and on the 92 aeb-dev pages repeated ``--repeat`` times
with distinct ids; and trafilatura alone (include_comments=False, favor_precision=True: its best
setting on aeb-dev) on the same pages in one process per core (multiprocessing). Beside it,
trafilatura in its fast mode (no comparison against readability and jusText), which is how the
job's first extraction pass runs: the baseline the target is set against is the first one.

Quality through the job (aeb-dev needs ../shared): extraction F1/precision/recall of the job's
cleaned text (kept or rejected) on the first copy of each aeb-dev page, the share of the true
article bodies (as text inputs) the job rejects, and the share of generated junk it rejects for the
right kind of reason.

The job pays a fixed cost per run (JVM start, Python workers, a few Spark jobs per stage, two
commits; measured on a 100-page run) that trafilatura in a warm process pool does not, so each
input is run at two sizes, and the "sustained" ratio compares the extra time per extra page.

    PYTHONPATH=lib python scripts/bench_clean.py [--docs 10000 100000] [--repeat 10 100] [--junk-per-kind 50]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import random
import shutil
import sys
import time
from pathlib import Path

from benchlib import BENCH_OUT, REPO, corpus, corpussieve, machine, run_measured

sys.path.insert(0, str(REPO / "lib"))

AEB_DEV = REPO / ".." / "shared" / "data" / "aeb-dev"
CORES = 2
SETS = ["--set", "spark.ui=false", "--set", f"spark.master=local[{CORES}]", "--set", "spark.log_level=ERROR"]


def _write_table(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    shutil.rmtree(path, ignore_errors=True)
    write_deltalake(str(path), pa.Table.from_pylist(rows), mode="overwrite")


def generated_rows(docs: int) -> list[dict]:
    rows = []
    for file in sorted(corpus(docs).glob("*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                rows.append({"id": record["id"], "url": record.get("url"), "html": record.get("html"),
                             "gen_junk_kind": record.get("gen_junk_kind")})
    return rows


def aeb_dev_pages() -> dict[str, dict[str, str]] | None:
    from corpussieve.clean.scoring import load_aeb_dev

    return load_aeb_dev(AEB_DEV)


def _trafilatura_page(html: str) -> int:
    import trafilatura

    return len(trafilatura.extract(html, include_comments=False, favor_precision=True) or "")


def _trafilatura_page_fast(html: str) -> int:
    import trafilatura

    return len(trafilatura.extract(html, include_comments=False, favor_precision=True, fast=True) or "")


def trafilatura_alone(htmls: list[str], fast: bool = False) -> dict:
    """trafilatura in one process per core; process start and imports are outside the clock.

    ``fast``: without trafilatura's comparison against readability and jusText, as the job's first
    pass runs it (reported beside the baseline, so the job's own choice is visible)."""
    page = _trafilatura_page_fast if fast else _trafilatura_page
    with multiprocessing.get_context("fork").Pool(CORES) as pool:
        pool.map(page, htmls[: CORES * 4])  # warm-up: imports in every process
        started = time.perf_counter()
        pool.map(page, htmls, chunksize=8)
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "pages_per_second": round(len(htmls) / seconds, 1)}


def clean_job(source: Path, out: Path, extra: list[str] = ()) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    result = run_measured(corpussieve("clean", "--input", str(source), "--output", str(out), *SETS, *extra))
    report = json.loads((out / "report.json").read_text())
    docs = report["metrics"]["docs_in"]
    return {
        "docs": docs, "seconds": result["seconds"], "pages_per_second": round(docs / result["seconds"], 1),
        "job_seconds": report["seconds"], "job_pages_per_second": round(docs / report["seconds"], 1),
        "peak_rss_gib": result["peak_rss_gib"], "cpu_seconds": result["cpu_seconds"], "kept": report["metrics"]["kept"],
        "stages": {s["name"]: s["seconds"] for s in report["stages"]},
        "worker_seconds": report["metrics"]["worker_seconds"],
        "boilerplate": {k: v for k, v in report["boilerplate"].items() if k != "top_lines"},
        "lines_removed": report["metrics"]["lines_removed"],
    }


def _read(path: Path) -> dict[str, dict]:
    from deltalake import DeltaTable

    return {r["id"]: r for r in DeltaTable(str(path)).to_pyarrow_table().to_pylist()}


def _speed(source: Path, out: Path, htmls: list[str], pages: int, extra: list[str] = (),
           other_backends: list[str] = ()) -> dict:
    """The job (tables.backend auto) and trafilatura alone on the same pages; ``other_backends``: the job
    again with each of these table backends, reported beside (``by_backend``)."""
    job = clean_job(source, out, extra)
    alone = trafilatura_alone(htmls)
    fast = trafilatura_alone(htmls, fast=True)
    result = {"pages": pages, "mb_html": round(sum(len(h) for h in htmls) / 1e6, 1), "job": job,
              "trafilatura_alone": alone,
              "trafilatura_over_job": round(alone["pages_per_second"] / job["pages_per_second"], 2),
              "trafilatura_fast_alone": fast,
              "trafilatura_fast_over_job": round(fast["pages_per_second"] / job["pages_per_second"], 2)}
    for backend in other_backends:
        other = clean_job(source, out, [*extra, "--set", f"tables.backend={backend}"])
        result.setdefault("by_backend", {})[backend] = {
            "job": other, "trafilatura_over_job": round(alone["pages_per_second"] / other["pages_per_second"], 2)}
    return result


def _sustained(runs: list[dict]) -> dict | None:
    """Between the smallest and the largest run: the job's extra seconds per extra page (its fixed
    costs cancel) against trafilatura's, which has none on its clock."""
    if len(runs) < 2:
        return None
    small, large = runs[0], runs[-1]
    pages = large["pages"] - small["pages"]
    job_seconds = large["job"]["seconds"] - small["job"]["seconds"]
    alone_seconds = large["trafilatura_alone"]["seconds"] - small["trafilatura_alone"]["seconds"]
    if pages <= 0 or job_seconds <= 0 or alone_seconds <= 0:
        return None  # sizes too close for the difference to rise above the noise
    job, alone = pages / job_seconds, pages / alone_seconds
    return {"job_pages_per_second": round(job, 1), "trafilatura_pages_per_second": round(alone, 1),
            "trafilatura_over_job": round(alone / job, 2)}


def bench(docs: int | list[int] = (10_000, 100_000), repeat: int | list[int] = (10, 100),
          junk_per_kind: int = 50, other_backends: list[str] = ()) -> dict:
    from corpussieve.clean.reasons import JUNK_EXPECTED_FAMILIES, families_of
    from corpussieve.clean.scoring import score_extractions
    from corpussieve.sample.junk import JUNK_KINDS, make_junk_page

    sizes = sorted([docs] if isinstance(docs, int) else docs)
    repeats = sorted([repeat] if isinstance(repeat, int) else repeat)
    work = BENCH_OUT / "clean"
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"benchmark": "clean", "machine": machine(), "cores": CORES}

    # what a run costs whatever its size: JVM start, Python workers, the stages' Spark jobs, two commits
    tiny = generated_rows(100)
    _write_table(work / "tiny_in", tiny)
    result["fixed_cost"] = {"pages": len(tiny), "seconds": clean_job(work / "tiny_in", work / "tiny_out")["seconds"]}
    for backend in other_backends:
        result["fixed_cost"].setdefault("by_backend", {})[backend] = clean_job(
            work / "tiny_in", work / "tiny_out", ["--set", f"tables.backend={backend}"])["seconds"]

    runs = []
    for size in sizes:
        rows = generated_rows(size)
        _write_table(work / "generated_in", rows)
        htmls = [r["html"] for r in rows if r["html"]]
        runs.append(_speed(work / "generated_in", work / f"generated_{size}_out", htmls, len(rows),
                           other_backends=other_backends))
        print(json.dumps({"generated": runs[-1]}), file=sys.stderr, flush=True)  # a late failure loses nothing
        del rows, htmls
    result["generated"] = {"runs": runs, "sustained": _sustained(runs)}

    pages = aeb_dev_pages()
    if pages is None:
        result["aeb_dev"] = "skipped: ../shared/data/aeb-dev not found"
    else:
        # copies get their own sites: ten copies of one page on one site would be site boilerplate
        aeb_runs = []
        for copies_per_page in repeats:
            copies = [{"id": f"{key}#{c}", "url": f"https://www.{key[:16]}-{c}.test/{key}", "html": page["html"]}
                      for c in range(copies_per_page) for key, page in pages.items()]
            _write_table(work / "aeb_in", copies)
            # Every line of a copied page is on `copies_per_page` sites, which the corpus-wide rule rightly
            # strips as boilerplate from 50 copies on (a real corpus is deduplicated before cleaning). Raise
            # its document threshold above the copy count so every size does the same work per page.
            never_corpus_wide = ["--set", f"clean.lines.min_corpus_docs={max(50, copies_per_page + 1)}",
                                 # and paragraph dedup would leave every copy but the first empty, skipping
                                 # their filters: the same work per page needs it off here
                                 "--set", "clean.paragraphs.enabled=false"]
            run = _speed(work / "aeb_in", work / f"aeb_{copies_per_page}_out", [c["html"] for c in copies],
                         len(copies), never_corpus_wide, other_backends)
            aeb_runs.append({"repeat": copies_per_page, **run})
            print(json.dumps({"aeb_dev": aeb_runs[-1]}), file=sys.stderr, flush=True)
            del copies
        _write_table(work / "aeb1_in", [{"id": k, "url": p["url"], "html": p["html"]} for k, p in pages.items()])
        clean_job(work / "aeb1_in", work / "aeb1_out")
        out = _read(work / "aeb1_out" / "documents") | _read(work / "aeb1_out" / "rejected")
        score = score_extractions({k: out[k]["text"] for k in pages}, {k: p["truth"] for k, p in pages.items()})
        result["aeb_dev"] = {
            "runs": aeb_runs, "sustained": _sustained(aeb_runs),
            "extraction": {"f1": round(score.f1, 4), "precision": round(score.precision, 4),
                           "recall": round(score.recall, 4), "empty": score.empty},
        }
        _write_table(work / "truth_in", [{"id": k, "url": p["url"], "text": p["truth"]} for k, p in pages.items()])
        clean_job(work / "truth_in", work / "truth_out")
        rejected = _read(work / "truth_out" / "rejected")
        result["aeb_dev"]["true_bodies_rejected"] = {
            "rejected": len(rejected), "of": len(pages), "share": round(len(rejected) / len(pages), 4),
            "reasons": {k: r["reject_reasons"] for k, r in rejected.items()},
        }

    if junk_per_kind <= 0:
        result["junk"] = "skipped: --junk-per-kind 0"
        return result
    junk: dict = {}
    for field in ("html", "text"):
        junk_rows = []
        for kind in JUNK_KINDS:
            for i in range(junk_per_kind):
                page = make_junk_page(kind, random.Random(f"bench:{kind}:{i}"))
                junk_rows.append({"id": f"{kind}-{i}", "url": f"https://www.junk{i % 7}.test/{kind}/{i}",
                                  field: page[field], "kind": kind})
        _write_table(work / f"junk_{field}_in", junk_rows)
        clean_job(work / f"junk_{field}_in", work / f"junk_{field}_out")
        rejected = _read(work / f"junk_{field}_out" / "rejected")
        right = sum(1 for r in rejected.values()
                    if families_of(r["reject_reasons"]) & set(JUNK_EXPECTED_FAMILIES[r["kind"]]))
        junk[field] = {"pages": len(junk_rows), "rejected_share": round(len(rejected) / len(junk_rows), 4),
                       "right_kind_share": round(right / len(junk_rows), 4)}
    result["junk"] = junk

    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000], help="generated pages, per run")
    parser.add_argument("--repeat", type=int, nargs="+", default=[10, 100],
                        help="copies of the 92 aeb-dev pages, per run")
    parser.add_argument("--junk-per-kind", type=int, default=50)
    parser.add_argument("--other-backends", nargs="*", default=[], choices=["delta-spark", "delta-rs"],
                        help="also time the job with these table backends (tables.backend), beside the default")
    args = parser.parse_args()
    print(json.dumps(bench(args.docs, args.repeat, args.junk_per_kind, args.other_backends), indent=2))


if __name__ == "__main__":
    main()
