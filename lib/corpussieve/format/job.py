"""``corpussieve format``: tokenized, mixed and shuffled training shards (Megatron .bin/.idx, or text), with a
manifest Delta table, a report of the mix and the stream's repetition risk.

Stages (each a named, timed step of the run log):

1. ``read``: the input table (``id``, ``text``, optional ``source``), ids checked unique and non-null.
2. ``tokenize``: ``mapInArrow`` tokenizes every document (the repetition job's tokenizers) and caches the token
   ids (4 bytes per token) or, for text shards, the text; stream tokens per source (each document + 1 for its
   end-of-document token). Null texts are refused, naming the rows.
3. ``mix``: the plan's passes per source (:class:`~corpussieve.repetition.plan.TrainingPlan`, over stream
   tokens); whole epochs repeat every document, a fractional one takes the seeded subset of documents closest
   to its tokens (:mod:`corpussieve.format.mixing`); every document gets its number of copies.
4. ``shards``: each copy goes to its shard by a seeded hash of (seed, id, copy); one executor per shard orders
   its copies by that hash and writes the shard to ``DIR/_staging/RUN/`` (:mod:`corpussieve.format.arrowfns`).
5. ``risk``: how often training reads each document's text (identical texts pooled), graded with the
   repetition job's harmful band.
6. ``place``: staged files moved to ``DIR/shards/RUN/`` (a file already there with the same bytes is kept).
7. ``write``: the manifest ``DIR/manifest`` overwritten in one commit under the transaction (``txn``) of the
   output folder, versioned by the input's version: the manifest only ever names complete shards, and the same
   command again commits nothing. Then the shard folders of other runs are removed.
8. ``report``: ``DIR/report.json`` and ``DIR/report.html``.
"""

from __future__ import annotations

import argparse
from typing import Any

import xxhash

from corpussieve.format import files
from corpussieve.format import stages as S
from corpussieve.format.mixing import planned_by_source, shard_count, source_mixes
from corpussieve.format.report import render_html, report_sections, run_metrics, summary_of
from corpussieve.format.vocab import vocabulary
from corpussieve.repetition.plan import load_plan, resolve_plan
from corpussieve.repetition.risk import assess_risk
from corpussieve.repetition.stages import Cached
from corpussieve.repetition.tokenizers import TOKENIZER_NAMES, get_tokenizer
from corpussieve.runlog import run_key
from corpussieve.tables import Output, Txn, WriteSpec

HELP = "tokenize, mix by a training plan and shuffle a table into training shards (Megatron .bin/.idx or text)"
#: ``spark.jit: auto`` in local mode: C1 only, the repetition job's choice (measured there, 90M tokens 77.9 s ->
#: 68.3 s): tokenizing in Python workers dominates here too. Not measured apart for this job: the one run with
#: C2 (30k documents, 18M tokens) fell on a machine loaded 5x over its 2 cores and says nothing either way.
LOCAL_JIT = "quick"
APP_ID_PREFIX = "corpussieve-format"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, metavar="TABLE",
                        help="Delta table with a unique 'id' and a string 'text' ('source' when known)")
    parser.add_argument("--plan", default=None, metavar="PLAN.yaml",
                        help="training plan: training_tokens and per-source weight or epochs (default: one pass "
                             "over every source)")
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="folder for shards/, the manifest table and report.json/html")
    parser.add_argument("--tokenizer", choices=TOKENIZER_NAMES, default=None, help="cl100k (default), gpt2 or word")
    parser.add_argument("--shard-format", choices=["megatron", "jsonl", "parquet"], default=None,
                        help="megatron .bin/.idx (default), or the text as JSON Lines or Parquet")
    parser.add_argument("--seed", type=int, default=None, help="seed of the order and of fractional epochs")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"format.tokenizer": getattr(args, "tokenizer", None),
            "format.shard_format": getattr(args, "shard_format", None), "format.seed": getattr(args, "seed", None)}


def manifest_app_id(output: str) -> str:
    """The manifest's transaction id: one per output folder; its version is the input table's."""
    return f"{APP_ID_PREFIX}-{xxhash.xxh3_64_hexdigest(output.encode('utf-8'))}"


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    cfg = ctx.config.format
    run = ctx.run
    tables = ctx.tables
    plan_path = getattr(args, "plan", None)
    plan = load_plan(plan_path) if plan_path else None
    vocab = vocabulary(cfg.tokenizer)
    input_path = tables.normalize(args.input)
    out = tables.normalize(args.output).rstrip("/")
    manifest = f"{out}/manifest"
    input_version = tables.version(input_path)
    key = run_key("format", input=input_path, input_version=input_version, output=out,
                  config=cfg.model_dump(mode="json"), plan=plan.model_dump(mode="json") if plan else None)
    txn = Txn(manifest_app_id(out), input_version)
    S.refuse_other_formatting(tables, manifest, txn.app_id, input_version, key, out)
    done = run.resume(tables, key, [Output(manifest, "overwrite", txn)], f"{out}/report.json", {})
    if done:
        return done
    run.inputs = [{"table": input_path, "version": input_version}]
    tokenizer = get_tokenizer(cfg.tokenizer)
    staging, run_dir = f"{out}/_staging/{key}", f"shards/{key}"

    cached = Cached()
    try:
        with run.stage("read") as st:
            docs, st.details["partitions"] = S.read_documents(ctx, input_path, input_version, cfg, plan,
                                                                 plan_path)

        with run.stage("tokenize") as st:
            tokens_df = cached.persist(S.tokenize(docs, cfg))
            stats = S.source_stats(tokens_df)
            S.refuse_null_texts(tokens_df, stats, input_path)
            st.rows_out = sum(s["documents"] for s in stats.values())
            st.details.update(tokens=sum(s["text_tokens"] for s in stats.values()), tokenizer=tokenizer.name)

        with run.stage("mix") as st:
            S.refuse_unknown_sources(plan, stats, input_path, plan_path)
            stream_tokens = {name: s["tokens"] for name, s in stats.items() if s["documents"]}
            resolved = resolve_plan(plan, stream_tokens, ctx.config.repetition.risk.assumed_model_params)
            weights = {name: spec.weight for name, spec in (plan.sources.items() if plan else [])}
            mixes = source_mixes(resolved.passes, {n: stats[n]["documents"] for n in stream_tokens}, stream_tokens,
                                 weights)
            ranked = S.with_rank(tokens_df, cfg.seed)
            cutoffs = S.fraction_cutoffs(ranked, mixes)
            planned = planned_by_source(mixes, cutoffs)
            copies = S.planned_copies(ctx.spark, ranked, mixes, cutoffs)
            total = sum(p["tokens"] for p in planned.values())
            shards = shard_count(total, cfg.shard_tokens)
            st.rows_out = sum(p["documents"] for p in planned.values())
            st.details.update(stream_tokens=total, shards=shards)

        with run.stage("shards") as st:
            shard_rows = S.write_shards(copies, cfg, shards, staging)
            st.rows_out = sum(r["documents"] for r in shard_rows)
            st.details.update(tokens=sum(r["tokens"] for r in shard_rows),
                              bytes=sum(r["bytes"] for r in shard_rows),
                              worker_seconds=round(sum(r["seconds"] for r in shard_rows), 2))
            if st.details["tokens"] != total:  # the shards must hold exactly the planned stream
                raise RuntimeError(f"the shards hold {st.details['tokens']:,} tokens, the plan {total:,}")

        with run.stage("risk"):
            risk = assess_risk(S.stream_mass(copies), model_params=resolved.model_params, plan_note=resolved.note,
                               config=ctx.config.repetition.risk)

        with run.stage("place") as st:
            moved = S.place_shards(shard_rows, staging, f"{out}/{run_dir}")
            st.details["files_moved"] = moved

        with run.stage("write") as st:
            metadata = {"job": "format", "run_id": run.run_id, "input": input_path, "input_version": input_version}
            rows = S.manifest_rows(shard_rows, run_dir, cfg, vocab.dtype.name)
            results = tables.write_all([WriteSpec(ctx.spark.createDataFrame(rows, S.MANIFEST_DDL), manifest,
                                                  "overwrite", txn=txn, metadata=metadata)], run.identity)
            run.outputs = [r.as_dict() for r in results]
            st.rows_out = len(rows)
            st.details["removed_runs"] = S.remove_other_runs(f"{out}/shards", key)
    finally:
        cached.release()  # however the run ends: the session may outlive the job
        files.delete_dir(f"{out}/_staging")

    with run.stage("report"):
        sections = report_sections(
            input_path=input_path, input_version=input_version, output=out, manifest=manifest, shard_dir=run_dir,
            tokenizer=tokenizer, vocab=vocab, shard_format=cfg.shard_format, seed=cfg.seed,
            shard_tokens=cfg.shard_tokens, mixes=mixes, stats=stats, planned=planned, shards=shard_rows, risk=risk,
            resolved=resolved, plan=plan, plan_path=plan_path, files_moved=moved)
        run.metrics.update(run_metrics(sections, run.elapsed()))
        summary = summary_of(sections, out)
    return run.finish(summary, f"{out}/report.json", render_html, **sections)
