"""The ``corpussieve`` command: one entry point for the console script, ``python -m corpussieve``,
``jobs/<job>.py`` under spark-submit, and ``scripts/submit.sh``."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from dataclasses import dataclass
from typing import Any

from corpussieve import __version__
from corpussieve.config import Config, build_config, default_config_yaml
from corpussieve.errors import CorpusSieveError
from corpussieve.runlog import JobRun, setup_logging

log = logging.getLogger("corpussieve.cli")

# Spark jobs: name -> module. Each module has HELP, add_arguments(parser), overrides(args) and run(ctx, args).
JOBS: dict[str, str] = {
    "ingest": "corpussieve.ingest.job",
    "clean": "corpussieve.clean.job",
    "dedup": "corpussieve.dedup.job",
    "repetition": "corpussieve.repetition.job",
    "refresh": "corpussieve.refresh.job",
    "inspect": "corpussieve.inspect.job",
    "format": "corpussieve.format.job",
    "decontaminate": "corpussieve.decontaminate.job",
}


@dataclass
class JobContext:
    """What a job gets: the session, the table layer, the validated config and the run's log."""

    spark: Any
    tables: Any
    config: Config
    run: JobRun


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--conf", action="append", default=[], metavar="FILE.yaml",
                        help="configuration file; repeat to layer several (later wins)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sets",
                        help="override one configuration key, e.g. --set dedup.threshold=0.85")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="corpussieve's own log level (Spark's is spark.log_level)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpussieve",
        description="Spark jobs that turn raw web text into LLM training data over Delta tables.",
    )
    parser.add_argument("--version", action="version", version=f"corpussieve {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name in JOBS.items():
        module = importlib.import_module(module_name)
        job_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(job_parser)
        _common_arguments(job_parser)

    gen = sub.add_parser("generate", help="write the deterministic sample corpus (JSON Lines or WARC)")
    from corpussieve.sample import cli as sample_cli

    sample_cli.add_arguments(gen)
    gen.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    hist = sub.add_parser("history", help="print a Delta table's commit history as JSON lines")
    hist.add_argument("table", help="table path")
    hist.add_argument("--limit", type=int, default=None, help="newest N commits only")
    _common_arguments(hist)

    maint = sub.add_parser("maintain", help="compact a Delta table's small files and VACUUM unused ones",
                           description="Compact small files into files of about --target-file-mb, then VACUUM "
                                       "files no version within --retention-hours needs. Neither flag: both.")
    maint.add_argument("table", help="table path")
    maint.add_argument("--compact", action="store_true", help="compact small files")
    maint.add_argument("--vacuum", action="store_true", help="delete files no recent version references")
    maint.add_argument("--retention-hours", type=int, default=None, metavar="H",
                       help="keep files older versions need for H hours (default: the table's "
                            "delta.deletedFileRetentionDuration, 168)")
    maint.add_argument("--force-short-retention", action="store_true",
                       help="allow a retention under the table's minimum (168 hours by default)")
    maint.add_argument("--target-file-mb", type=float, default=None, metavar="N",
                       help="size of compacted files in MiB (default: delta.targetFileSize, else 128)")
    maint.add_argument("--dry-run", action="store_true", help="report what would be done, change nothing")
    _common_arguments(maint)

    why = sub.add_parser("why", help="what happened to one document in a lake: kept, removed as a duplicate of "
                                     "which, or rejected by which filters",
                         description="Look a document id up in every table of a lake built by refresh.")
    why.add_argument("id", help="the document id")
    why.add_argument("--lake", required=True, metavar="DIR", help="the lake's root folder")
    _common_arguments(why)

    forget = sub.add_parser("forget", help="delete documents by id from every table of a lake (privacy and "
                                           "takedown requests), in committed Delta deletes, logged",
                            description="Delete the listed ids from raw, raw_rejected, index, removed, documents "
                                        "and rejected; each table one committed DELETE (none where nothing "
                                        "matches), the request logged in refresh_log.")
    forget.add_argument("--lake", required=True, metavar="DIR", help="the lake's root folder")
    forget.add_argument("--ids", required=True, metavar="FILE", help="one document id per line")
    _common_arguments(forget)

    show = sub.add_parser("show-config", help="print the resolved configuration as YAML")
    show.add_argument("--defaults", action="store_true", help="print the commented defaults (conf/defaults.yaml)")
    _common_arguments(show)
    return parser


def _jit_default(module, args: argparse.Namespace, config) -> str:
    """What ``spark.jit: auto`` means for this job: its ``LOCAL_JIT``, or what its ``local_jit(args, config)``
    chooses from the size of its input (only asked when the choice matters: jit auto, a local session)."""
    from corpussieve.session import under_spark_submit

    chooser = getattr(module, "local_jit", None)
    if chooser is not None and config.spark.jit == "auto" and not under_spark_submit():
        return chooser(args, config)
    return getattr(module, "LOCAL_JIT", "full")


def run_job(name: str, args: argparse.Namespace, spark=None) -> dict[str, Any]:
    """Build config, session and tables, run job ``name``, and return its summary."""
    from corpussieve.session import build_session
    from corpussieve.tables import Tables

    module = importlib.import_module(JOBS[name])
    config = build_config(args.conf, args.sets, module.overrides(args))
    owns_session = spark is None
    if owns_session:
        spark = build_session(config.spark, app_name=f"corpussieve-{name}",
                              jit_default=_jit_default(module, args, config))
    try:
        run = JobRun(name, config)
        ctx = JobContext(spark=spark, tables=Tables(spark, config.tables), config=config, run=run)
        log.info("%s: run %s started (table backend %s)", name, run.run_id, ctx.tables.backend_name)
        summary = module.run(ctx, args)
        if run.recovery is not None and run.recovery.partial:
            # The previous attempt died between two commits: say which outputs this run completed.
            summary["completed_interrupted_run"] = {"already_committed": run.recovery.landed,
                                                    "committed_now": run.recovery.missing}
        log.info("%s: run %s finished in %.1fs", name, run.run_id, run.elapsed())
        return summary
    finally:
        if owns_session:
            spark.stop()


def main(argv: list[str] | None = None, spark=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "log_level", "INFO"))
    try:
        if args.command in JOBS:
            summary = run_job(args.command, args, spark=spark)
            print(json.dumps(summary, indent=2, default=str))
        elif args.command == "generate":
            from corpussieve.sample import cli as sample_cli

            print(json.dumps(sample_cli.run(args), indent=2, default=str))
        elif args.command == "show-config":
            if args.defaults:
                print(default_config_yaml(), end="")
            else:
                import yaml

                config = build_config(args.conf, args.sets)
                print(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), end="")
        elif args.command == "history":
            _history(args, spark)
        elif args.command == "maintain":
            print(json.dumps(_maintain(args, spark), indent=2, default=str))
        elif args.command in ("why", "forget"):
            print(json.dumps(_audit(args, spark), indent=2, default=str))
        return 0
    except CorpusSieveError as exc:
        print(f"corpussieve: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("corpussieve: interrupted; nothing was committed by the unfinished step", file=sys.stderr)
        return 130


def _maintain(args: argparse.Namespace, spark=None) -> dict[str, Any]:
    from corpussieve.session import build_session
    from corpussieve.tables import Tables
    from corpussieve.tables.maintain import maintain

    config = build_config(args.conf, args.sets)
    owns = spark is None
    if owns:
        spark = build_session(config.spark, app_name="corpussieve-maintain")
    try:
        return maintain(Tables(spark, config.tables), args.table, compact=args.compact, vacuum=args.vacuum,
                        retention_hours=args.retention_hours, target_file_mb=args.target_file_mb,
                        dry_run=args.dry_run, force_short_retention=args.force_short_retention,
                        run_id=JobRun("maintain", config).run_id)
    finally:
        if owns:
            spark.stop()


def _audit(args: argparse.Namespace, spark=None) -> dict[str, Any]:
    """``why`` and ``forget`` over a lake (``corpussieve.refresh.audit``)."""
    from corpussieve.refresh import audit
    from corpussieve.refresh.lake import Lake
    from corpussieve.session import build_session
    from corpussieve.tables import Tables

    config = build_config(args.conf, args.sets)
    ids = audit.read_ids(args.ids) if args.command == "forget" else None
    owns = spark is None
    if owns:
        spark = build_session(config.spark, app_name=f"corpussieve-{args.command}")
    try:
        tables = Tables(spark, config.tables)
        lake = Lake(tables.normalize(args.lake).rstrip("/"), config.refresh.tables)
        if args.command == "why":
            return audit.why(tables, lake, args.id)
        run = JobRun("forget", config)
        return audit.forget(JobContext(spark, tables, config, run), lake, ids, args.ids)
    finally:
        if owns:
            spark.stop()


def _history(args: argparse.Namespace, spark=None) -> None:
    from corpussieve.session import build_session
    from corpussieve.tables import Tables

    config = build_config(args.conf, args.sets)
    owns = spark is None
    if owns:
        spark = build_session(config.spark, app_name="corpussieve-history")
    try:
        for entry in Tables(spark, config.tables).history(args.table, args.limit):
            print(json.dumps(entry, default=str))
    finally:
        if owns:
            spark.stop()


if __name__ == "__main__":
    raise SystemExit(main())
