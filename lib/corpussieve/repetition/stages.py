"""The repetition job's Spark stages: DataFrames in, DataFrames or plain values out.

:func:`corpussieve.repetition.job.run` calls these in stage order; each one here is the Spark side of a step:
the input read and checked, the ``mapInArrow``/``applyInArrow``/``cogroup`` calls over the functions of
:mod:`corpussieve.repetition.arrowfns`, and the aggregations that reduce their output to the plain figures
:mod:`corpussieve.repetition.report` turns into report.json. What a run caches goes through :class:`Cached`,
so that it is released however the run ends (the session may outlive the job).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from corpussieve.errors import InputError
from corpussieve.repetition.arrowfns import (
    ANSWERS_DDL,
    BYTES_PER_COPY,
    CUTOFFS_DDL,
    FIRST_COPIES_DDL,
    OVER_DDL,
    STRIP_COLUMNS,
    STRIPPED_DDL,
    BYTES_PER_SOURCE,
    BYTES_PER_WINDOW,
    BYTES_PER_WINDOW_LOOKUP,
    NO_SOURCE,
    PAYLOAD_DDL,
    REPEATED_DDL,
    RESULT_DDL,
    TOKENS_DDL,
    RepeatedTable,
    answers_cogroup,
    coverage_cogroup,
    coverage_map,
    cutoffs_apply,
    first_copies_map,
    limits_from_table,
    over_limit_map,
    payloads_map,
    rebuild_map,
    repeated_apply,
    strip_map,
    tokens_map,
)
from corpussieve.repetition.config import RepetitionConfig
from corpussieve.repetition.coverage import BUCKET_LABELS, BUCKET_LOWER, RepetitionFigures
from corpussieve.repetition.plan import ResolvedPlan
from corpussieve.repetition.risk import HarmfulBand
from corpussieve.repetition.tokenizers import Tokenizer
from corpussieve.runlog import Counters

MAX_DRIVERS = 10
"""Span clusters inside the harmful band listed (and named as the risk's drivers) beyond the top spans."""
DUPLICATE_EXAMPLES = 5
"""Largest exact-duplicate groups shown in the report."""
SOURCE_STATS = ("documents", "tokens", "empty", "unrepeatable", "windows")
"""What the tokenize stage counts per source."""

SPANS_DDL = (
    "rank int, key_hash long, text string, length long, min_length long, max_length long, count long, "
    "occurrences long, documents long, sources long, token_mass long, effective_repeats double, "
    "training_tokens double, bucket string, cross_document boolean, in_harmful_band boolean, "
    "example_ids array<string>, example_id string, example_start long, example_end long"
)


class Cached:
    """The DataFrames and broadcasts a run cached; ``release`` unpersists them all, however the run ended."""

    def __init__(self) -> None:
        self._frames: list[Any] = []
        self._broadcasts: list[Any] = []

    def persist(self, df):
        from pyspark import StorageLevel

        df = df.persist(StorageLevel.MEMORY_AND_DISK)
        self._frames.append(df)
        return df

    def broadcast(self, spark, value: Any):
        shared = spark.sparkContext.broadcast(value)
        self._broadcasts.append(shared)
        return shared

    def release(self) -> None:
        for df in self._frames:
            df.unpersist()
        for shared in self._broadcasts:
            shared.unpersist()


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


class ShuffleMeter:
    """Bytes the application shuffled between one reading of Spark's status store and the next."""

    def __init__(self, spark) -> None:
        self.spark = spark
        self.last = _shuffle_written(spark)

    def record(self, into: dict[str, Any], key: str) -> None:
        """Set ``into[key]`` to the bytes shuffled since the last reading, unless either reading failed."""
        now = _shuffle_written(self.spark)
        if self.last is not None and now is not None:
            into[key] = now - self.last
        self.last = now


# ---------------------------------------------------------------- read, tokenize


def read_documents(ctx, path: str, version: int):
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


def tokenize(docs, config: RepetitionConfig):
    """Token rows (``TOKENS_DDL``) of every document: what the later stages read instead of the text."""
    return docs.mapInArrow(tokens_map(config), TOKENS_DDL)


def source_stats(tokens_df, span_tokens: int) -> tuple[dict[str, dict[str, int]], Counters]:
    """Documents, tokens, empty and unrepeatable documents and windows per source, and their totals."""
    from pyspark.sql import functions as F

    rows = tokens_df.groupBy("source").agg(
        F.count("*").alias("documents"),
        F.sum("tokens").alias("tokens"),
        F.sum(F.col("empty").cast("long")).alias("empty"),
        F.sum((F.col("tokens") < span_tokens).cast("long")).alias("unrepeatable"),
        F.sum(F.greatest(F.col("tokens") - span_tokens + 1, F.lit(0))).alias("windows"),
    ).collect()
    per_source = {r["source"]: {k: int(r[k] or 0) for k in SOURCE_STATS} for r in rows}
    # every name present, zero for an empty table
    return per_source, Counters.total([dict.fromkeys(SOURCE_STATS, 0), *per_source.values()])


def passes_shipping(resolved: ResolvedPlan) -> tuple[dict[str, int] | None, list[float] | None]:
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


# ---------------------------------------------------------------- count


def bucket_count(spark, config: RepetitionConfig, windows: int) -> int:
    """Hash buckets of the count stage: ``windows_per_bucket`` windows each, at least 4 per core."""
    return max(4 * spark.sparkContext.defaultParallelism, math.ceil(windows / config.windows_per_bucket))


def repeated_windows(tokens_df, config: RepetitionConfig, buckets: int, source_index: dict[str, int] | None,
                     passes_by_index: list[float] | None):
    """The table R of distinct repeated windows (``REPEATED_DDL``): windows shuffled by bucket, packed, and
    counted there."""
    payload = (tokens_df.select("block", "token_start", "source", "token_ids")
               .mapInArrow(payloads_map(config, buckets, source_index, False), PAYLOAD_DDL))
    return payload.groupBy("bucket").applyInArrow(repeated_apply(passes_by_index), REPEATED_DDL)


def repeated_size(repeated) -> tuple[int, int]:
    """R's distinct repeated hashes and its bytes (hashes, counts and effective counts)."""
    from pyspark.sql import functions as F

    sizes = repeated.agg(F.sum("entries"), F.sum(F.octet_length("hashes") + F.octet_length("counts")
                                                 + F.coalesce(F.octet_length("effective"), F.lit(0)))).first()
    return int(sizes[0] or 0), int(sizes[1] or 0)


def choose_lookup(config: RepetitionConfig, repeated_bytes: int) -> str:
    """``broadcast`` or ``shuffle``: the configured lookup, or for ``auto`` broadcast when R fits."""
    if config.lookup != "auto":
        return config.lookup
    return "broadcast" if repeated_bytes <= config.broadcast_max_bytes else "shuffle"


def shuffle_figures(buckets: int, windows: int, source_index: dict[str, int] | None, repeated_hashes: int,
                    repeated_bytes: int, lookup: str) -> dict[str, Any]:
    """The report's ``shuffle`` section as computed from the window count (measured bytes are added to it)."""
    per_window = BYTES_PER_WINDOW + (BYTES_PER_SOURCE if source_index else 0)
    return {"buckets": buckets, "windows": windows, "count_bytes_per_window": per_window,
            "count_payload_bytes": windows * per_window, "repeated_hashes": repeated_hashes,
            "repeated_table_bytes": repeated_bytes, "lookup": lookup,
            "lookup_payload_bytes": windows * BYTES_PER_WINDOW_LOOKUP if lookup == "shuffle" else 0}


# ---------------------------------------------------------------- coverage


def broadcast_coverage(spark, tokens_df, repeated, config: RepetitionConfig, passes: dict[str, float],
                       cached: Cached):
    """Result rows (``RESULT_DDL``) with R broadcast: windows re-hashed and looked up where they are."""
    broadcast = cached.broadcast(spark, RepeatedTable.from_table(repeated.toArrow()))
    return (tokens_df.select("id", "source", "token_ids")
            .mapInArrow(coverage_map(config, broadcast, passes), RESULT_DDL))


def shuffle_coverage(tokens_df, repeated, config: RepetitionConfig, buckets: int, passes: dict[str, float]):
    """Result rows (``RESULT_DDL``) with R too large to broadcast: windows travel to R's bucket with their
    block-local positions, and the repeated ones travel back to their block's documents."""
    located = (tokens_df.select("block", "token_start", "source", "token_ids")
               .mapInArrow(payloads_map(config, buckets, None, True), PAYLOAD_DDL))
    answers = (located.groupBy("bucket").cogroup(repeated.groupBy("bucket"))
               .applyInArrow(answers_cogroup(), ANSWERS_DDL))
    meta = tokens_df.select("block", "token_start", "id", "source", "tokens")
    return (meta.groupBy("block").cogroup(answers.groupBy("block"))
            .applyInArrow(coverage_cogroup(config, passes), RESULT_DDL))


def sum_figures(result) -> tuple[RepetitionFigures, dict[str, RepetitionFigures]]:
    """The corpus's figures and each source's, merged from every task's per-source figures rows."""
    from pyspark.sql import functions as F

    per_source: dict[str, RepetitionFigures] = {}
    for row in result.filter(F.col("kind") == "figures").select("source", "figures").collect():
        figures = RepetitionFigures.from_dict(json.loads(row["figures"]))
        per_source[row["source"]] = per_source.get(row["source"], RepetitionFigures()) + figures
    total = RepetitionFigures()
    for name in sorted(per_source):
        total = total + per_source[name]
    return total, dict(sorted(per_source.items()))


# ---------------------------------------------------------------- exact duplicates


def duplicate_documents(tokens_df):
    """Documents whose whitespace-folded text occurs more than once: every copy but the first (smallest id),
    with ``exact_duplicate_of`` that first copy."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    same_text = Window.partitionBy("text_hash_hi", "text_hash_lo").orderBy("id")
    return (tokens_df.filter(~F.col("empty"))
            .select("id", "source", F.first("id").over(same_text).alias("exact_duplicate_of"))
            .filter(F.col("id") != F.col("exact_duplicate_of")))


def exact_duplicates(duplicates) -> dict[str, Any]:
    """The report's exact-duplicates section from the (cached) duplicate documents."""
    from pyspark.sql import functions as F

    # One job for the counts per source and overall (the rollup's null source), one for the largest groups.
    counted = duplicates.rollup("source").agg(F.count("*").alias("documents"),
                                              F.countDistinct("exact_duplicate_of").alias("groups")).collect()
    by_source = {r["source"]: int(r["documents"]) for r in counted if r["source"] is not None}
    overall = next((r for r in counted if r["source"] is None), None)
    largest = (duplicates.groupBy("exact_duplicate_of").agg((F.count("*") + 1).alias("copies"))
               .orderBy(F.desc("copies"), "exact_duplicate_of").limit(DUPLICATE_EXAMPLES).collect())
    return {
        "documents": int(overall["documents"]) if overall else 0,
        "groups": int(overall["groups"]) if overall else 0,
        "by_source": dict(sorted(by_source.items())),
        "largest_groups": [{"first_id": r["exact_duplicate_of"], "copies": int(r["copies"])} for r in largest],
        "definition": "Documents whose text, with every whitespace run folded to one space and both ends "
                      "stripped, equals another document's; every copy but the first (the smallest id) of each "
                      "group is counted. Empty and null texts are never duplicates.",
    }


# ---------------------------------------------------------------- spans


def _bucket_column(count_col):
    from pyspark.sql import functions as F

    expr = F.lit(BUCKET_LABELS[0])
    for low, label in zip(BUCKET_LOWER[1:], BUCKET_LABELS[1:], strict=True):
        expr = F.when(count_col >= int(low), F.lit(label)).otherwise(expr)
    return expr


def span_rows(result):
    """One row per maximal span of every document, from the result rows."""
    from pyspark.sql import functions as F

    return result.filter(F.col("kind") == "span").select(
        "id", "source", "passes", (F.col("span_end") - F.col("span_start")).alias("length"), "span_start",
        "span_end", "span_max_count", "key_hash", "key_effective", "cross_document", "first_in_document",
    )


def span_clusters(rows):
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


def clusters_per_bucket(clusters) -> dict[str, int]:
    """Span clusters per multiplicity bucket (the histogram's ``distinct_spans``)."""
    return {r["bucket"]: int(r["count"]) for r in clusters.groupBy("bucket").count().collect()}


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


def _span_texts(config: RepetitionConfig, docs, tokens_df, examples: dict[int, tuple[str, int, int]],
                tokenizer: Tokenizer) -> dict[int, str]:
    """The text of one occurrence per listed cluster, cut at ``example_tokens`` tokens.

    BPE tokens are decoded from the cached token ids; the word tokenizer's ids are hashes, so its spans are
    sliced from the original text.
    """
    from pyspark.sql import functions as F

    if not examples:
        return {}
    limit = config.example_tokens
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


def listed_spans(config: RepetitionConfig, docs, tokens_df, rows, clusters, band: HarmfulBand,
                 tokenizer: Tokenizer) -> list[dict[str, Any]]:
    """The top clusters by training tokens, plus the biggest ones inside the harmful band (``SPANS_DDL`` rows)."""
    from pyspark.sql import functions as F

    order = [F.desc("training_tokens"), F.asc("key_hash")]
    in_band = (F.col("effective_repeats") > band.low) & (F.col("effective_repeats") <= band.high)
    top = clusters.orderBy(*order).limit(config.top_spans).collect()
    drivers = clusters.filter(in_band).orderBy(*order).limit(MAX_DRIVERS).collect()
    chosen = {r["key_hash"]: r for r in [*top, *drivers]}
    listed = sorted(chosen.values(), key=lambda r: (-r["training_tokens"], r["key_hash"]))
    details = _cluster_details(rows, [r["key_hash"] for r in listed], config.examples_per_span)
    where = {key: (d["example"]["id"], int(d["example"]["span_start"]), int(d["example"]["span_end"]))
             for key, d in details.items()}
    texts = _span_texts(config, docs, tokens_df, where, tokenizer)
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
            "example_ids": list(details[key]["example_ids"])[: config.examples_per_span], "example_id": doc_id,
            "example_start": start, "example_end": end,
        })
    return spans


# ---------------------------------------------------------------- write


def documents_table(result, duplicates):
    """The documents output: each document's figures and, for an exact duplicate, the id of its first copy."""
    from pyspark.sql import functions as F

    return (result.filter(F.col("kind") == "document")
            .select("id", "source", "tokens", "repeated_tokens",
                    F.when(F.col("tokens") > 0, F.col("repeated_tokens") / F.col("tokens"))
                    .otherwise(F.lit(0.0)).alias("repeated_fraction"),
                    "within_document_tokens", "cross_document_tokens", "excess_tokens",
                    "max_span_count", "spans")
            .join(duplicates.select("id", "exact_duplicate_of"), "id", "left"))


# ---------------------------------------------------------------- strip


def keep_ranks(ctx, path: str, version: int, rule: str):
    """(id, keep_rank) of every document: a long that orders documents as dedup's keep rule ``rule`` does.

    One sort of the documents (id and the rule's columns, never the text) by the rule, then
    ``monotonically_increasing_id``: after a global sort every partition holds a range of the order and numbers
    its rows in order, so the ids follow the order (they are not dense, and need not be). A rule column the
    table lacks (``fetch_time`` in a table of id and text) is null for every document: the lowest id decides,
    as in dedup.
    """
    from pyspark.sql import functions as F

    from corpussieve.dedup.keep import TEXT_LENGTH_COLUMN, keep_ordering, parse_keep_rule

    parsed = parse_keep_rule(rule)
    df = ctx.tables.require(path, columns=["id", "text"], version=version)
    columns = [F.col("id").cast("string").alias("id")]
    order = []
    for name, ascending in keep_ordering(parsed):
        if name == "id":
            value = F.col("id")
        elif name == TEXT_LENGTH_COLUMN:
            value = F.length("text")
        elif name in df.columns:
            value = F.col(name)
        elif parsed.kind == "highest":
            raise InputError(f"keep rule {rule} needs this column, which the table lacks", table=path, column=name)
        else:
            value = F.lit(None).cast("timestamp")
        columns.append(value.alias(f"k{len(order)}"))
        key = F.col(f"k{len(order)}")
        order.append(key.asc_nulls_last() if ascending else key.desc_nulls_last())
    return in_keep_order(df.select(*columns), order, ["id"])


def in_keep_order(df, order: list, columns: list):
    """``columns`` of ``df`` sorted by ``order`` (sort expressions ending with the id), with each row's
    ``keep_rank``: a long that follows the order (one sort, then ``monotonically_increasing_id``; see
    ``keep_ranks``). Clean's spans stage ranks its kept documents with it, by clean's own keep-order column."""
    from pyspark.sql import functions as F

    return df.orderBy(*order).select(*columns, F.monotonically_increasing_id().alias("keep_rank"))


def ranked_tokens(tokens_df, ranks):
    """The cached token rows with each document's keep rank (a broadcast join when the ranks are small)."""
    return tokens_df.select("id", "source", "token_ids").join(ranks, "id")


def _broadcast_checked(spark, cached: Cached, value: Any, nbytes: int, config: RepetitionConfig, what: str):
    if nbytes > config.broadcast_max_bytes:
        from corpussieve.errors import ConfigError

        raise ConfigError(f"span removal broadcasts {what} of {nbytes:,} bytes, more than "
                          f"repetition.broadcast_max_bytes ({config.broadcast_max_bytes:,}); raise that limit "
                          "(every Python worker holds the table) or --strip K")
    return cached.broadcast(spark, value)


def over_limit_hashes(repeated, max_copies: int) -> np.ndarray:
    """The hashes of R's windows seen more than ``max_copies`` times (uint64, unique)."""
    from corpussieve.repetition.arrowfns import binary_values

    table = repeated.mapInArrow(over_limit_map(max_copies), OVER_DDL).toArrow()
    return binary_values(table.column("hashes"), np.uint64)[0].copy()


def strip_limits(spark, ranked, config: RepetitionConfig, buckets: int, over: np.ndarray, cached: Cached):
    """The cutoff of every over-limit window (its K-th occurrence in keep order) and the candidates shuffled."""
    from pyspark.sql import functions as F

    k = config.strip.max_copies or 1
    shared = _broadcast_checked(spark, cached, over, over.nbytes, config, "the over-limit windows")
    candidates = cached.persist(ranked.select("keep_rank", "token_ids")
                                .mapInArrow(first_copies_map(config, shared, buckets), FIRST_COPIES_DDL))
    shipped = int(candidates.agg(F.sum("copies")).first()[0] or 0)
    table = candidates.groupBy("bucket").applyInArrow(cutoffs_apply(k), CUTOFFS_DDL).toArrow()
    candidates.unpersist()
    limits = limits_from_table(table, k)
    return limits, {"first_copy_candidates": shipped, "first_copy_payload_bytes": shipped * BYTES_PER_COPY}


def strip_documents(spark, ranked, config: RepetitionConfig, limits, cached: Cached):
    """Rows of ``STRIPPED_DDL``: every document stripped, with its cuts."""
    shared = _broadcast_checked(spark, cached, limits, limits.nbytes, config, "the copy cutoffs")
    return ranked.select("id", "source", "keep_rank", "token_ids").mapInArrow(strip_map(config, shared),
                                                                              STRIPPED_DDL)


def strip_counts(stripped) -> dict[str, int]:
    """Documents changed, tokens before and tokens removed."""
    from pyspark.sql import functions as F

    row = stripped.agg(F.sum((F.col("tokens_removed") > 0).cast("long")), F.sum("tokens_before"),
                       F.sum("tokens_removed")).first()
    return {"documents_changed": int(row[0] or 0), "tokens_before": int(row[1] or 0),
            "tokens_removed": int(row[2] or 0)}


def measure_again(spark, stripped, config: RepetitionConfig, buckets: int, source_index: dict[str, int] | None,
                  passes_by_index: list[float] | None, passes: dict[str, float], cached: Cached) -> RepetitionFigures:
    """The corpus figures of the kept tokens: the count and coverage stages run again on the stripped rows."""
    repeated = cached.persist(repeated_windows(stripped, config, buckets, source_index, passes_by_index))
    if choose_lookup(config, repeated_size(repeated)[1]) == "broadcast":
        result = broadcast_coverage(spark, stripped, repeated, config, passes, cached)
    else:
        result = shuffle_coverage(stripped, repeated, config, buckets, passes)
    return sum_figures(result)[0]


def stripped_table(ctx, path: str, version: int, stripped, unit: str):
    """The input table's rows with ``text`` cut, plus ``tokens_before`` and ``tokens_removed``."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StructField, StructType

    df = ctx.tables.require(path, columns=["id", "text"], version=version)
    cuts = stripped.select(F.col("id").alias("_strip_id"), F.col("tokens_before").alias(STRIP_COLUMNS[0]),
                           F.col("tokens_removed").alias(STRIP_COLUMNS[1]),
                           F.col("text_units").alias(STRIP_COLUMNS[2]), F.col("cuts").alias(STRIP_COLUMNS[3]))
    base = df.drop("tokens_before", "tokens_removed")
    joined = (base.join(cuts, base["id"].cast("string") == cuts["_strip_id"], "left").drop("_strip_id"))
    schema = StructType([*base.schema.fields, StructField("tokens_before", LongType()),
                         StructField("tokens_removed", LongType())])
    return joined.mapInArrow(rebuild_map(unit, path), schema)
