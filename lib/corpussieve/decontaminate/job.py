"""``corpussieve decontaminate``: documents that share word n-grams with benchmark items, flagged, dropped or cut.

Stages (each a named, timed step of the run log):

1. ``index``: the benchmark files read (JSON Lines or Parquet, given by the user) and the index built on the
   driver (:func:`corpussieve.decontaminate.index.build_index`).
2. ``read``: the input table (``id``, ``text``; every other column passes through), ids checked unique.
3. ``match``: broadcast path, one ``mapInArrow`` matching each batch against the index; join path (an index over
   ``broadcast_max_bytes``), the documents' n-gram hashes joined with the index table first. Per document: items
   hit, n-gram counts, merged spans, the cut text (``cut``) or the reason (``drop``, a failed cut).
4. ``write``: ``DIR/documents`` (every row in flag mode, the kept and cut rows otherwise, with ``contamination``)
   and ``DIR/contaminated`` (a row per document and item hit, with the spans) in one ``write_all``.
5. ``report``: per benchmark figures and example spans, ``report.json`` and ``report.html``.
"""

from __future__ import annotations

import argparse
from typing import Any

from corpussieve.runlog import run_key
from corpussieve.tables import Output, WriteSpec

HELP = "flag, drop or cut documents that share word n-grams with benchmark items (JSON Lines or Parquet files)"
#: the work is in Python workers and one small aggregation, as for clean and repetition
LOCAL_JIT = "quick"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, metavar="TABLE", help="Delta table with a unique 'id' and 'text'")
    parser.add_argument("--benchmarks", required=True, nargs="+", metavar="FILE",
                        help="benchmark files, JSON Lines (.jsonl, .jsonl.gz) or Parquet, each PATH or NAME=PATH")
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="folder for the documents and contaminated tables and report.json/html")
    parser.add_argument("--mode", choices=["flag", "drop", "cut"], default=None,
                        help="flag (default): keep every document with the contamination column; drop; cut")
    parser.add_argument("--ngram", type=int, default=None, help="words per n-gram (13)")
    parser.add_argument("--text-fields", nargs="+", default=None, metavar="FIELD",
                        help="benchmark fields matched, where present (default: question, prompt, ..., text)")
    parser.add_argument("--id-fields", nargs="+", default=None, metavar="FIELD",
                        help="benchmark fields holding the item id (default: id, task_id; else the row number)")
    parser.add_argument("--strategy", choices=["auto", "broadcast", "join"], default=None,
                        help="how the index meets the documents (auto: broadcast while it fits)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"decontaminate.mode": args.mode, "decontaminate.ngram": args.ngram,
            "decontaminate.text_fields": args.text_fields, "decontaminate.id_fields": args.id_fields,
            "decontaminate.strategy": args.strategy}


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    from corpussieve.decontaminate import stages as S
    from corpussieve.decontaminate.arrowfns import COUNTERS
    from corpussieve.decontaminate.benchmarks import BenchmarkSpec, fingerprint, read_benchmarks
    from corpussieve.decontaminate.index import build_index
    from corpussieve.decontaminate.report import render_html, report_sections, summary_of
    from corpussieve.repetition.stages import Cached
    from corpussieve.runlog import worker_totals

    cfg = ctx.config.decontaminate
    run = ctx.run
    tables = ctx.tables
    input_path = tables.normalize(args.input)
    out = tables.normalize(args.output).rstrip("/")
    input_version = tables.version(input_path)
    specs = [BenchmarkSpec.parse(a) for a in args.benchmarks]
    outputs = [Output(f"{out}/documents"), Output(f"{out}/contaminated")]
    key = run_key("decontaminate", input=input_path, input_version=input_version, output=out,
                  benchmarks=fingerprint(specs),
                  config=cfg.model_dump(mode="json"))
    done = run.resume(tables, key, outputs, f"{out}/report.json", {})
    if done:
        return done
    run.inputs = [{"table": input_path, "version": input_version},
                  *[{"table": s.path, "role": f"benchmark {s.name}"} for s in specs]]

    with run.stage("index") as st:
        benchmarks = read_benchmarks(args.benchmarks, cfg.text_fields, cfg.id_fields)
        index = build_index(benchmarks, cfg)
        strategy = S.choose_strategy(index, cfg)
        st.rows_in = sum(len(b.ids) for b in benchmarks)
        st.rows_out = int(index.items.size)
        st.details.update(bytes=index.nbytes, ngrams=int(index.hashes.size), strategy=strategy,
                          lengths=index.lengths.tolist())

    cached = Cached()
    try:
        with run.stage("read") as st:
            docs, rows, st.details["partitions"] = S.read_documents(ctx, input_path, input_version, cfg)
            st.rows_out = rows

        with run.stage("match") as st:
            matched = S.matched_documents(ctx.spark, docs, index, cfg, strategy, cached)
            from pyspark.sql import functions as F

            totals = worker_totals(matched)
            counts = {c: int(totals[f"n_{c}"]) for c in COUNTERS}
            reason_counts = {r["__reason"]: int(r["count"]) for r in
                             matched.filter(F.col("__reason").isNotNull()).groupBy("__reason").count().collect()}
            st.rows_in = int(totals["rows"])
            st.rows_out = counts["contaminated"]
            st.details.update(strategy=strategy, worker_seconds_match=round(float(totals["sec_match"]), 2))

        with run.stage("write") as st:
            metadata = {"job": "decontaminate", "run_id": run.run_id, "input": input_path,
                        "input_version": input_version}
            contaminated = S.contaminated_table(matched)
            results = tables.write_all([
                WriteSpec(S.documents_table(matched), f"{out}/documents", metadata=metadata),
                WriteSpec(contaminated, f"{out}/contaminated", metadata=metadata)], run.identity)
            run.outputs = [r.as_dict() for r in results]
            st.rows_out = counts["documents"] - counts["rejected"]

        with run.stage("report"):
            figures = S.benchmark_figures(contaminated, cfg.example_spans)
    finally:
        cached.release()  # however the run ends: the session may outlive the job

    seconds = run.elapsed()
    run.metrics.update(counts, docs_per_second=round(counts["documents"] / seconds, 1) if seconds else None,
                       worker_seconds_match=round(float(totals["sec_match"]), 2),
                       worker_ms_per_document=round(1000 * float(totals["sec_match"]) / counts["documents"], 4)
                       if counts["documents"] else None)
    sections = report_sections(
        input_path=input_path, input_version=input_version, output=out, cfg=cfg, strategy=strategy,
        index_bytes=index.nbytes, index_entries=int(index.items.size), index_lengths=index.lengths.tolist(),
        common=index.common, stats=index.stats, figures=figures, totals={**counts, "reasons": reason_counts},
        documents_out=counts["documents"] - counts["rejected"])
    return run.finish(summary_of(sections), f"{out}/report.json", render_html, **sections)
