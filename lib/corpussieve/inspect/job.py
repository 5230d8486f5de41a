"""``corpussieve inspect``: the data card of a table of documents (``DIR/card.json`` and ``DIR/card.html``).

Stages (each a named, timed step of the run log):

1. ``read``: the input table (``id``, ``text``; ``source``, ``language``, ``url``, clean's ``quality`` and
   dedup's ``cluster_size`` when present), ids checked unique and non-null (the id column only).
2. ``measure`` (pass 1): ``mapInArrow`` tokenizes every document and sums documents, characters and tokens per
   (source, language), per registered domain, per URL path depth and per length bin, per Arrow batch; Spark
   sums the batches.
3. ``domains``: the per-domain sums reduced in Spark to the domain count, the largest domains and the
   concentration sums (entropy, top share).
4. ``signals`` (pass 2, Spark SQL only): quantiles of every stored quality signal and of the length.
5. ``rejected`` / ``removed``: the rejection reasons and the duplicate counts, when those tables are given.
6. ``report``: the card's sections, the three axis scores and the weakest axis
   (:mod:`corpussieve.inspect.figures` says how each is computed), card.json and card.html.

Nothing is written but the card. ``--lake DIR`` takes the lake's documents, rejected and removed tables and its
repetition report (``_reports/repetition/report.json``, written by ``refresh --repetition``) when present.
"""

from __future__ import annotations

import argparse
from typing import Any

from corpussieve.errors import ConfigError, InputError
from corpussieve.repetition.tokenizers import TOKENIZER_NAMES
from corpussieve.runlog import read_json

HELP = "write a data card (card.json, card.html): quantity, quality, coverage, the weakest axis, synthetic share"
#: small aggregations after one tokenizing pass: C2 would compile code that runs for seconds (see repetition)
LOCAL_JIT = "quick"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", default=None, metavar="TABLE",
                        help="Delta table with a unique 'id' and a string 'text' (and whatever else it has)")
    parser.add_argument("--lake", default=None, metavar="DIR",
                        help="a lake built by refresh: its documents, rejected and removed tables and repetition "
                             "report (each flag below overrides its part)")
    parser.add_argument("--output", required=True, metavar="DIR", help="folder for card.json and card.html")
    parser.add_argument("--plan", default=None, metavar="PLAN.yaml",
                        help="training plan: training_tokens for the quantity score, sources marked synthetic")
    parser.add_argument("--rejected", default=None, metavar="TABLE", help="clean's rejected table (reason columns)")
    parser.add_argument("--removed", default=None, metavar="TABLE", help="dedup's removed table")
    parser.add_argument("--repetition", default=None, metavar="REPORT.json", help="a repetition job's report.json")
    parser.add_argument("--tokenizer", choices=TOKENIZER_NAMES, default=None, help="cl100k (default), gpt2 or word")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"inspect.tokenizer": getattr(args, "tokenizer", None)}


def resolve_inputs(tables, config, args: argparse.Namespace) -> dict[str, str | None]:
    """The tables and report the card reads: the flags, else the lake's (those that exist)."""
    from corpussieve.refresh.lake import Lake

    chosen = {"input": args.input, "rejected": args.rejected, "removed": args.removed,
              "repetition": args.repetition}
    if args.lake:
        lake = Lake(tables.normalize(args.lake).rstrip("/"), config.refresh.tables)
        if not tables.exists(lake.path("documents")):
            raise InputError("the lake has no documents table (run refresh first)", table=lake.path("documents"))
        chosen["input"] = chosen["input"] or lake.path("documents")
        for name in ("rejected", "removed"):
            if chosen[name] is None and tables.exists(lake.path(name)):
                chosen[name] = lake.path(name)
        report = f"{lake.reports}/repetition/report.json"
        if chosen["repetition"] is None and read_json(report) is not None:
            chosen["repetition"] = report
    elif not args.input:
        raise ConfigError("config error: give --input TABLE or --lake DIR")
    return {k: (tables.normalize(v) if v and k != "repetition" else v) for k, v in chosen.items()}


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    from corpussieve.inspect import stages as S
    from corpussieve.inspect.report import card_sections, render_html, summary_of
    from corpussieve.repetition.plan import load_plan
    from corpussieve.repetition.stages import Cached

    cfg = ctx.config.inspect
    run = ctx.run
    tables = ctx.tables
    plan = load_plan(args.plan) if getattr(args, "plan", None) else None
    paths = resolve_inputs(tables, ctx.config, args)
    repetition = None
    if paths["repetition"]:
        repetition = read_json(paths["repetition"])
        if not isinstance(repetition, dict) or repetition.get("job") != "repetition":
            raise InputError("not a repetition job's report.json (missing or unreadable)",
                             table=paths["repetition"], expected="the report.json a repetition run wrote")
    input_path = paths["input"]
    out = tables.normalize(args.output).rstrip("/")
    input_version = tables.version(input_path)
    versions = {k: tables.version(paths[k]) for k in ("rejected", "removed") if paths[k]}
    run.inputs = [{"table": input_path, "version": input_version}]
    run.inputs += [{"table": paths[k], "version": v, "role": k} for k, v in versions.items()]

    cached = Cached()
    try:
        with run.stage("read") as st:
            table, docs, st.details["partitions"] = S.read_documents(ctx, input_path, input_version, cfg)

        with run.stage("measure") as st:
            partials = cached.persist(S.partial_sums(docs, cfg))
            summed = S.summed_partials(partials)
            workers = summed.pop("workers")
            st.rows_in = sum(r["documents"] for r in summed["group"])
            st.rows_out = workers["rows"]
            st.details.update(tokens=sum(r["tokens"] for r in summed["group"]), tokenizer=cfg.tokenizer,
                              worker_seconds_tokenize=round(workers["sec_tokenize"], 2),
                              worker_seconds_urls=round(workers["sec_urls"], 2))

        with run.stage("domains") as st:
            domains, concentration = S.domain_figures(partials, cfg, cached)
            st.rows_out = domains["domains"]

        with run.stage("signals") as st:
            columns = S.column_figures(table, cfg)
            st.rows_in, st.rows_out = columns["rows"], len(columns["signals"])
    finally:
        cached.release()  # however the run ends: the session may outlive the job

    rejection = removal = None
    if paths["rejected"]:
        with run.stage("rejected") as st:
            rejection = S.rejection_figures(tables, paths["rejected"], versions["rejected"], cfg)
            st.rows_in = rejection["rejected"]
    if paths["removed"]:
        with run.stage("removed") as st:
            removal = S.removal_figures(tables, paths["removed"], versions["removed"])
            st.rows_in = removal["removed"]

    with run.stage("report"):
        sections = card_sections(
            input_path=input_path, input_version=input_version, tokenizer=cfg.tokenizer, partials=summed,
            domains=domains, concentration=concentration, has_url="url" in table.columns, columns=columns,
            rejection=rejection, removal=removal, repetition=repetition, repetition_path=paths["repetition"],
            plan=plan, plan_path=getattr(args, "plan", None), cfg=cfg,
            assumed_params=ctx.config.repetition.risk.assumed_model_params)
        seconds = run.elapsed()
        documents = sections["quantity"]["documents"]
        run.metrics.update(documents=documents, tokens=sections["quantity"]["tokens"],
                           docs_per_second=round(documents / seconds, 1) if seconds else None)
        summary = summary_of(sections, out)
    return run.finish(summary, f"{out}/card.json", render_html, **sections)
