"""`make demo`: two refreshes of a sample lake, in Spark local mode.

The first crawl batch (the embedded sample corpus) and then a second one holding new pages and exact and
near-duplicate copies of the first batch's. Each refresh ingests its batch into the lake's raw table,
deduplicates the new rows against everything the lake kept before any page is cleaned (Inspect ->
Deduplicate -> Clean), cleans the survivors and appends the curated tables exactly once; the second also
writes the repetition report of the whole documents table. Then ``why`` explains one removed copy.

The first batch also carries what the generator plants, each known exactly: pages on listed gambling
domains (the URL blocklist rejects them unread), articles quoting items of a synthetic evaluation set (the
decontaminate step drops them) and contact paragraphs with e-mails, phones, IP addresses and card numbers
(the PII step flags them). The demo prints what each step found against what was planted, and the repeated
token fraction at each level of dedup: raw pages, the curated lake (documents and paragraphs deduplicated),
and the lake with repeated token spans removed (``repetition --strip 1``).
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
from corpussieve.sample import plants  # noqa: E402
from corpussieve.sample.corpus import CorpusGenerator  # noqa: E402
from corpussieve.session import build_session  # noqa: E402


def planted_vs_found(spark, conf: list[str], lake: Path, spec: CorpusSpec) -> dict[str, object]:
    """What became of every page the first batch planted for the URL blocklist, decontaminate and PII steps
    (the generator's ground truth; the second batch plants nothing): removed by dedup before clean, rejected
    (by its first reason), or kept; and the PII spans flagged in kept documents against the planted values."""
    from collections import Counter

    from corpussieve.tables import Tables

    gen = CorpusGenerator(spec)
    records = [gen.record(i) for i in range(spec.docs)]
    tables = Tables(spark, build_config(conf).tables)
    removed = {r["id"] for r in tables.read(str(lake / "removed")).select("id").collect()}
    rejected = {r["id"]: r["reject_reason"] for r in tables.read(str(lake / "rejected"))
                .select("id", "reject_reason").collect()}
    documents = {r["id"]: r["pii"] or [] for r in tables.read(str(lake / "documents")).select("id", "pii").collect()}

    def outcomes(ids: set[str]) -> dict[str, int]:
        found = Counter("removed by dedup" if k in removed else f"rejected {rejected[k]}" if k in rejected
                        else "kept" if k in documents else "not in the lake" for k in ids)
        return {"planted": len(ids), **dict(found.most_common())}

    pii = {r["id"]: Counter(p["kind"] for p in json.loads(r["gen_pii"])) for r in records if r["gen_pii"]}
    flagged = {key: Counter(span["kind"] for span in spans) for key, spans in documents.items() if spans}
    kept = [key for key in pii if key in documents]
    blocked = {r["id"] for r in records if r["gen_blocked"]}
    contaminated = {r["id"] for r in records if r["gen_contaminated"]}
    return {
        "pages on blocklisted domains": outcomes(blocked),
        # an item quoted by two articles stays in the first by the keep order: paragraph dedup removes the
        # second copy before the decontaminate step sees it, so that article is kept, clean (37 quotes drawn
        # from 50 items hold about 11 repeats: measured 24 rejected, 12 kept, 1 emptied by paragraph dedup)
        "articles quoting a benchmark item": outcomes(contaminated),
        "articles with planted PII": outcomes(set(pii)),
        "PII values in the kept ones, planted / flagged (flag mode)": {
            kind: f"{sum(pii[k][kind] for k in kept)} / {sum(flagged.get(k, Counter())[kind] for k in kept)}"
            for kind in plants.PII_KINDS},
        "other documents rejected by the blocklist / decontaminate": "%d / %d" % (
            sum(1 for k, why in rejected.items() if why.startswith("url_blocklist:") and k not in blocked),
            sum(1 for k, why in rejected.items() if why.startswith("decontaminate:") and k not in contaminated)),
        "PII spans flagged in other documents": sum(sum(c.values()) for k, c in flagged.items() if k not in pii),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default="out/demo", help="folder for every demo output")
    parser.add_argument("--docs", type=int, default=2000, help="documents in the sample corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--conf", action="append", default=[], metavar="FILE.yaml",
                        help="a config profile over conf/local.yaml for the demo's session (repeatable)")
    args = parser.parse_args()
    setup_logging("INFO")
    out = Path(args.output).resolve()
    if out.exists():
        shutil.rmtree(out)
    started = time.perf_counter()
    conf = [str(REPO / "conf" / "local.yaml"), *args.conf]
    # small data: C2 would compile code that runs for seconds (see spark.jit)
    spark = build_session(build_config(conf).spark, app_name="corpussieve-demo", jit_default="quick")
    cli = build_parser()
    results: dict[str, object] = {}
    try:
        batch0, batch1 = out / "batches" / "0", out / "batches" / "1"
        spec = CorpusSpec(docs=args.docs, seed=args.seed, bad_record_rate=0.002, contaminated_fraction=0.02,
                          pii_fraction=0.03, blocked_fraction=0.02, benchmark_items=50)
        gen = write_corpus(spec, str(batch0))
        benchmark = plants.write_benchmark(spec.seed, spec.benchmark_items, str(out / "benchmark.jsonl"))["path"]
        blocklist = plants.write_blocklist(plants.blocked_domains(spec.seed), str(out / "blocklist.txt"))["path"]
        # the steps the lake's clean runs besides the defaults (the PII step is on by default, in flag mode)
        (out / "steps.yaml").write_text(
            "clean:\n"
            f"  url_blocklist:\n    lists:\n      - {{name: gambling, path: {blocklist}, format: domains}}\n"
            f"  steps:\n    decontaminate: {{enabled: true, mode: drop, benchmarks: ['synth={benchmark}']}}\n")
        conf = [*conf, str(out / "steps.yaml")]
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
            ns = cli.parse_args([job, *job_args, *[a for c in conf for a in ("--conf", c)]])
            results[f"refresh {n}"] = run_job(job, ns, spark=spark)
        results["planted vs found"] = planted_vs_found(spark, conf, lake, spec)
        # the repeated token fraction at each level: the raw pages, the curated lake (documents and paragraphs
        # deduplicated), and the lake with every token span seen more than once cut to its first copy
        levels = {}
        for name, table, extra in (("raw pages", lake / "raw", []),
                                   ("curated lake", lake / "documents", ["--strip", "1"])):
            ns = cli.parse_args(["repetition", "--input", str(table), "--output", str(out / "repetition" / table.name),
                                 *extra, "--conf", conf[0]])
            summary = run_job("repetition", ns, spark=spark)
            levels[name] = summary["repeated_token_fraction"]
            if "repeated_token_fraction_after" in summary:
                levels["curated lake, repeated spans removed (--strip 1)"] = summary["repeated_token_fraction_after"]
        results["repeated token fraction"] = {k: f"{100 * v:.2f}%" for k, v in levels.items()}
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
    print(f"  {out / 'repetition' / 'documents' / 'report.html'}  (span removal; stripped table beside it)")
    print(f"  {out / 'shards' / 'report.html'}  (training shards under {out / 'shards' / 'shards'})")
    print(f"Ask the lake about any document: corpussieve why ID --lake {out / 'lake'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
