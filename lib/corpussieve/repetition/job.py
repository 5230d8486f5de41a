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
8. ``write``: ``DIR/documents`` and ``DIR/spans`` in one ``write_all`` (a failure commits neither), then
   ``DIR/report.json`` and ``DIR/report.html``.

Per-window data is ~1 row per token, so nothing per window is ever a Spark row: windows cross the cluster
once, packed, and the documents are never re-tokenized.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from corpussieve.errors import InputError
from corpussieve.repetition.arrowfns import (
    ANSWERS_DDL,
    BYTES_PER_SOURCE,
    BYTES_PER_WINDOW,
    BYTES_PER_WINDOW_LOOKUP,
    NO_SOURCE,
    PAYLOAD_DDL,
    REPEATED_DDL,
    RESULT_DDL,
    TOKENS_DDL,
    RepeatedTable,
)
from corpussieve.repetition.coverage import BUCKET_LABELS, BUCKET_LOWER, RepetitionFigures
from corpussieve.repetition.plan import ResolvedPlan, TrainingPlan, load_plan, resolve_plan
from corpussieve.repetition.report import build_report, render_html
from corpussieve.repetition.risk import SpanCluster, assess_risk, harmful_band
from corpussieve.repetition.tokenizers import TOKENIZER_NAMES, get_tokenizer
from corpussieve.runlog import run_key, write_json, write_text
from corpussieve.tables import Output, WriteSpec

HELP = "measure repeated token spans, their multiplicity and the training-risk grade (report, spans, documents)"
#: ``spark.jit: auto`` in local mode: C1 only. Measured on 2 cores: 9.0M tokens 28.9 s -> 24.2 s, 90.1M
#: tokens 77.9 s -> 68.3 s (the JVM's CPU 67 s -> 42 s); C2's compiler threads took cores from tokenization.
LOCAL_JIT = "quick"

MAX_DRIVERS = 10
DUPLICATE_EXAMPLES = 5


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


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"repetition.span_tokens": getattr(args, "span_tokens", None),
            "repetition.tokenizer": getattr(args, "tokenizer", None)}


# ---------------------------------------------------------------- the Python functions Spark runs


def _tokenize_function(tokenizer_name: str, block_tokens: int):
    def tokenize(batches):
        from pyspark import TaskContext

        from corpussieve.repetition.arrowfns import tokenize_batch
        from corpussieve.repetition.tokenizers import get_tokenizer

        task = TaskContext.get()
        # Block ids only route a block's windows back to it: unique per (partition, block) is all they need.
        next_block = (task.partitionId() if task else 0) << 32
        tokenizer = get_tokenizer(tokenizer_name)
        for batch in batches:
            out, used = tokenize_batch(batch, tokenizer, block_tokens, next_block)
            next_block += used
            yield out

    return tokenize


def _payload_function(span_tokens: int, buckets: int, source_index: dict[str, int] | None, with_refs: bool):
    def payloads(batches):
        from corpussieve.repetition.arrowfns import window_payloads

        for batch in batches:
            if batch.num_rows:
                yield window_payloads(batch, span_tokens, buckets, source_index, with_refs)

    return payloads


def _repeated_function(passes_by_index: list[float] | None):
    def repeated(table):
        import numpy as np

        from corpussieve.repetition.arrowfns import repeated_hashes

        return repeated_hashes(table, None if passes_by_index is None else np.array(passes_by_index))

    return repeated


def _broadcast_coverage_function(broadcast, span_tokens: int, passes: dict[str, float]):
    def cover(batches):
        from corpussieve.repetition.arrowfns import batch_coverage

        repeated = broadcast.value
        for batch in batches:
            if batch.num_rows:
                yield from batch_coverage(batch, span_tokens, repeated, passes).to_batches()

    return cover


def _answer_function():
    def answer(payload, repeated):
        from corpussieve.repetition.arrowfns import answer_windows

        return answer_windows(payload, repeated)

    return answer


def _block_coverage_function(span_tokens: int, passes: dict[str, float]):
    def cover(documents, answers):
        from corpussieve.repetition.arrowfns import block_coverage

        return block_coverage(documents, answers, span_tokens, passes)

    return cover


# ---------------------------------------------------------------- stages


def _read_documents(ctx, path: str, version: int):
    """The input's (id, text, source) with ids checked, spread over enough partitions to use every core."""
    from pyspark.sql import functions as F

    from corpussieve.validate import require_string_column, require_unique_ids

    df = ctx.tables.require(path, columns=["id", "text"], version=version)
    require_string_column(df, path, "text")
    require_unique_ids(df, path)
    source = (F.coalesce(F.col("source").cast("string"), F.lit(NO_SOURCE)) if "source" in df.columns
              else F.lit(NO_SOURCE))
    docs = df.select(F.col("id").cast("string").alias("id"), F.col("text"), source.alias("source"))
    have = docs.rdd.getNumPartitions()
    cores = ctx.spark.sparkContext.defaultParallelism
    wanted = ctx.config.repetition.partitions or (have if have >= 2 * cores else 2 * cores)
    if wanted != have:
        docs = docs.repartition(wanted, "id")
    return docs, wanted


def _shuffle_written(spark) -> int | None:
    """Bytes written to shuffle by every stage of the application so far, from Spark's status store.

    Measured rather than estimated; None where the store is out of reach (Spark Connect, a changed API).
    """
    try:
        store = spark.sparkContext._jsc.sc().statusStore()
        stages = store.stageList(None, False, False, getattr(store, "stageList$default$4")(),
                                 getattr(store, "stageList$default$5")())
        total, it = 0, stages.iterator()
        while it.hasNext():
            total += int(it.next().shuffleWriteBytes())
        return total
    except Exception:  # a monitoring nicety: never fail the job over it
        return None


def _bucket_column(count_col):
    from pyspark.sql import functions as F

    expr = F.lit(BUCKET_LABELS[0])
    for low, label in zip(BUCKET_LOWER[1:], BUCKET_LABELS[1:], strict=True):
        expr = F.when(count_col >= int(low), F.lit(label)).otherwise(expr)
    return expr


def _passes_shipping(resolved: ResolvedPlan) -> tuple[dict[str, int] | None, list[float] | None]:
    """Source indices to ship with every window, only when the plan's passes differ between sources.

    With equal passes everywhere, a window's effective count is its count times those passes.
    """
    if len(set(resolved.passes.values())) <= 1:
        return None, None
    names = sorted(resolved.passes)
    if len(names) > 65_535:
        raise InputError(f"{len(names):,} sources with different passes; at most 65,535 are supported",
                         column="source")
    return {name: i for i, name in enumerate(names)}, [resolved.passes[name] for name in names]


def _sum_figures(rows) -> tuple[RepetitionFigures, dict[str, RepetitionFigures]]:
    import json

    per_source: dict[str, RepetitionFigures] = {}
    for row in rows:
        figures = RepetitionFigures.from_dict(json.loads(row["figures"]))
        per_source[row["source"]] = per_source.get(row["source"], RepetitionFigures()) + figures
    total = RepetitionFigures()
    for name in sorted(per_source):
        total = total + per_source[name]
    return total, dict(sorted(per_source.items()))


def _exact_duplicates(tokens_df):
    """Documents whose whitespace-folded text occurs more than once: every copy but the first (smallest id)."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    same_text = Window.partitionBy("text_hash_hi", "text_hash_lo").orderBy("id")
    duplicates = (tokens_df.filter(~F.col("empty"))
                  .select("id", "source", F.first("id").over(same_text).alias("exact_duplicate_of"))
                  .filter(F.col("id") != F.col("exact_duplicate_of"))
                  ).persist(StorageLevel.MEMORY_AND_DISK)
    # One job for the counts per source and overall (the rollup's null source), one for the largest groups.
    counted = duplicates.rollup("source").agg(F.count("*").alias("documents"),
                                              F.countDistinct("exact_duplicate_of").alias("groups")).collect()
    by_source = {r["source"]: int(r["documents"]) for r in counted if r["source"] is not None}
    overall = next((r for r in counted if r["source"] is None), None)
    largest = (duplicates.groupBy("exact_duplicate_of").agg((F.count("*") + 1).alias("copies"))
               .orderBy(F.desc("copies"), "exact_duplicate_of").limit(DUPLICATE_EXAMPLES).collect())
    summary = {
        "documents": int(overall["documents"]) if overall else 0,
        "groups": int(overall["groups"]) if overall else 0,
        "by_source": dict(sorted(by_source.items())),
        "largest_groups": [{"first_id": r["exact_duplicate_of"], "copies": int(r["copies"])} for r in largest],
        "definition": "Documents whose text, with every whitespace run folded to one space and both ends "
                      "stripped, equals another document's; every copy but the first (the smallest id) of each "
                      "group is counted. Empty and null texts are never duplicates.",
    }
    return duplicates, summary


def _span_rows(result):
    from pyspark.sql import functions as F

    return result.filter(F.col("kind") == "span").select(
        "id", "source", "passes", (F.col("span_end") - F.col("span_start")).alias("length"), "span_start",
        "span_end", "span_max_count", "key_hash", "key_effective", "cross_document", "first_in_document",
    )


def _span_clusters(rows):
    """One row per span cluster: the maximal spans of every document that share their key window.

    Numbers only (one plain hash aggregation: documents are counted by the first span of each (document,
    cluster) pair, marked by the coverage stage), so it is cheap to cache and rank; the lists
    (sources, example ids, the example shown) are gathered for the listed clusters alone.
    """
    from pyspark.sql import functions as F

    clusters = rows.groupBy("key_hash").agg(
        F.count("*").alias("occurrences"),
        F.sum(F.col("first_in_document").cast("long")).alias("documents"),
        F.sum("length").alias("token_mass"),
        F.sum(F.col("length") * F.col("passes")).alias("training_tokens"),
        F.max("span_max_count").alias("count"),
        F.max("key_effective").alias("effective_repeats"),
        F.min("length").alias("min_length"),
        F.max("length").alias("max_length"),
        F.max(F.col("cross_document").cast("int")).cast("boolean").alias("cross_document"),
    )
    return clusters.withColumn("bucket", _bucket_column(F.col("count")))


def _cluster_details(rows, keys: list[int], examples: int) -> dict[int, Any]:
    """Sources, the first example ids and the example occurrence (shortest, then smallest id) of some clusters."""
    from pyspark.sql import functions as F

    if not keys:
        return {}
    details = (rows.filter(F.col("key_hash").isin(keys)).groupBy("key_hash").agg(
        F.size(F.collect_set("source")).alias("sources"),
        F.slice(F.array_sort(F.collect_set("id")), 1, max(examples, 1)).alias("example_ids"),
        # The shortest occurrence shows the repeated unit itself: a longer one also holds what a document
        # repeats around it (a duplicated page chains its whole text onto the shared banner).
        F.min(F.struct("length", "id", "span_start", "span_end")).alias("example"),
    ).collect())
    return {r["key_hash"]: r for r in details}


def _span_texts(ctx, docs, tokens_df, examples: dict[int, tuple[str, int, int]], tokenizer) -> dict[int, str]:
    """The text of one occurrence per listed cluster, cut at ``example_tokens`` tokens.

    BPE tokens are decoded from the cached token ids; the word tokenizer's ids are hashes, so its spans are
    sliced from the original text.
    """
    from pyspark.sql import functions as F

    if not examples:
        return {}
    limit = ctx.config.repetition.example_tokens
    ids = sorted({doc_id for doc_id, _, _ in examples.values()})
    out: dict[int, str] = {}
    if tokenizer.name == "word":
        texts = {r["id"]: r["text"] for r in docs.filter(F.col("id").isin(ids)).select("id", "text").collect()}
        for key, (doc_id, start, end) in examples.items():
            out[key] = tokenizer.span_text(texts.get(doc_id), start, min(end, start + limit))
        return out
    tokens = {r["id"]: bytes(r["token_ids"]) for r in
              tokens_df.filter(F.col("id").isin(ids)).select("id", "token_ids").collect()}
    for key, (doc_id, start, end) in examples.items():
        ids_of_doc = np.frombuffer(tokens.get(doc_id, b""), dtype="<u4")
        out[key] = tokenizer.decode(ids_of_doc[start:min(end, start + limit)])
    return out


SPANS_DDL = (
    "rank int, key_hash long, text string, length long, min_length long, max_length long, count long, "
    "occurrences long, documents long, sources long, token_mass long, effective_repeats double, "
    "training_tokens double, bucket string, cross_document boolean, in_harmful_band boolean, "
    "example_ids array<string>, example_id string, example_start long, example_end long"
)


def _listed_spans(ctx, docs, tokens_df, rows, clusters, band, tokenizer) -> list[dict[str, Any]]:
    """The top clusters by training tokens, plus the biggest ones inside the harmful band."""
    from pyspark.sql import functions as F

    cfg = ctx.config.repetition
    order = [F.desc("training_tokens"), F.asc("key_hash")]
    in_band = (F.col("effective_repeats") > band.low) & (F.col("effective_repeats") <= band.high)
    top = clusters.orderBy(*order).limit(cfg.top_spans).collect()
    drivers = clusters.filter(in_band).orderBy(*order).limit(MAX_DRIVERS).collect()
    chosen = {r["key_hash"]: r for r in [*top, *drivers]}
    listed = sorted(chosen.values(), key=lambda r: (-r["training_tokens"], r["key_hash"]))
    details = _cluster_details(rows, [r["key_hash"] for r in listed], cfg.examples_per_span)
    where = {key: (d["example"]["id"], int(d["example"]["span_start"]), int(d["example"]["span_end"]))
             for key, d in details.items()}
    texts = _span_texts(ctx, docs, tokens_df, where, tokenizer)
    spans = []
    for rank, r in enumerate(listed, 1):
        key = r["key_hash"]
        doc_id, start, end = where[key]
        spans.append({
            "rank": rank, "key_hash": int(key), "text": texts.get(key, ""),
            "length": end - start, "min_length": int(r["min_length"]), "max_length": int(r["max_length"]),
            "count": int(r["count"]), "occurrences": int(r["occurrences"]), "documents": int(r["documents"]),
            "sources": int(details[key]["sources"]), "token_mass": int(r["token_mass"]),
            "effective_repeats": float(r["effective_repeats"]), "training_tokens": float(r["training_tokens"]),
            "bucket": r["bucket"], "cross_document": bool(r["cross_document"]),
            "in_harmful_band": bool(band.contains(float(r["effective_repeats"]))),
            "example_ids": list(details[key]["example_ids"])[: cfg.examples_per_span], "example_id": doc_id,
            "example_start": start, "example_end": end,
        })
    return spans


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    cfg = ctx.config.repetition
    run = ctx.run
    tables = ctx.tables
    span = cfg.span_tokens
    plan = load_plan(args.plan) if getattr(args, "plan", None) else None
    tokenizer = get_tokenizer(cfg.tokenizer)
    input_path = tables.normalize(args.input)
    out = tables.normalize(args.output).rstrip("/")
    input_version = tables.version(input_path)
    key = run_key("repetition", input=input_path, input_version=input_version, output=out,
                  config=cfg.model_dump(mode="json"), plan=plan.model_dump(mode="json") if plan else None)
    done = run.resume(tables, key, [Output(f"{out}/documents"), Output(f"{out}/spans")], f"{out}/report.json", {})
    if done:
        return done
    run.inputs = [{"table": input_path, "version": input_version}]
    cores = ctx.spark.sparkContext.defaultParallelism

    cached: list[Any] = []  # unpersisted however the run ends: the session may outlive the job
    broadcast = None
    try:
        with run.stage("read") as st:
            docs, partitions = _read_documents(ctx, input_path, input_version)
            st.details["partitions"] = partitions

        with run.stage("tokenize") as st:
            tokens_df = (docs.mapInArrow(_tokenize_function(cfg.tokenizer, cfg.block_tokens), TOKENS_DDL)
                         .persist(StorageLevel.MEMORY_AND_DISK))
            cached.append(tokens_df)
            per_source_rows = tokens_df.groupBy("source").agg(
                F.count("*").alias("documents"),
                F.sum("tokens").alias("tokens"),
                F.sum(F.col("empty").cast("long")).alias("empty"),
                F.sum((F.col("tokens") < span).cast("long")).alias("unrepeatable"),
                F.sum(F.greatest(F.col("tokens") - span + 1, F.lit(0))).alias("windows"),
            ).collect()
            source_stats = {r["source"]: {k: int(r[k] or 0) for k in ("documents", "tokens", "empty", "unrepeatable",
                                                                        "windows")} for r in per_source_rows}
            source_tokens = {name: s["tokens"] for name, s in source_stats.items()}
            windows_total = sum(s["windows"] for s in source_stats.values())
            st.rows_in = sum(s["documents"] for s in source_stats.values())
            st.rows_out = st.rows_in
            st.details["tokens"] = sum(source_tokens.values())
            st.details["tokenizer"] = tokenizer.name

        resolved = resolve_plan(plan, source_tokens, cfg.risk.assumed_model_params)
        source_index, passes_by_index = _passes_shipping(resolved)

        shuffled_before = _shuffle_written(ctx.spark)
        with run.stage("count") as st:
            buckets = max(4 * cores, math.ceil(windows_total / cfg.windows_per_bucket))
            payload = (tokens_df.select("block", "token_start", "source", "token_ids")
                       .mapInArrow(_payload_function(span, buckets, source_index, False), PAYLOAD_DDL))
            repeated = (payload.groupBy("bucket").applyInArrow(_repeated_function(passes_by_index), REPEATED_DDL)
                        .persist(StorageLevel.MEMORY_AND_DISK))
            cached.append(repeated)
            sizes = repeated.agg(F.sum("entries"), F.sum(F.octet_length("hashes") + F.octet_length("counts")
                                                         + F.coalesce(F.octet_length("effective"), F.lit(0)))).first()
            repeated_hashes, repeated_bytes = int(sizes[0] or 0), int(sizes[1] or 0)
            lookup = cfg.lookup
            if lookup == "auto":
                lookup = "broadcast" if repeated_bytes <= cfg.broadcast_max_bytes else "shuffle"
            per_window = BYTES_PER_WINDOW + (BYTES_PER_SOURCE if source_index else 0)
            shuffle = {"buckets": buckets, "windows": windows_total, "count_bytes_per_window": per_window,
                       "count_payload_bytes": windows_total * per_window, "repeated_hashes": repeated_hashes,
                       "repeated_table_bytes": repeated_bytes, "lookup": lookup,
                       "lookup_payload_bytes": windows_total * BYTES_PER_WINDOW_LOOKUP if lookup == "shuffle" else 0}
            shuffled_count = _shuffle_written(ctx.spark)
            if shuffled_before is not None and shuffled_count is not None:
                shuffle["measured_count_shuffle_bytes"] = shuffled_count - shuffled_before
            st.rows_in = windows_total
            st.rows_out = repeated_hashes
            st.details.update(buckets=buckets, shuffle_bytes=shuffle["count_payload_bytes"], lookup=lookup)

        with run.stage("coverage") as st:
            passes = dict(resolved.passes)
            if lookup == "broadcast":
                broadcast = ctx.spark.sparkContext.broadcast(RepeatedTable.from_table(repeated.toArrow()))
                result = (tokens_df.select("id", "source", "token_ids")
                          .mapInArrow(_broadcast_coverage_function(broadcast, span, passes), RESULT_DDL))
            else:
                located = (tokens_df.select("block", "token_start", "source", "token_ids")
                           .mapInArrow(_payload_function(span, buckets, None, True), PAYLOAD_DDL))
                answers = (located.groupBy("bucket").cogroup(repeated.groupBy("bucket"))
                           .applyInArrow(_answer_function(), ANSWERS_DDL))
                meta = tokens_df.select("block", "token_start", "id", "source", "tokens")
                result = (meta.groupBy("block").cogroup(answers.groupBy("block"))
                          .applyInArrow(_block_coverage_function(span, passes), RESULT_DDL))
            result = result.persist(StorageLevel.MEMORY_AND_DISK)
            cached.append(result)
            total, per_source = _sum_figures(
                result.filter(F.col("kind") == "figures").select("source", "figures").collect())
            st.rows_in = total.documents
            st.rows_out = total.spans
            st.details["lookup"] = lookup
            shuffled_coverage = _shuffle_written(ctx.spark)
            if shuffled_count is not None and shuffled_coverage is not None:
                shuffle["measured_coverage_shuffle_bytes"] = shuffled_coverage - shuffled_count
            repeated.unpersist()

        with run.stage("exact_duplicates") as st:
            duplicates, exact = _exact_duplicates(tokens_df)
            cached.append(duplicates)
            st.rows_out = exact["documents"]

        band = harmful_band(resolved.model_params, cfg.risk)
        with run.stage("spans") as st:
            rows = _span_rows(result)
            clusters = _span_clusters(rows).persist(StorageLevel.MEMORY_AND_DISK)
            cached.append(clusters)
            counts = clusters.groupBy("bucket").count().collect()
            clusters_per_bucket = {r["bucket"]: int(r["count"]) for r in counts}
            spans = _listed_spans(ctx, docs, tokens_df, rows, clusters, band, tokenizer)
            st.rows_in = total.spans
            st.rows_out = len(spans)
            st.details["clusters"] = sum(clusters_per_bucket.values())

        with run.stage("risk"):
            listed = [SpanCluster(s["key_hash"], s["length"], s["count"], s["effective_repeats"], s["text"],
                                  s["training_tokens"]) for s in spans]
            risk = assess_risk(total.effective_mass, model_params=resolved.model_params, plan_note=resolved.note,
                               top_spans=listed, config=cfg.risk, max_drivers=MAX_DRIVERS)

        with run.stage("write") as st:
            documents = (result.filter(F.col("kind") == "document")
                         .select("id", "source", "tokens", "repeated_tokens",
                                 F.when(F.col("tokens") > 0, F.col("repeated_tokens") / F.col("tokens"))
                                 .otherwise(F.lit(0.0)).alias("repeated_fraction"),
                                 "within_document_tokens", "cross_document_tokens", "excess_tokens",
                                 "max_span_count", "spans")
                         .join(duplicates.select("id", "exact_duplicate_of"), "id", "left"))
            spans_df = ctx.spark.createDataFrame(spans, SPANS_DDL)
            metadata = {"job": "repetition", "run_id": run.run_id, "input": input_path}
            results = tables.write_all([WriteSpec(documents, f"{out}/documents", metadata=metadata),
                                        WriteSpec(spans_df, f"{out}/spans", metadata=metadata)], run.identity)
            st.rows_out = results[0].rows
            run.outputs = [r.as_dict() for r in results]
    finally:
        for df in cached:
            df.unpersist()
        if broadcast is not None:
            broadcast.unpersist()
    report = build_report(
        run=run, total=total, per_source=per_source, source_stats=source_stats, exact=exact, risk=risk,
        resolved=resolved, plan=plan, plan_path=getattr(args, "plan", None), tokenizer=tokenizer, spans=spans,
        clusters_per_bucket=clusters_per_bucket, shuffle=shuffle, span_tokens=span, input_path=input_path,
        output=out,
    )
    summary = {
        "output": out, "documents_total": report["documents_total"], "tokens_total": report["tokens_total"],
        "repeated_token_fraction": round(report["repeated_token_fraction"], 6),
        "excess_token_fraction": round(report["excess_token_fraction"], 6),
        "exact_duplicate_documents": report["exact_duplicate_documents"], "grade": risk.grade,
        "share_in_band": round(risk.share_in_band, 6), "seconds": round(run.elapsed(), 1),
        "report": f"{out}/report.json", "html": f"{out}/report.html",
    }
    report["summary"] = summary
    write_json(f"{out}/report.json", report)
    write_text(f"{out}/report.html", render_html(report))
    return summary
