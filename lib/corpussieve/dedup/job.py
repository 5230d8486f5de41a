"""The dedup job: exact and MinHash-LSH near-duplicate removal over a Delta table, optionally incremental
against an index of everything kept before.

``run`` is the order of the stages (``corpussieve.dedup.stages``); the workers' Arrow functions are in
``arrowfns``, the report's sections and report.html in ``report``."""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from corpussieve.runlog import run_key
from corpussieve.tables import Output, Txn, WriteSpec

HELP = "remove exact and near-duplicate documents (MinHash LSH), optionally against an index of earlier batches"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, metavar="TABLE", help="Delta table with unique 'id' and 'text'")
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="folder for the documents and clusters tables and report.json/html")
    parser.add_argument("--threshold", type=float, default=None,
                        help="Jaccard similarity of word n-gram sets at which documents are duplicates (0.8)")
    parser.add_argument("--num-perm", type=int, default=None, help="MinHash permutations (128)")
    parser.add_argument("--sketch", choices=["auto", "one_permutation", "permutations"], default=None,
                        help="how signatures are made (auto: the index's scheme, else one_permutation)")
    parser.add_argument("--ngram", type=int, default=None, help="words per shingle (5)")
    parser.add_argument("--bands", type=int, default=None, help="LSH bands (with --rows; default: optimized)")
    parser.add_argument("--rows", type=int, default=None, help="signature values per band (with --bands)")
    parser.add_argument("--index", default=None, metavar="TABLE",
                        help="incremental mode: dedup against this index of kept documents and append to it")
    parser.add_argument("--keep", default=None, metavar="RULE",
                        help="earliest_fetch_time (default), longest_text, lowest_id or highest:<column>")
    parser.add_argument("--verification", choices=["signature", "borderline", "exact"], default=None,
                        help="confirm candidates by MinHash estimate, by exact shingle Jaccard near "
                             "the threshold only (default), or by exact shingle Jaccard always")


QUICK_JIT_MAX_ROWS = 300_000
"""Input rows (plus index rows) up to which ``spark.jit: auto`` gives dedup's local driver JVM the C1 compiler
only. Measured on 2 cores (the bench's generated corpus, the same command back to back, wall seconds, C1 only
against C1 and C2): 50,000 documents 24.7 and 25.6 s against 30.5 and 32.5 s (C2's compiler thread takes a
core from the Python sketch pass while the run is short); 200,000 documents 45.0 s against 51.8 and 54.3 s;
1,000,000 documents 156.1 s against 145.1 s (the JVM's own work is long enough to use C2's code). Were the
gain fixed and the loss proportional to size, they would cross near 390,000."""


def local_jit(args: argparse.Namespace, config) -> str:
    """``spark.jit: auto`` for dedup: quick for small runs (see ``QUICK_JIT_MAX_ROWS``), full otherwise and
    whenever the size cannot be read from the tables' logs."""
    from corpussieve.tables.base import rows_in_log

    options = dict(config.tables.storage_options)
    rows = [rows_in_log(args.input, options), rows_in_log(args.index, options) if args.index else 0]
    if any(r is None for r in rows):  # a new index included: its first batch is sized by nothing here
        return "full"
    return "quick" if sum(rows) <= QUICK_JIT_MAX_ROWS else "full"


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"dedup.threshold": args.threshold, "dedup.num_perm": args.num_perm, "dedup.ngram": args.ngram,
            "dedup.sketch": args.sketch,
            "dedup.bands": args.bands, "dedup.rows": args.rows, "dedup.keep": args.keep,
            "dedup.verification": args.verification}


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    from corpussieve.dedup.checkpoints import ParquetCheckpoints
    from corpussieve.dedup.index import index_txn_app_id, sketch_id
    from corpussieve.dedup.lsh import plan_for_config
    from corpussieve.dedup.report import banding_section, keep_rule_statement, render_html, size_histogram
    from corpussieve.dedup.stages import DedupStages, deduplicate, rule_columns

    cfg = ctx.config.dedup
    run = ctx.run
    tables = ctx.tables
    input_path = tables.normalize(args.input)
    out = tables.normalize(args.output).rstrip("/")
    index_path = tables.normalize(args.index) if args.index else None
    plan = plan_for_config(cfg)
    run.log.info("banding: %s", plan.describe())

    input_version = tables.version(input_path)
    batch = tables.require(input_path, ["id", "text", *rule_columns(cfg.keep_rule)], version=input_version)
    if cfg.keep_rule.kind == "earliest_fetch_time" and "fetch_time" not in batch.columns:
        run.log.warning("%s has no fetch_time column: every document ties on the keep rule, the lowest id wins",
                        input_path)
    txn = Txn(index_txn_app_id(input_path), input_version) if index_path else None
    outputs = [Output(f"{out}/documents"), Output(f"{out}/clusters")]
    if index_path:
        outputs.append(Output(index_path, "append", txn))
    key = run_key("dedup", input=input_path, input_version=input_version, output=out, index=index_path,
                  config=cfg.model_dump(mode="json"))
    index_now = tables.version(index_path) if index_path and tables.exists(index_path) else None
    done = run.resume(tables, key, outputs, f"{out}/report.json", {index_path: index_now} if index_path else {})
    if done:
        return done
    # The index as this run first saw it: a rerun completing an interrupted run must not dedup the batch
    # against the batch's own rows, appended to the index by the attempt that died.
    index_version = run.pinned(index_path) if index_path else None
    index = tables.read(index_path, index_version) if index_version is not None else None
    run.inputs = [{"table": input_path, "version": input_version}]
    if index_path:
        run.inputs.append({"table": index_path, "version": index_version, "role": "index"})

    tmp_root = cfg.checkpoint_dir or f"{out}/_tmp"
    checkpoints = ParquetCheckpoints(ctx.spark, tmp_root)
    stages = DedupStages(ctx.spark, cfg, plan, batch, input_path, checkpoints, index, index_path)
    c = stages.counts
    try:
        deduplicate(run, stages)
        with run.stage("write") as st:
            metadata = {"job": "dedup", "run_id": run.run_id, "input": input_path, "input_version": input_version}
            # documents (every kept text) streams: staging it cached the whole text once more (WriteSpec.stream)
            specs = [WriteSpec(stages.documents_table(), f"{out}/documents", metadata=metadata, stream=True),
                     WriteSpec(stages.clusters_table(), f"{out}/clusters", metadata=metadata)]
            if index_path:
                specs.append(WriteSpec(stages.index_rows(input_version), index_path, "append", txn=txn,
                                       metadata=metadata))
            results = tables.write_all(specs, run.identity)
            st.rows_out = results[0].rows
        with run.stage("report"):  # before the checkpoints go: the largest clusters are read from them
            largest = stages.largest_clusters(cfg.report_clusters)
    finally:
        checkpoints.cleanup()
        if cfg.checkpoint_dir is None:
            shutil.rmtree(tmp_root, ignore_errors=True)

    seconds = run.elapsed()
    run.metrics.update({k: v for k, v in c.items() if k != "cluster_sizes"})
    run.metrics["sketch_id"] = sketch_id(stages.cfg)
    run.metrics["mb_per_second"] = round(c["text_bytes"] / 1e6 / seconds, 2) if seconds else None
    run.metrics["docs_per_second"] = round(c["documents"] / seconds, 1) if seconds else None
    run.outputs = [r.as_dict() for r in results]
    incremental = None
    if index_path:
        index_result = results[2]
        incremental = {
            "index": index_path, "index_version_before": index_version,
            "index_version_after": index_result.version, "index_nodes_involved": c["index_nodes"],
            "batch_ids_already_indexed": c["batch_ids_in_index"] if index is not None else 0,
            "removed_against_index": c["removed_against_index"] if index is not None else 0,
            "rows_appended": index_result.rows if index_result.committed else 0,
            "committed": index_result.committed, "txn_app_id": txn.app_id, "txn_version": txn.version,
        }
    summary = {
        "output": out, "documents": c["documents"], "kept": c["kept"], "removed_exact": c["removed_exact"],
        "removed_near": c["removed_near"], "blank_documents": c["blank_documents"],
        "banding": f"{plan.bands}x{plan.rows}", "sketch": stages.cfg.sketch, "seconds": round(seconds, 1),
        "report": f"{out}/report.json",
    }
    if incremental:
        summary["index"] = {k: incremental[k] for k in ("index", "rows_appended", "committed",
                                                        "removed_against_index")}
    return run.finish(summary, f"{out}/report.json", render_html, banding=banding_section(plan, cfg),
                      keep_rule=keep_rule_statement(cfg, index_path is not None, batch.columns),
                      cluster_size_histogram=size_histogram(c["cluster_sizes"]),
                      cluster_sizes={str(k): v for k, v in sorted(c["cluster_sizes"].items())},
                      largest_clusters=largest, incremental=incremental)
