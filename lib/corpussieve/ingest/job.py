"""The ingest job: read raw files in Spark, map them onto standard columns, keep bad records aside,
and commit the good and the rejected records as two Delta tables in one run.

``run`` is the order of the stages (``corpussieve.ingest.stages``); the workers' Arrow function is in
``arrowfns``, the rejection reasons in ``records.REASONS``, the report in ``report``."""

from __future__ import annotations

import argparse
from typing import Any

from corpussieve.ingest.files import expand_inputs, fingerprint
from corpussieve.runlog import run_key
from corpussieve.tables import Output, Txn, WriteSpec

HELP = "turn JSON Lines, Parquet or WARC files into a Delta table (bad records go to <TABLE>_rejected)"

APP_ID_PREFIX = "corpussieve-ingest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", nargs="+", action="extend", required=True, metavar="PATH",
                        help="files, directories or globs")
    parser.add_argument("--output", required=True, metavar="TABLE", help="Delta table to write")
    parser.add_argument("--format", choices=["auto", "jsonl", "parquet", "warc"], default=None,
                        help="input format (default: from each file's extension)")
    parser.add_argument("--mode", choices=["append", "overwrite"], default=None,
                        help="append (default; idempotent per input set) or overwrite")
    parser.add_argument("--batch-id", type=int, default=None, metavar="N",
                        help="scheduled refreshes: batch number N is committed at most once to this table")
    parser.add_argument("--source", default=None, help="source label for records that carry none")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"ingest.format": args.format, "ingest.mode": args.mode, "ingest.source": args.source}


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    from pyspark import StorageLevel

    from corpussieve.ingest import report, stages
    from corpussieve.reasons import reason_rows

    cfg = ctx.config.ingest
    run = ctx.run
    tables = ctx.tables
    output = tables.normalize(args.output)
    rejected_path = output + "_rejected"
    # a lake refresh names its own transaction id and report (``corpussieve.refresh``)
    report_path = getattr(args, "report", None) or f"{output}_report.json"
    app_id = getattr(args, "app_id", None) or APP_ID_PREFIX
    files = expand_inputs(args.input, cfg.format)
    bytes_in = sum(f.size for f in files)
    run.inputs = [{"files": len(files), "bytes": bytes_in, "formats": sorted({f.format for f in files}),
                   "fingerprint": fingerprint(files)}]

    txn = None
    if cfg.mode == "append":
        txn = (Txn(app_id, args.batch_id) if args.batch_id is not None
               else Txn(f"{APP_ID_PREFIX}-{fingerprint(files)}", 0))
        # The batch is the run: the same batch id (or the same files) is one run whatever the config says.
        key = run_key("ingest", output=output, mode="append", txn=[txn.app_id, txn.version])
    else:
        key = run_key("ingest", output=output, mode="overwrite", files=fingerprint(files),
                      config=cfg.model_dump(mode="json"))
    # The table's version before this batch: existing ids are checked against it, on the first attempt and on
    # a rerun that completes an interrupted one (which must not see the batch's own committed rows).
    version_now = tables.version(output) if tables.exists(output) else None
    run.resume(tables, key, [Output(output, cfg.mode, txn), Output(rejected_path, cfg.mode, txn)], None,
               {output: version_now})
    if run.recovery.complete:
        run.log.info("this input set (run %s%s) is already in %s and %s; nothing to do", key,
                     f", txn {txn.app_id} v{txn.version}" if txn else "", output, rejected_path)
        summary = {"output": output, "already_ingested": True, "txn": vars(txn) if txn else None,
                   "version": tables.version(output)}
        return run.finish(summary, report_path, report.render_html)
    base_version = run.pinned(output)
    appending = cfg.mode == "append" and base_version is not None

    with run.stage("read") as st:
        if cfg.mode == "append":
            stages.check_rejected_layout(tables, rejected_path)
        stages.check_one_format_family(files, output)
        records, extras = stages.read_records(ctx.spark, cfg, files)
        records = records.persist(StorageLevel.MEMORY_AND_DISK)
        counts = stages.count_by_ok(records)
        st.rows_in = sum(counts.values())
        st.rows_out = counts.get(True, 0)
        st.details["files"] = len(files)

    with run.stage("normalize") as st:
        good = records.filter("ok")
        if files[0].format != "parquet":
            good, extras = stages.expand_extras(ctx.spark, good)
        good = stages.resolve_duplicate_ids(good)
        if appending:
            good = stages.reject_existing_ids(tables, good, output, base_version)
        good = good.persist(StorageLevel.MEMORY_AND_DISK)
        st.rows_in = counts.get(True, 0)
        st.rows_out = good.filter("ok").count()

    documents = stages.documents(good, extras)
    if appending:
        documents = stages.align_to_table(tables, documents, output, base_version)
    rejected = stages.rejected_rows(records, good)

    with run.stage("write") as st:
        metadata = {"job": "ingest", "run_id": run.run_id, "inputs": len(files), "fingerprint": fingerprint(files)}
        results = tables.write_all([
            WriteSpec(documents, output, cfg.mode, txn=txn, metadata=metadata),
            WriteSpec(rejected, rejected_path, cfg.mode, txn=txn, metadata=metadata),
        ], run.identity)
        st.rows_out = results[0].rows
        st.details["version"] = results[0].version

    with run.stage("report"):
        by_reason, stats = stages.report_figures(rejected, good)
        records.unpersist()
        good.unpersist()
        run.metrics.update(report.metrics(len(files), bytes_in, sum(counts.values()), by_reason, stats,
                                          run.elapsed()))
        run.outputs = [r.as_dict() for r in results]
    summary = report.summary(output, rejected_path, results[0], run.metrics, report_path)
    return run.finish(summary, report_path, report.render_html, reasons=reason_rows(by_reason))
