"""What the URL blocklist step costs: a list of millions of generated domains (UT1's adult category holds
about 4-5 million), its load time and memory, the lookup per page, and clean with and without it.

1. ``load``: the list file read into the table of sorted hashes, in a fresh process (seconds, the process's
   peak RSS over a bare interpreter with the same imports, the table's bytes, its pickle and unpickle).
2. ``match``: ``Blocklist.match_many`` on the URLs of a generated corpus (at least 30,000: copies with a
   query added) in batches of 256 (as the prepare stage's Arrow batches), microseconds per URL.
3. ``spark`` (unless ``--no-spark``): ``corpussieve clean`` on ``--docs`` generated pages with and without the
   list (a few of the corpus's sites added to it, so some pages are blocked), pages/s, the url_blocklist
   stage's seconds and the worker seconds per step; and what a url_blocklist stage of its own before prepare
   would cost: a ``mapInArrow`` pass over the same rows (html included) against none.

    PYTHONPATH=lib python scripts/bench_url_blocklist.py [--domains 5000000] [--docs 20000] [--no-spark]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import resource
import shutil
import string
import sys
import time
from pathlib import Path

from benchlib import BENCH_OUT, REPO, corpus, corpussieve, machine, run_measured

sys.path.insert(0, str(REPO / "lib"))

CORES = 2
SETS = ["--set", "spark.ui=false", "--set", f"spark.master=local[{CORES}]", "--set", "spark.log_level=ERROR"]
TLDS = ["com", "net", "org", "xxx", "info", "ru", "de", "co.uk", "com.br", "xyz", "top", "porn", "sex", "tv"]


def write_domains(path: Path, n: int, extra: list[str], seed: int = 1) -> Path:
    """``n`` random domains (random labels, a sub-domain on a third of them, a hosts-file line on a tenth)."""
    if path.exists():
        return path
    rng = random.Random(seed)
    letters = string.ascii_lowercase + string.digits
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("# generated blocklist for scripts/bench_url_blocklist.py\n")
        for d in extra:
            fh.write(f"{d}\n")
        for i in range(n - len(extra)):
            label = "".join(rng.choices(letters, k=rng.randint(5, 16)))
            domain = f"{label}.{rng.choice(TLDS)}"
            if i % 3 == 0:
                domain = f"{rng.choice(['www', 'm', 'cdn', 'img', 'video'])}.{domain}"
            fh.write(f"0.0.0.0 {domain}\n" if i % 10 == 0 else f"{domain}\n")
    tmp.rename(path)
    return path


def corpus_urls(docs: int) -> list[str]:
    urls = []
    for file in sorted(corpus(docs).glob("*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as fh:
            urls.extend(json.loads(line).get("url") for line in fh)
    return urls


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(path: str, queue) -> None:
    import pickle

    from corpussieve.clean.blocklist import load_blocklist
    from corpussieve.clean.config import UrlBlocklistConfig

    before = _rss_mib()
    cfg = UrlBlocklistConfig.model_validate({"lists": [{"name": "adult", "path": path}]})
    started = time.perf_counter()
    blocklist = load_blocklist(cfg)
    seconds = time.perf_counter() - started
    peak = _rss_mib()
    started = time.perf_counter()
    blob = pickle.dumps(blocklist)
    pickled = time.perf_counter() - started
    started = time.perf_counter()
    pickle.loads(blob)
    unpickled = time.perf_counter() - started
    queue.put({"seconds": round(seconds, 2), "peak_rss_mib_over_imports": round(peak - before, 1),
               "entries": int(len(blocklist.keys)), "table_mib": round(blocklist.nbytes / 2**20, 1),
               "pickle_mib": round(len(blob) / 2**20, 1), "pickle_seconds": round(pickled, 3),
               "unpickle_seconds": round(unpickled, 3), "lists": blocklist.stats["lists"]})


def load(path: Path) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_load, args=(str(path), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def match(path: Path, urls: list[str]) -> dict:
    from corpussieve.clean.blocklist import load_blocklist
    from corpussieve.clean.config import UrlBlocklistConfig

    blocklist = load_blocklist(UrlBlocklistConfig.model_validate({"lists": [{"name": "adult", "path": str(path)}]}))
    blocked = 0
    started = time.perf_counter()
    for i in range(0, len(urls), 256):
        names, _ = blocklist.match_many(urls[i:i + 256])
        blocked += sum(bool(n) for n in names)
    seconds = time.perf_counter() - started
    return {"urls": len(urls), "blocked": blocked, "seconds": round(seconds, 3),
            "us_per_url": round(1e6 * seconds / len(urls), 2)}


def _write_table(path: Path, docs: int) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    if (path / "_delta_log").exists():
        return
    rows = []
    for file in sorted(corpus(docs).glob("*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                rows.append({"id": r["id"], "url": r.get("url"), "html": r.get("html")})
    shutil.rmtree(path, ignore_errors=True)
    write_deltalake(str(path), pa.Table.from_pylist(rows), mode="overwrite")


def clean(source: Path, out: Path, extra: list[str]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    result = run_measured(corpussieve("clean", "--input", str(source), "--output", str(out), *SETS, *extra))
    report = json.loads((out / "report.json").read_text())
    docs = report["metrics"]["docs_in"]
    return {"docs": docs, "seconds": result["seconds"], "job_seconds": report["seconds"],
            "job_pages_per_second": round(docs / report["seconds"], 1), "peak_rss_gib": result["peak_rss_gib"],
            "stages": {s["name"]: s["seconds"] for s in report["stages"]},
            "worker_seconds": report["metrics"]["worker_seconds"],
            "blocked": report["metrics"]["url_blocklist_blocked"]}


def extra_pass(source: Path, path: Path) -> dict:
    """A url_blocklist stage of its own: the rows (html included) through one more ``mapInArrow``."""
    from pyspark.sql import functions as F

    from corpussieve.clean import stages
    from corpussieve.clean.blocklist import load_blocklist
    from corpussieve.clean.config import UrlBlocklistConfig
    from corpussieve.config import SparkConfig, TablesConfig
    from corpussieve.session import build_session
    from corpussieve.tables import Tables

    spark = build_session(SparkConfig(master=f"local[{CORES}]", ui=False, log_level="ERROR", app_name="bench-url"))
    tables = Tables(spark, TablesConfig(backend="delta-rs"))
    df = tables.read(str(source)).repartition(2 * CORES).cache()
    df.count()
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "256")
    blocklist = load_blocklist(UrlBlocklistConfig.model_validate({"lists": [{"name": "adult", "path": str(path)}]}))
    shared = spark.sparkContext.broadcast(blocklist)
    out = {}
    for name, frame in (("no_pass", df), ("separate_stage", stages.url_blocklist(df, shared))):
        frame.agg(F.sum(F.length("html"))).collect()  # warm: workers started, broadcast read
        started = time.perf_counter()
        frame.agg(F.sum(F.length("html"))).collect()
        out[name] = round(time.perf_counter() - started, 2)
    out["extra_seconds_per_1000_pages"] = round(1000 * (out["separate_stage"] - out["no_pass"]) / df.count(), 3)
    spark.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=5_000_000)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()

    from corpussieve.clean.domain import registered_domain

    out = BENCH_OUT / "url_blocklist"
    out.mkdir(parents=True, exist_ok=True)
    urls = corpus_urls(args.docs)
    sites = sorted({registered_domain(u) for u in urls if u})
    blocked_sites = sites[::20]  # 5% of the corpus's sites are on the list
    started = time.perf_counter()
    path = write_domains(out / f"domains-{args.domains}-{len(blocked_sites)}.txt", args.domains, blocked_sites)
    result = {"machine": machine(), "load_average_at_start": os.getloadavg(), "domains": args.domains,
              "list_mib": round(path.stat().st_size / 2**20, 1), "write_seconds": round(time.perf_counter() - started, 1)}
    result["load"] = load(path)
    # at least 30,000 URLs: the corpus's, again with a query that makes each copy a distinct URL
    copies = max(1, -(-30_000 // len(urls)))
    result["match"] = match(path, [u if k == 0 or u is None else f"{u}?copy={k}" for k in range(copies) for u in urls])
    if not args.no_spark:
        source = out / f"table-{args.docs}"
        _write_table(source, args.docs)
        conf = out / "blocklist.yaml"
        conf.write_text(json.dumps({"clean": {"url_blocklist": {"lists": [{"name": "adult", "path": str(path)}]}}}))
        result["clean_without"] = clean(source, out / "clean-without", [])
        result["clean_with"] = clean(source, out / "clean-with", ["--conf", str(conf)])
        result["separate_stage"] = extra_pass(source, path)
    result["load_average_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
