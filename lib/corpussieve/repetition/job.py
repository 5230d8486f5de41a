"""``corpussieve repetition``: how much of a corpus is repeated token spans, how often, and the training risk.

Stages (each a named, timed step of the run log):

1. ``read``: the input table (``id``, ``text``, optional ``source``), ids checked unique and non-null.
2. ``tokenize``: ``mapInArrow`` tokenizes every document with the tokenizer loaded once per Python worker,
   and caches the token ids (4 bytes per token). Tokens per source feed the training plan (a plan weight
   becomes passes = weight x training tokens / source tokens).
3. ``count``: ``mapInArrow`` hashes every window of ``span_tokens`` tokens and packs the hashes into one
   binary row per (block, bucket): the shuffle by bucket moves 8 bytes per window (10 when the plan's
   passes differ between sources). ``groupBy(bucket).applyInArrow`` counts every hash and keeps the ones
   seen at least twice: the table R of distinct repeated windows, a small fraction of all windows.
4. ``coverage``: every window looks up its count in R. With R broadcast (``lookup``: auto when it fits
   ``broadcast_max_bytes``), a ``mapInArrow`` over the cached tokens re-hashes (cheap next to tokenizing)
   and looks up locally: no second shuffle. Otherwise windows travel again with their block-local
   positions to R's bucket (``cogroup``), and only the repeated ones travel back to their block (``cogroup``
   with the block's documents). Then: local (within-document) counts, token coverage, maximal spans and the
   mergeable figures, per source.
5. ``exact_duplicates``: documents whose whitespace-folded text hash occurs more than once.
6. ``spans``: maximal spans clustered corpus-wide by their key window; the top clusters get their text.
7. ``risk``: the effective-repeat mass against the harmful band of the plan's model size.
8. ``strip`` (``--strip K`` only; definitions in :mod:`~corpussieve.repetition.strip`): each document's keep
   rank (one sort of ids by dedup's keep rule), then the first K occurrences of every window R counts more than
   K times (a small shuffle by bucket: at most K candidates per window and batch), each window's K-th
   occurrence (its cutoff) broadcast, and a ``mapInArrow`` over the cached tokens that removes every later
   occurrence: kept tokens and cuts per document.
9. ``strip_measure``: the count and coverage stages again, on the kept tokens: the repeated fraction after.
10. ``write``: ``DIR/documents``, ``DIR/spans`` (and ``DIR/stripped``: the input's rows with the text cut) in
    one ``write_all`` (a failure commits none).
11. ``report``: the report's sections, then ``DIR/report.json`` and ``DIR/report.html``.

Per-window data is ~1 row per token, so nothing per window is ever a Spark row: windows cross the cluster
once, packed, and the documents are never re-tokenized.

This module holds the arguments and the stage order; the Spark side of each stage is in
:mod:`~corpussieve.repetition.stages`, what the workers run in :mod:`~corpussieve.repetition.arrowfns`, and
the report in :mod:`~corpussieve.repetition.report`.
"""

from __future__ import annotations

import argparse
from typing import Any

from corpussieve.repetition import stages as S
from corpussieve.repetition.plan import load_plan, resolve_plan
from corpussieve.repetition.report import render_html, report_sections, run_metrics, strip_section, summary_of
from corpussieve.repetition.risk import SpanCluster, assess_risk, harmful_band
from corpussieve.repetition.strip import predicted_removed
from corpussieve.repetition.tokenizers import TOKENIZER_NAMES, get_tokenizer
from corpussieve.runlog import run_key
from corpussieve.tables import Output, WriteSpec

HELP = "measure repeated token spans, their multiplicity and the training-risk grade (report, spans, documents)"
#: ``spark.jit: auto`` in local mode: C1 only. Measured on 2 cores: 9.0M tokens 28.9 s -> 24.2 s, 90.1M
#: tokens 77.9 s -> 68.3 s (the JVM's CPU 67 s -> 42 s); C2's compiler threads took cores from tokenization.
LOCAL_JIT = "quick"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, metavar="TABLE",
                        help="Delta table with a unique 'id' and a string 'text' ('source' when known)")
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="folder for report.json, report.html and the spans and documents tables")
    parser.add_argument("--span-tokens", type=int, default=None, metavar="N",
                        help="tokens per window; a span repeats when a window of N tokens does (default 50)")
    parser.add_argument("--tokenizer", choices=TOKENIZER_NAMES, default=None,
                        help="cl100k (default), gpt2 or word; all offline")
    parser.add_argument("--plan", default=None, metavar="PLAN.yaml",
                        help="training plan: model_params, training_tokens, per-source weight or epochs")
    parser.add_argument("--strip", type=int, default=None, metavar="K",
                        help="remove every copy beyond the first K (keep order: repetition.strip.keep) of each "
                             "window seen more than K times; writes DIR/stripped")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"repetition.span_tokens": getattr(args, "span_tokens", None),
            "repetition.tokenizer": getattr(args, "tokenizer", None),
            "repetition.strip.max_copies": getattr(args, "strip", None)}


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    cfg = ctx.config.repetition
    run = ctx.run
    tables = ctx.tables
    plan = load_plan(args.plan) if getattr(args, "plan", None) else None
    tokenizer = get_tokenizer(cfg.tokenizer)
    input_path = tables.normalize(args.input)
    out = tables.normalize(args.output).rstrip("/")
    input_version = tables.version(input_path)
    key = run_key("repetition", input=input_path, input_version=input_version, output=out,
                  config=cfg.model_dump(mode="json"), plan=plan.model_dump(mode="json") if plan else None)
    strip_k = cfg.strip.max_copies
    outputs = [Output(f"{out}/documents"), Output(f"{out}/spans")] + ([Output(f"{out}/stripped")] if strip_k else [])
    done = run.resume(tables, key, outputs, f"{out}/report.json", {})
    if done:
        return done
    run.inputs = [{"table": input_path, "version": input_version}]

    cached = S.Cached()
    try:
        with run.stage("read") as st:
            docs, st.details["partitions"] = S.read_documents(ctx, input_path, input_version)

        with run.stage("tokenize") as st:
            tokens_df = cached.persist(S.tokenize(docs, cfg))
            source_stats, totals = S.source_stats(tokens_df, cfg.span_tokens)
            st.rows_in = st.rows_out = totals["documents"]
            st.details.update(tokens=totals["tokens"], tokenizer=tokenizer.name)

        source_tokens = {name: s["tokens"] for name, s in source_stats.items()}
        resolved = resolve_plan(plan, source_tokens, cfg.risk.assumed_model_params)
        source_index, passes_by_index = S.passes_shipping(resolved)

        meter = S.ShuffleMeter(ctx.spark)
        with run.stage("count") as st:
            windows = totals["windows"]
            buckets = S.bucket_count(ctx.spark, cfg, windows)
            repeated = cached.persist(S.repeated_windows(tokens_df, cfg, buckets, source_index, passes_by_index))
            repeated_hashes, repeated_bytes = S.repeated_size(repeated)
            lookup = S.choose_lookup(cfg, repeated_bytes)
            shuffle = S.shuffle_figures(buckets, windows, source_index, repeated_hashes, repeated_bytes, lookup)
            meter.record(shuffle, "measured_count_shuffle_bytes")
            st.rows_in, st.rows_out = windows, repeated_hashes
            st.details.update(buckets=buckets, shuffle_bytes=shuffle["count_payload_bytes"], lookup=lookup)
            over = S.over_limit_hashes(repeated, strip_k) if strip_k else None

        with run.stage("coverage") as st:
            passes = dict(resolved.passes)
            if lookup == "broadcast":
                result = S.broadcast_coverage(ctx.spark, tokens_df, repeated, cfg, passes, cached)
            else:
                result = S.shuffle_coverage(tokens_df, repeated, cfg, buckets, passes)
            result = cached.persist(result)
            total, per_source = S.sum_figures(result)
            st.rows_in, st.rows_out = total.documents, total.spans
            st.details["lookup"] = lookup
            meter.record(shuffle, "measured_coverage_shuffle_bytes")
            repeated.unpersist()

        with run.stage("exact_duplicates") as st:
            duplicates = cached.persist(S.duplicate_documents(tokens_df))
            exact = S.exact_duplicates(duplicates)
            st.rows_out = exact["documents"]

        band = harmful_band(resolved.model_params, cfg.risk)
        with run.stage("spans") as st:
            rows = S.span_rows(result)
            clusters = cached.persist(S.span_clusters(rows))
            clusters_per_bucket = S.clusters_per_bucket(clusters)
            spans = S.listed_spans(cfg, docs, tokens_df, rows, clusters, band, tokenizer)
            st.rows_in, st.rows_out = total.spans, len(spans)
            st.details["clusters"] = sum(clusters_per_bucket.values())

        with run.stage("risk"):
            listed = [SpanCluster(s["key_hash"], s["length"], s["count"], s["effective_repeats"], s["text"],
                                  s["training_tokens"]) for s in spans]
            risk = assess_risk(total.effective_mass, model_params=resolved.model_params, plan_note=resolved.note,
                               top_spans=listed, config=cfg.risk, max_drivers=S.MAX_DRIVERS)

        stripped = strip = None
        if strip_k:
            with run.stage("strip") as st:
                ranks = cached.persist(S.keep_ranks(ctx, input_path, input_version, cfg.strip.keep))
                ranked = S.ranked_tokens(tokens_df, ranks)
                limits, strip_shuffle = S.strip_limits(ctx.spark, ranked, cfg, buckets, over, cached)
                stripped = cached.persist(S.strip_documents(ctx.spark, ranked, cfg, limits, cached))
                removal = S.strip_counts(stripped)
                meter.record(strip_shuffle, "measured_strip_shuffle_bytes")
                st.rows_in, st.rows_out = len(over), removal["tokens_removed"]
                st.details.update(over_limit_windows=len(over), **removal)
            with run.stage("strip_measure") as st:
                after_total = S.measure_again(ctx.spark, stripped, cfg, buckets, source_index, passes_by_index,
                                              passes, cached)
                meter.record(strip_shuffle, "measured_strip_measure_shuffle_bytes")
                st.rows_out = after_total.repeated_tokens
            after_risk = assess_risk(after_total.effective_mass, model_params=resolved.model_params,
                                     plan_note=resolved.note, top_spans=[], config=cfg.risk, max_drivers=0)
            strip = strip_section(cfg.strip, before=total, after=after_total, removal=removal,
                                  predicted=predicted_removed(total.count_mass, strip_k), risk_after=after_risk,
                                  over_limit_windows=len(over), shuffle=strip_shuffle, output=f"{out}/stripped")

        with run.stage("write") as st:
            metadata = {"job": "repetition", "run_id": run.run_id, "input": input_path}
            specs = [WriteSpec(S.documents_table(result, duplicates), f"{out}/documents", metadata=metadata),
                     WriteSpec(ctx.spark.createDataFrame(spans, S.SPANS_DDL), f"{out}/spans", metadata=metadata)]
            if stripped is not None:
                unit = "bytes" if tokenizer.byte_lengths is not None else "words"
                specs.append(WriteSpec(S.stripped_table(ctx, input_path, input_version, stripped, unit),
                                       f"{out}/stripped", metadata=metadata))
            results = tables.write_all(specs, run.identity)
            st.rows_out = results[0].rows
            run.outputs = [r.as_dict() for r in results]
    finally:
        cached.release()  # however the run ends: the session may outlive the job

    with run.stage("report"):
        sections = report_sections(
            total=total, per_source=per_source, source_stats=source_stats, exact=exact, risk=risk, resolved=resolved,
            plan=plan, plan_path=getattr(args, "plan", None), tokenizer=tokenizer, spans=spans,
            clusters_per_bucket=clusters_per_bucket, shuffle=shuffle, span_tokens=cfg.span_tokens,
            input_path=input_path, output=out, strip=strip)
        run.metrics.update(run_metrics(total, run.elapsed()))
        summary = summary_of(sections, risk, out)
    return run.finish(summary, f"{out}/report.json", render_html, **sections)
