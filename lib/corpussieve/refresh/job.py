"""The refresh: one batch of raw files into a lake of Delta tables, exactly once, at the cost of the batch.

Stage order (Inspect -> Deduplicate -> Clean: dedup runs before the expensive clean, so no page a duplicate
removes is ever cleaned):

1. ``ingest``: ingest's job appends the files to ``raw`` (and bad records to ``raw_rejected``), the batch id as
   the Delta ``txn`` version: a batch lands at most once.
2. ``read``: the rows ``raw`` gained since the version the last refresh consumed (the add actions of the
   commits in between, ``Tables.read_appended``).
3. ``dedup.*``: dedup's stages, within the new rows and against ``index`` (indexed documents are never
   removed).
4. ``clean.*``: clean's stages on the survivors, site boilerplate judged on the line counts of every batch so
   far (``site_lines``) plus this one's; a paragraph an earlier batch holds (``paragraphs``) is removed from
   every new document.
5. ``write``: ``index``, ``removed``, ``documents``, ``rejected``, ``site_lines`` and ``paragraphs`` appended in one
   ``write_all``, each under a ``txn`` (one application id per step and lake, the batch as version); every
   commit records the run key and the versions read, so a rerun after a kill commits only what is missing,
   computed from the same versions.
6. ``log``: the ``refresh_log`` rows (the refresh is complete when they are there), then the report.
"""

from __future__ import annotations

import argparse
import shutil
from typing import Any

HELP = "bring a batch of raw files into a lake of Delta tables: ingest, dedup against the lake, clean, append"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", required=True, metavar="DIR", help="the lake's root folder (created if missing)")
    parser.add_argument("--input", nargs="+", action="extend", required=True, metavar="PATH",
                        help="the batch's files, directories or globs (JSON Lines, Parquet or WARC)")
    parser.add_argument("--batch-id", type=int, default=None, metavar="N",
                        help="the batch's number (default: the interrupted refresh's, else the last one + 1)")
    parser.add_argument("--format", choices=["auto", "jsonl", "parquet", "warc"], default=None,
                        help="input format (default: from each file's extension)")
    parser.add_argument("--source", default=None, help="source label for records that carry none")
    parser.add_argument("--repetition", action="store_true", default=None,
                        help="also write the repetition report of the whole documents table, with its trend")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"ingest.format": args.format, "ingest.source": args.source, "refresh.repetition": args.repetition}


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    from corpussieve.ingest.files import expand_inputs, fingerprint
    from corpussieve.refresh import stages
    from corpussieve.refresh.lake import Lake, LakeLock
    from corpussieve.refresh.report import render_html, report_sections

    config = ctx.config
    run = ctx.run
    tables = ctx.tables
    lake = Lake(tables.normalize(args.lake).rstrip("/"), config.refresh.tables)
    files = expand_inputs(args.input, config.ingest.format)
    prints = fingerprint(files)
    with LakeLock(lake, run.run_id, "refresh", config.refresh.stale_lock_after_hours):
        lake.check(tables)
        log_rows = stages.read_log(tables, lake)
        batch = stages.choose_batch(tables, lake, log_rows, args.batch_id, prints)
        stages.check_same_files(tables, lake, batch, prints)
        report_path = f"{lake.reports}/refresh-{batch}/report.json"
        if batch in stages.refreshed_batches(log_rows):
            run.log.info("refresh %d of lake %s is complete already: nothing to do", batch, lake.root)
            summary = {"lake": lake.root, "refresh": batch, "already_complete": True,
                       "steps": [r for r in log_rows if r["refresh"] == batch]}
            return summary

        with run.stage("ingest") as st:
            ingested = stages.ingest(ctx.spark, tables, config, lake, args.input, batch)
            st.rows_out = ingested["summary"].get("documents")
        steps = stages.RefreshStages(ctx, lake, batch, log_rows, ingested)
        if not steps.resume():  # every output landed already: an earlier attempt died before the log
            try:
                steps.read()
                steps.dedup()
                steps.clean()
                steps.write()
            finally:
                steps.cleanup()
        if config.refresh.repetition:
            steps.repetition()
        log_now = steps.write_log()
        summary = steps.summary(report_path)
        if run.recovery is not None and run.recovery.partial:
            summary["completed_interrupted_run"] = {"already_committed": run.recovery.landed,
                                                    "committed_now": run.recovery.missing}
        return run.finish(summary, report_path, render_html,
                          **report_sections(batch, log_now, [*log_rows, *log_now]))


__all__ = ["HELP", "add_arguments", "overrides", "run"]
