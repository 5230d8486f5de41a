"""The clean job's Spark stages: DataFrames in, DataFrames or plain values out.

``check_input`` and ``spread`` read the input; ``prepare`` and ``remove_and_filter`` run the Arrow
functions of ``corpussieve.clean.arrowfns`` with ``mapInArrow`` (their Spark schemas derived from the
columns each function declares); ``find_boilerplate`` is the site-lines stage (``line_counts``,
``find_site_lines``, ``top_lines``); ``find_paragraphs`` the paragraphs stage (paragraph dedup); the spans
stage (span removal) is ``corpussieve.clean.spans``, which ``clean`` calls after the filters when it is on;
``split_outputs`` makes the documents and rejected tables; ``report_inputs`` aggregates what ``corpussieve.clean.report`` turns into report sections.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corpussieve.clean.arrowfns import (
    BLOCKLIST_COLUMNS,
    REMOVE_COLUMNS,
    SPAN_AUDIT,
    audit_columns,
    char_steps,
    STEPS,
    blocklist_batches,
    filter_columns,
    prepare_batches,
    prepare_columns,
    remove_and_filter_batches,
    steps_columns,
    timers,
)
from corpussieve.clean.config import CleanConfig
from corpussieve.clean.document import filter_stack
from corpussieve.clean.steps import enabled_steps, step_payloads
from corpussieve.errors import InputError
from corpussieve.runlog import worker_totals
from corpussieve.session import session_conf
from corpussieve.validate import require_unique_ids

class Persisted:
    """The frames (and broadcasts) this run cached, released together at the end (or early, once nothing
    reads them)."""

    def __init__(self) -> None:
        self.frames: list[Any] = []

    def keep(self, df: Any) -> Any:
        from pyspark import StorageLevel

        df = df.persist(StorageLevel.MEMORY_AND_DISK)
        self.frames.append(df)
        return df

    def persist(self, df: Any) -> Any:
        """``keep`` under the name the repetition job's stages call (clean's spans stage runs them)."""
        return self.keep(df)

    def broadcast(self, spark: Any, value: Any) -> Any:
        """``value`` broadcast once to the workers; ``release`` unpersists it (the driver keeps its copy, so a
        recomputed partition still finds it)."""
        shared = spark.sparkContext.broadcast(value)
        self.frames.append(shared)
        return shared

    def release(self, but: Any = None) -> None:
        """Unpersist every frame except ``but`` (one frame or a list of them)."""
        spared = but if isinstance(but, list) else [but]
        for frame in self.frames:
            if not any(frame is s for s in spared):
                frame.unpersist()
        self.frames = [f for f in self.frames if any(f is s for s in spared)]


def files_read(cfg: CleanConfig) -> dict[str, Any]:
    """The files clean reads besides its input, as run-key entries (names, sizes, modification times): the URL
    blocklists and the decontaminate step's benchmark files. An updated file makes a new run, in clean's own
    key and in the lake refresh's."""
    found: dict[str, Any] = {}
    if cfg.url_blocklist.enabled:
        from corpussieve.clean.blocklist import fingerprint

        found["blocklists"] = fingerprint(cfg.url_blocklist)
    if cfg.steps.decontaminate.enabled:
        from corpussieve.decontaminate.benchmarks import BenchmarkSpec
        from corpussieve.decontaminate.benchmarks import fingerprint as benchmark_prints

        found["benchmarks"] = benchmark_prints([BenchmarkSpec.parse(b) for b in cfg.steps.decontaminate.benchmarks])
    return found


def check_input(tables: Any, path: str, version: int) -> tuple[Any, int]:
    """The input table and its row count, with column types and id uniqueness checked (clear errors,
    naming rows)."""
    return check_frame(tables.require(path, columns=["id"], any_of=("html", "text"), version=version), path)


def check_frame(df: Any, path: str) -> tuple[Any, int]:
    """``check_input`` for a DataFrame already read (``path`` names it in errors): types checked, ids unique."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType, StringType

    types = {f.name: f.dataType for f in df.schema.fields}
    for column, allowed in (("text", (StringType,)), ("html", (StringType, BinaryType)), ("url", (StringType,))):
        if column in types and not isinstance(types[column], allowed):
            raise InputError("wrong column type", table=path, column=column,
                             expected=f"{' or '.join(a.typeName() for a in allowed)}, "
                                      f"found {types[column].simpleString()}")
    if not isinstance(types["id"], StringType):
        df = df.withColumn("id", F.col("id").cast("string"))
    return df, require_unique_ids(df, path)


def spread(spark: Any, df: Any, docs: int, cfg: CleanConfig) -> tuple[Any, int]:
    """Enough partitions for every core to extract pages; hash-partitioned by id when reshuffled."""
    cores = spark.sparkContext.defaultParallelism
    wanted = max(2 * cores, math.ceil(docs / cfg.job.docs_per_partition))
    if df.rdd.getNumPartitions() >= wanted:
        return df, df.rdd.getNumPartitions()
    return df.repartition(wanted, "id"), wanted


def output_columns(df: Any, cfg: CleanConfig) -> list[str]:
    """The columns of both output tables: the input's (html only with keep_html, text always), then what
    the filters add, then the enabled document steps' audit columns (``pii``, ...)."""
    columns = [c for c in df.columns if cfg.job.keep_html or c != "html"]
    if "text" not in columns:
        columns.append("text")
    spans = [SPAN_AUDIT.name] if cfg.spans.enabled else []
    added = ("language", "language_score", "quality", *spans, *audit_columns(cfg))
    return [*columns, *[c for c in added if c not in columns]]


def step_audit_fields(cfg: CleanConfig) -> list[Any]:
    """Spark ``StructField``s of span removal's and every registered document step's audit columns, enabled or
    not (what a table written by clean may have gained since it was created, or may hold from when a step was
    on)."""
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField

    from corpussieve.clean.steps import STEPS as DOCUMENT_STEPS

    fields = [SPAN_AUDIT, *(f for step in DOCUMENT_STEPS for f in step.columns(getattr(cfg.steps, step.name)))]
    return [StructField(f.name, from_arrow_type(f.type), True) for f in fields]


def align_with_table(tables: Any, path: str, frame: Any, cfg: CleanConfig) -> tuple[Any, list[str]]:
    """Make an append of clean's rows to an existing table (a lake's documents or rejected) fit it when the
    two differ only by document steps' audit columns: a column the rows have and the table lacks (the table
    was created before the step existed) is added to the table, in a commit of its own (its earlier rows
    read null: never scanned); a column the table has and the rows lack (the step is off now) is written
    null. Any other difference is left to the append's own check, which refuses it naming the columns.
    Returns the frame and the columns added to the table."""
    from pyspark.sql import functions as F

    if not tables.exists(path):
        return frame, []
    table_types = {f.name: f.dataType for f in tables.schema(path).fields}
    audit = {f.name: f for f in step_audit_fields(cfg)}
    new = [audit[c] for c in frame.columns if c in audit and c not in table_types]
    if new:
        tables.add_columns(path, new)
    for name in [c for c in table_types if c in audit and c not in frame.columns]:
        frame = frame.withColumn(name, F.lit(None).cast(table_types[name]))
    return frame, [f.name for f in new]


@contextlib.contextmanager
def job_sql_conf(spark: Any, cfg: CleanConfig):
    """This job's SQL settings while it runs; the session's own are restored after.

    Arrow batches of ``batch_rows`` for the Python stages. Cache compression off by default: the
    cached rows are mostly page texts, and the dictionary and run-length statistics the JVM gathers
    over every one of them cost more CPU than the memory saved is worth (measured on 100,000
    generated pages: JVM CPU 63.5 s -> 51.9 s, job 204.9 s -> 182.4 s).
    """
    settings = {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(cfg.job.batch_rows),
        "spark.sql.inMemoryColumnarStorage.compressed": "true" if cfg.job.compress_cache else "false",
    }
    with session_conf(spark, settings):
        yield


def spark_schema(schema: Any, columns: Sequence[Any], drop: Sequence[str] = ()) -> Any:
    """The Spark schema of ``arrowfns.output_schema``: Arrow ``columns`` (as Spark types) replace
    same-named fields in place or are appended in order; ``drop`` is removed. Passed-through fields keep
    their Spark types exactly."""
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField, StructType

    new = {f.name: StructField(f.name, from_arrow_type(f.type), f.nullable) for f in columns}
    fields = [new.pop(f.name, f) for f in schema.fields if f.name not in drop]
    return StructType([*fields, *new.values()])


def prepare(df: Any, cfg: CleanConfig, blocklist: Any = None) -> Any:
    """The prepare stage: ``arrowfns.prepare_batch`` over every batch; with ``blocklist`` (a broadcast
    ``Blocklist``) each batch goes through ``arrowfns.blocklist_batch`` first, in the same Python pass.

    Why in the same pass and not a ``url_blocklist`` stage of its own before it: consecutive ``mapInArrow``
    calls are not fused, so a stage of its own sends every row, html included, JVM -> Python -> JVM once
    more to read one column; in the same pass the blocked pages' html is not even decoded into Python.
    Measured (scripts/bench_url_blocklist.py, 10,000 generated pages, 5M-domain list, 2 cores shared with
    other jobs at load 10-20): the stage of its own added 1.3 s per 10,000 pages (lookups included), and the
    lookups in the same pass cost 2.0 worker-seconds per 10,000 pages, against 252 worker-seconds for
    prepare and filters: under 1% of clean either way, so the single pass is chosen for doing less, not for
    a large saving. Why a broadcast of sorted hashes and not a join: a URL is a handful of binary searches
    in numpy (its host, each parent domain, its path prefixes), the table is 10 bytes an entry (5M domains:
    47.7 MiB, unpickled in 0.01 s) and is read once per Python worker, not shipped with every task as a
    closure is; a join would explode each URL's candidates into rows and shuffle them, or build a 5M-row
    hash table in every task."""
    schema = df.schema
    if blocklist is not None:
        schema = spark_schema(schema, BLOCKLIST_COLUMNS)
    return df.mapInArrow(prepare_batches(cfg, blocklist), spark_schema(schema, *prepare_columns(cfg)))


def url_blocklist(df: Any, blocklist: Any) -> Any:
    """The url_blocklist step alone (any frame with a ``url`` column): ``__url_reasons`` (the
    ``url_blocklist:<list>`` codes of each blocked row), ``__url_check`` and ``__sec_url_blocklist`` added.
    Only the url column is read, but every column crosses to Python and back: clean runs it inside the
    prepare stage instead (``prepare``)."""
    return df.mapInArrow(blocklist_batches(blocklist), spark_schema(df.schema, BLOCKLIST_COLUMNS))


def load_blocklist(spark: Any, run: Any, cfg: CleanConfig, persisted: Persisted,
                   prefix: str = "") -> tuple[Any, dict[str, Any]]:
    """The url_blocklist stage on the driver: the configured lists read into one ``Blocklist`` and
    broadcast, and what was loaded; no broadcast (None) and no stage when no list or word is configured."""
    from corpussieve.clean.blocklist import load_blocklist as load

    if not cfg.url_blocklist.enabled:
        return None, {"enabled": False}
    with run.stage(f"{prefix}url_blocklist") as st:
        blocklist = load(cfg.url_blocklist)
        shared = persisted.broadcast(spark, blocklist)
        stats = {"enabled": True, **blocklist.stats}
        st.details.update({"lists": len(blocklist.names), "table_entries": stats["table_entries"],
                           "table_bytes": stats["table_bytes"], "load_seconds": stats["load_seconds"],
                           "from_cache": stats["from_cache"]})
    return shared, stats


def line_counts(prepared: Any) -> tuple[Any, Any]:
    """(site, hash, docs, short): documents per site holding each line hash (once per document);
    and (site, site_docs): documents with text per site. Only documents with text count."""
    from pyspark.sql import functions as F

    with_text = prepared.filter(F.col("text").isNotNull())
    keys = with_text.select(F.col("__site").alias("site"), F.explode("__line_keys").alias("k"))
    counts = keys.groupBy("site", F.col("k.hash").alias("hash")).agg(
        F.count("*").alias("docs"), F.max(F.col("k.short")).alias("short"))
    sizes = (with_text.filter(F.col("__site").isNotNull()).groupBy(F.col("__site").alias("site"))
             .agg(F.count("*").alias("site_docs")))
    return counts, sizes


def find_site_lines(counts: Any, sizes: Any, cfg: CleanConfig) -> tuple[Any, Any]:
    """(site boilerplate: site, hash, docs, site_docs; corpus-wide: hash, docs, sites), the rule of
    ``sitelines.find_boilerplate`` in Spark."""
    from pyspark.sql import functions as F

    lc = cfg.lines
    site = (counts.filter(F.col("site").isNotNull()).join(sizes, "site")
            .filter((F.col("site_docs") >= lc.min_site_size) & (F.col("docs") >= lc.min_site_docs)
                    & (F.col("docs") >= F.lit(lc.min_site_fraction) * F.col("site_docs")))
            .select("site", "hash", "docs", "site_docs"))
    corpus = (counts.groupBy("hash").agg(F.sum("docs").alias("docs"), F.count("site").alias("sites"),
                                         F.max("short").alias("short"))
              .filter((F.col("docs") >= lc.min_corpus_docs) & (F.col("sites") >= lc.min_corpus_sites)
                      & F.col("short"))
              .orderBy(F.desc("docs"), "hash").limit(lc.max_corpus_lines)
              .select("hash", "docs", "sites"))
    return site, corpus


def top_lines(site: Any, corpus_rows: Sequence[Any], limit: int) -> list[dict[str, Any]]:
    """The most widespread boilerplate lines (docs summed over the sites where each is boilerplate)."""
    from pyspark.sql import functions as F

    if limit <= 0:
        return []
    rows = (site.groupBy("hash").agg(F.sum("docs").alias("docs"), F.count("*").alias("sites"))
            .orderBy(F.desc("docs"), "hash").limit(limit).collect())
    merged: dict[int, dict[str, Any]] = {}
    for r in rows:
        merged[r["hash"]] = {"hash": r["hash"], "docs": int(r["docs"]), "sites": int(r["sites"]), "kind": "site"}
    for r in corpus_rows:
        entry = merged.get(r["hash"])
        if entry is None or r["docs"] > entry["docs"]:
            merged[r["hash"]] = {"hash": r["hash"], "docs": int(r["docs"]), "sites": int(r["sites"]),
                                 "kind": "corpus"}
    return sorted(merged.values(), key=lambda e: (-e["docs"], e["hash"]))[:limit]


@dataclass
class Boilerplate:
    """What the site-lines stage found: the report's statistics and top lines, the sorted corpus-wide
    hashes and the per-site hash lists (a DataFrame to join by ``__site``; None when the stage is off)."""

    stats: dict[str, Any]
    corpus_hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    site_lists: Any = None
    top_lines: list[dict[str, Any]] = field(default_factory=list)
    batch_counts: tuple[Any, Any] | None = None
    #: the site boilerplate (site, hash) pairs, which the paragraphs stage leaves to the site rule
    site_pairs: Any = None
    #: what the paragraphs stage found (``find_paragraphs``; None when it is off)
    paragraphs: Paragraphs | None = None
    #: what the spans stage found (``corpussieve.clean.spans.Spans``; None when it is off)
    spans: Any = None
    blocklist: dict[str, Any] = field(default_factory=lambda: {"enabled": False})


def with_history(counts: Any, sizes: Any, history: Any) -> tuple[Any, Any]:
    """The batch's line counts and site sizes plus the earlier batches' (a lake's ``site_lines`` table:
    rows of site, hash, docs, short; a row with a null hash holds the site's documents in ``docs``).

    Only what the batch can be judged by is read back: the counts of the line hashes the batch holds (on
    every site, for the corpus-wide rule) and the sizes of the batch's sites.
    """
    from pyspark.sql import functions as F

    hashes = counts.select("hash").distinct()
    old_counts = (history.filter(F.col("hash").isNotNull()).join(hashes, "hash", "left_semi")
                  .select("site", "hash", "docs", "short"))
    old_sizes = (history.filter(F.col("hash").isNull()).join(sizes.select("site"), "site", "left_semi")
                 .select("site", F.col("docs").alias("site_docs")))
    merged_counts = (counts.select("site", "hash", "docs", "short").unionByName(old_counts)
                     .groupBy("site", "hash").agg(F.sum("docs").alias("docs"), F.max("short").alias("short")))
    merged_sizes = sizes.unionByName(old_sizes).groupBy("site").agg(F.sum("site_docs").alias("site_docs"))
    return merged_counts, merged_sizes


def site_line_rows(counts: Any, sizes: Any) -> Any:
    """The batch's counts as ``site_lines`` rows (site, hash, docs, short; site sizes with a null hash)."""
    from pyspark.sql import functions as F

    return counts.select("site", "hash", F.col("docs").cast("long").alias("docs"), "short").unionByName(
        sizes.select("site", F.lit(None).cast("long").alias("hash"), F.col("site_docs").cast("long").alias("docs"),
                     F.lit(None).cast("boolean").alias("short")))


def find_boilerplate(prepared: Any, cfg: CleanConfig, persisted: Persisted, history: Any = None) -> Boilerplate:
    """The site-lines stage: count line hashes per site, decide site and corpus-wide boilerplate; with
    ``history`` (earlier batches' counts, see ``with_history``) the decision is made on all of them, and
    ``Boilerplate.batch_counts`` keeps this batch's own counts for the next refresh."""
    from pyspark.sql import functions as F

    found = Boilerplate({"enabled": cfg.lines.site_lines})
    if not cfg.lines.site_lines:
        return found
    counts, sizes = line_counts(prepared)
    counts, sizes = persisted.keep(counts), persisted.keep(sizes)
    found.batch_counts = (counts, sizes)
    if history is not None:
        counts, sizes = with_history(counts, sizes, history)
        counts, sizes = persisted.keep(counts), persisted.keep(sizes)
        found.stats["with_earlier_batches"] = True
    site, corpus = find_site_lines(counts, sizes, cfg)
    site = persisted.keep(site)
    found.site_pairs = site.select("site", "hash")
    corpus_rows = corpus.collect()
    found.corpus_hashes = np.sort(np.array([r["hash"] for r in corpus_rows], dtype=np.int64))
    site_stats = site.agg(F.count("*").alias("lines"), F.countDistinct("site").alias("sites"),
                          F.sum("docs").alias("docs")).first()
    site_lines = int(site_stats["lines"] or 0)
    eligible = (sizes.filter(F.col("site_docs") >= cfg.lines.min_site_size)
                .agg(F.count("*").alias("sites"), F.sum("site_docs").alias("docs")).first())
    found.stats.update({
        "site_boilerplate_lines": site_lines,
        "sites_with_boilerplate": int(site_stats["sites"] or 0),
        "sites_judged": int(eligible["sites"] or 0),
        "docs_on_judged_sites": int(eligible["docs"] or 0),
        "corpus_boilerplate_lines": len(found.corpus_hashes),
        "broadcast": site_lines <= cfg.lines.broadcast_max_lines,
    })
    found.top_lines = top_lines(site, corpus_rows, cfg.report.top_lines)
    lists = site.groupBy(F.col("site").alias("__site")).agg(F.array_sort(F.collect_list("hash")).alias("__site_lines"))
    found.site_lists = F.broadcast(lists) if found.stats["broadcast"] else lists
    return found


# -- paragraphs: dedup of long lines across documents (corpussieve.clean.paragraphs) -------------------------
#: the input text's length, taken before prepare replaces ``text`` (the ``longest_text`` keep rule's value)
KEEP_LENGTH = "__keep_length"


@dataclass
class Paragraphs:
    """What the paragraphs stage found: its statistics, the per-document lists of paragraph hashes to drop
    (a DataFrame of ``id``, ``__paragraph_drop`` to join by id; None when nothing repeats), the most
    repeated paragraphs (hash, docs, first_id, earlier) and the ranked copies (persisted; ``paragraph_rows``
    makes a lake's rows of them)."""

    stats: dict[str, Any]
    drop_lists: Any = None
    top: list[dict[str, Any]] = field(default_factory=list)
    ranked: Any = None


def with_keep_length(df: Any, keep: str) -> Any:
    """``df`` with the input text's length as ``__keep_length`` when the keep rule is ``longest_text`` (the
    length dedup compared: the input's ``text``, before extraction; rows without an input text fall back to
    their extracted text's length in ``keep_order``)."""
    from pyspark.sql import functions as F

    from corpussieve.dedup.keep import parse_keep_rule

    if parse_keep_rule(keep).kind != "longest_text":
        return df
    length = F.length("text").cast("long") if "text" in df.columns else F.lit(None).cast("long")
    return df.withColumn(KEEP_LENGTH, length)


def keep_order(prepared: Any, keep: str) -> tuple[Any, bool] | None:
    """The keep rule's value column over the prepared rows and whether it sorts ascending (None for
    ``lowest_id``: the id alone orders). The id always breaks ties, nulls sort last (``dedup.keep``).

    ``earliest_fetch_time`` reads ``fetch_time`` (timestamp, date or ISO string; without the column every
    document ties and the lowest id wins, as in dedup); ``longest_text`` the input text's length
    (``with_keep_length``); ``highest:<column>`` that column."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, StringType, TimestampNTZType, TimestampType

    from corpussieve.dedup.keep import parse_keep_rule

    rule = parse_keep_rule(keep)
    if rule.kind == "lowest_id":
        return None
    if rule.kind == "longest_text":
        return F.coalesce(F.col(KEEP_LENGTH), F.length("text").cast("long")), False
    if rule.kind == "earliest_fetch_time":
        if "fetch_time" not in prepared.columns:
            return F.lit(None).cast("timestamp"), True
        found = prepared.schema["fetch_time"].dataType
        if isinstance(found, StringType):
            return F.to_timestamp("fetch_time"), True
        if isinstance(found, (TimestampType, TimestampNTZType, DateType)):
            return F.col("fetch_time").cast("timestamp"), True
        raise InputError("the keep rule earliest_fetch_time needs a timestamp", column="fetch_time",
                         expected=f"a timestamp, date or ISO string, found {found.simpleString()}")
    if rule.column not in prepared.columns:
        raise InputError(f"the keep rule {rule} orders documents for paragraph dedup by a missing column",
                         column=rule.column, expected="the column in the input, or another dedup.keep")
    return F.col(f"`{rule.column}`"), False


def find_paragraphs(spark: Any, prepared: Any, boilerplate: Boilerplate, cfg: CleanConfig, keep: str,
                    persisted: Persisted, history: Any = None) -> Paragraphs:
    """The paragraphs stage: every (paragraph hash, document) pair of the documents no step rejected yet,
    less the copies the site and corpus-wide line rules remove; one window over the pairs partitioned by
    hash (one shuffle of hashes, ids and the keep value, no text) gives each paragraph its documents and its
    first document by the keep order; every other copy goes on its document's drop list.

    ``history``: earlier batches' paragraphs (a lake's ``paragraphs`` table: hash, docs, first_id, ...).
    Only the rows of the hashes this batch holds are read back (a semi-join), and a paragraph found there is
    dropped from every document of the batch.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = keep_order(prepared, keep)
    candidates = prepared.filter(F.col("text").isNotNull() & (F.size("__reasons") == 0))
    columns = [F.col("id"), F.col("__site"), F.explode("__paragraphs").alias("hash")]
    if order is not None:
        columns.insert(1, order[0].alias("__order"))
    rows = candidates.select(*columns)
    if boilerplate.site_pairs is not None:  # copies the site rule removes are the site rule's
        pairs = boilerplate.site_pairs.withColumnRenamed("site", "__site")
        pairs = F.broadcast(pairs) if boilerplate.stats.get("broadcast") else pairs
        rows = rows.join(pairs, ["__site", "hash"], "left_anti")
    corpus = boilerplate.corpus_hashes
    if len(corpus) and cfg.paragraphs.min_chars <= cfg.lines.max_corpus_line_chars:  # lengths that overlap
        corpus_frame = spark.createDataFrame([(int(h),) for h in corpus], "hash long")
        rows = rows.join(F.broadcast(corpus_frame), "hash", "left_anti")
    earlier = F.lit(False)
    if history is not None:
        held = (history.select("hash").join(rows.select("hash"), "hash", "left_semi").distinct()
                .withColumn("__earlier", F.lit(True)))
        rows = rows.join(held, "hash", "left")
        earlier = F.coalesce(F.col("__earlier"), F.lit(False))
    by_hash = Window.partitionBy("hash")
    value = F.col("__order")
    sort = [] if order is None else [value.asc_nulls_last() if order[1] else value.desc_nulls_last()]
    ranked = persisted.keep(rows.select(
        "hash", "id", earlier.alias("earlier"),
        F.row_number().over(by_hash.orderBy(*sort, F.col("id").asc())).alias("rank"),
        F.count("*").over(by_hash).alias("docs"),
    ))
    firsts = ranked.filter(F.col("rank") == 1)
    repeated = (F.col("docs") > 1) | F.col("earlier")
    figures = firsts.agg(
        F.count("*").alias("paragraphs"), F.sum("docs").alias("copies"),
        F.sum(repeated.cast("long")).alias("repeated"), F.sum(F.col("earlier").cast("long")).alias("earlier"),
        F.sum(F.when(F.col("earlier"), F.col("docs")).otherwise(F.col("docs") - 1)).alias("drop"),
    ).first()
    drop_pairs = int(figures["drop"] or 0)
    found = Paragraphs({
        "paragraphs": int(figures["paragraphs"] or 0), "copies": int(figures["copies"] or 0),
        "repeated": int(figures["repeated"] or 0), "held_by_earlier_batches": int(figures["earlier"] or 0),
        "copies_to_drop": drop_pairs, "broadcast": drop_pairs <= cfg.paragraphs.broadcast_max_rows,
        "keep": keep, "min_chars": cfg.paragraphs.min_chars, "with_earlier_batches": history is not None,
    }, ranked=ranked)
    if drop_pairs:
        lists = (ranked.filter((F.col("rank") > 1) | F.col("earlier")).groupBy("id")
                 .agg(F.array_sort(F.collect_list("hash")).alias("__paragraph_drop")))
        found.drop_lists = F.broadcast(lists) if found.stats["broadcast"] else lists
    if cfg.report.top_paragraphs > 0 and found.stats["repeated"]:
        top = firsts.filter(repeated).orderBy(F.desc("docs"), "hash").limit(cfg.report.top_paragraphs).collect()
        found.top = [{"hash": r["hash"], "docs": int(r["docs"]), "earlier": bool(r["earlier"]),
                      "first_id": None if r["earlier"] else r["id"]} for r in top]
    return found


def paragraph_rows(paragraphs: Paragraphs) -> Any:
    """The batch's paragraphs as a lake's ``paragraphs`` rows: hash, docs (documents of this batch holding it
    after the line rules), first_id (the document that keeps it; null when an earlier batch's does)."""
    from pyspark.sql import functions as F

    return paragraphs.ranked.filter(F.col("rank") == 1).select(
        "hash", F.col("docs").cast("long").alias("docs"),
        F.when(F.col("earlier"), F.lit(None).cast("string")).otherwise(F.col("id")).alias("first_id"))


def remove_and_filter(prepared: Any, boilerplate: Boilerplate, cfg: CleanConfig) -> Any:
    """The filters stage: each document joined to its site's boilerplate list, then one ``mapInArrow``
    drops those lines and the corpus-wide ones, runs the filter stack and then the document steps (their
    driver-side payloads prepared here, once, riding in the closure)."""
    staged = prepared
    if boilerplate.site_lists is not None:
        staged = prepared.join(boilerplate.site_lists, "__site", "left")
    paragraphs = boilerplate.paragraphs
    if paragraphs is not None and paragraphs.drop_lists is not None:
        staged = staged.join(paragraphs.drop_lists, "id", "left")
    sampled = [line["hash"] for line in boilerplate.top_lines]
    sampled += [p["hash"] for p in paragraphs.top] if paragraphs is not None else []
    sample_hashes = np.array(sorted(set(sampled)), dtype=np.int64)
    removed = spark_schema(staged.schema, *REMOVE_COLUMNS)
    filtered = spark_schema(removed, filter_columns(filter_stack(cfg)))
    if cfg.spans.enabled:  # the document steps run after span removal (``corpussieve.clean.spans``)
        return staged.mapInArrow(remove_and_filter_batches(cfg, boilerplate.corpus_hashes, sample_hashes), filtered)
    schema = spark_schema(filtered, steps_columns(cfg))
    payloads = step_payloads(cfg.steps, prepared.sparkSession)
    return staged.mapInArrow(remove_and_filter_batches(cfg, boilerplate.corpus_hashes, sample_hashes, payloads),
                             schema)


def clean(spark: Any, run: Any, df: Any, docs_in: int, cfg: CleanConfig, persisted: Persisted,
          history: Any = None, keep_counts: bool = False, prefix: str = "", keep: str = "lowest_id",
          paragraph_history: Any = None, spans: Any = None) -> tuple[Any, Boilerplate]:
    """Run the url_blocklist (when configured), prepare, site_lines, paragraphs, filters and spans stages over ``df``
    as timed stages of ``run`` (named with ``prefix``); return the persisted per-document frame (``__reasons``
    empty for kept documents) and what the line stages found (``Boilerplate.blocklist``: what the url_blocklist
    stage loaded). ``history``: earlier batches' line counts (``find_boilerplate``);
    ``keep``: the keep rule that orders documents for paragraph dedup (``dedup.keep``);
    ``paragraph_history``: earlier batches' paragraphs (``find_paragraphs``); ``keep_counts``: this batch's
    line counts and paragraphs stay cached (a lake appends them to its ``site_lines`` and ``paragraphs``);
    ``spans``: the repetition settings of span removal (``corpussieve.clean.spans.spans_settings``; required
    when ``clean.spans`` is on, over this ``df`` alone)."""
    if cfg.spans.enabled and spans is None:
        raise ValueError("clean.spans is on: pass its settings (corpussieve.clean.spans.spans_settings)")
    blocklist, blocklist_stats = load_blocklist(spark, run, cfg, persisted, prefix)
    with job_sql_conf(spark, cfg):
        if cfg.paragraphs.enabled or cfg.spans.enabled:
            df = with_keep_length(df, keep)
        with run.stage(f"{prefix}prepare", rows_in=docs_in) as st:
            prepared = persisted.keep(prepare(df, cfg, blocklist))
            st.rows_out = prepared.filter(prepared["text"].isNotNull()).count()

        with run.stage(f"{prefix}site_lines") as st:
            boilerplate = find_boilerplate(prepared, cfg, persisted, history)
            boilerplate.blocklist = blocklist_stats
            st.details.update({k: v for k, v in boilerplate.stats.items() if k != "enabled"})

        if cfg.paragraphs.enabled:
            with run.stage(f"{prefix}paragraphs") as st:
                boilerplate.paragraphs = find_paragraphs(spark, prepared, boilerplate, cfg, keep, persisted,
                                                         paragraph_history)
                st.details.update(boilerplate.paragraphs.stats)

        with run.stage(f"{prefix}filters", rows_in=docs_in) as st:
            final = persisted.keep(remove_and_filter(prepared, boilerplate, cfg))
            st.rows_out = kept_count(final)
            # everything downstream reads ``final`` now (and this batch's line counts, when kept for a lake)
            lake = [*(boilerplate.batch_counts or ())] if keep_counts else []
            if keep_counts and boilerplate.paragraphs is not None:
                lake.append(boilerplate.paragraphs.ranked)
            persisted.release(but=[final, *lake])

        if cfg.spans.enabled:
            from corpussieve.clean.spans import apply_spans, find_spans

            with run.stage(f"{prefix}spans", rows_in=st.rows_out) as st:
                boilerplate.spans = find_spans(spark, final, cfg, spans, keep, persisted)
                final = persisted.keep(apply_spans(final, boilerplate.spans, cfg, spans))
                st.rows_out = kept_count(final)
                st.details.update(boilerplate.spans.stats)
                persisted.release(but=[final, *lake])
    return final, boilerplate


def kept_count(final: Any) -> int:
    from pyspark.sql import functions as F

    return final.filter(F.size("__reasons") == 0).count()


def split_outputs(final: Any, columns: Sequence[str]) -> tuple[Any, Any]:
    """(documents, rejected): the rows without and with reasons. The rejected rows add the shared reject
    columns: the first reason's code, every reason, and a detail (none in clean: the code says it all)."""
    from pyspark.sql import functions as F

    cols = [F.col(f"`{c}`") for c in columns]
    documents = final.filter(F.size("__reasons") == 0).select(*cols)
    rejected = final.filter(F.size("__reasons") > 0).select(
        *cols,
        F.element_at("__reasons", 1).alias("reject_reason"),
        F.col("__reasons").alias("reject_reasons"),
        F.lit(None).cast("string").alias("reject_detail"),
    )
    return documents, rejected


def report_inputs(final: Any, top: list[dict[str, Any]], cfg: CleanConfig,
                  paragraphs: Paragraphs | None = None, spans: Any = None) -> dict[str, Any]:
    """Everything the report counts, from the persisted per-document frame (one pass, plus small queries):
    ``totals`` (worker seconds, rows, kept, line and character sums), ``counts`` (documents per first
    failing step, first reason, any reason, kept language, extraction mode), ``examples`` (the first
    rejected rows of each first reason), ``top_lines`` with each line's text, what the report needs of the
    config: ``char_steps``, ``timers`` and ``document_steps`` (each enabled step's counters summed), and, with
    the paragraphs stage, ``paragraphs``: its statistics and ``top`` paragraphs with their text; with the spans
    stage (``spans``: ``corpussieve.clean.spans.Spans``), ``spans``: its statistics and the top removed windows."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    kept_flag = F.size("__reasons") == 0
    aggregates = [F.sum(kept_flag.cast("long")).alias("kept"),
                  F.sum("__lines_site").alias("lines_site"), F.sum("__lines_corpus").alias("lines_corpus"),
                  F.sum(((F.col("__lines_site") + F.col("__lines_corpus")) > 0).cast("long")).alias("docs_lines"),
                  F.sum("__lines_paragraph").alias("lines_paragraph"),
                  F.sum("__chars_paragraph").alias("chars_paragraph"),
                  F.sum((F.col("__lines_paragraph") > 0).cast("long")).alias("docs_paragraph")]
    for step in char_steps(cfg):
        column = F.col(f"__chars_{step}")
        aggregates += [F.sum(column).alias(f"chars_{step}"), F.count(column).alias(f"docs_{step}"),
                       F.sum(F.when(kept_flag, column)).alias(f"kept_chars_{step}")]
    totals = worker_totals(final, extra=aggregates)

    rejected = final.filter(~kept_flag)
    first_reason = F.element_at("__reasons", 1)

    # every count table of the report from one scan: (table, key) pairs per document, then one group-by
    def keyed(table: str, key, when) -> Any:
        return F.when(when, F.struct(F.lit(table).alias("t"), key.cast("string").alias("k")))

    pairs = F.concat(
        F.array(
            keyed("filter", F.split(first_reason, ":").getItem(0), ~kept_flag),
            keyed("first", first_reason, ~kept_flag),
            keyed("language", F.col("language"), kept_flag),
            keyed("mode", F.col("__mode"), F.col("__mode").isNotNull()),
            *([keyed("url_check", F.col("__url_check"), F.col("__url_check").isNotNull())]
              if "__url_check" in final.columns else []),
        ),
        F.transform("__reasons", lambda r: F.struct(F.lit("any").alias("t"), r.alias("k"))),
    )
    counts: dict[str, dict[Any, int]] = {"filter": {}, "first": {}, "any": {}, "language": {}, "mode": {},
                                         "url_check": {}}
    for r in (final.select(F.explode(pairs).alias("p")).filter(F.col("p").isNotNull())
              .groupBy(F.col("p.t").alias("t"), F.col("p.k").alias("k")).count().collect()):
        counts[r["t"]][r["k"]] = r["count"]

    examples: dict[str, list[dict[str, Any]]] = {}
    k = cfg.report.examples_per_reason
    if k > 0 and counts["first"]:
        chars = cfg.report.example_chars
        url = F.col("url") if "url" in final.columns else F.lit(None).cast("string")
        window = Window.partitionBy("__first").orderBy("id")
        rows = (rejected.select("id", url.alias("url"), first_reason.alias("__first"), "__reasons",
                                F.substring(F.coalesce("text", "__excerpt"), 1, chars).alias("excerpt"))
                .withColumn("__n", F.row_number().over(window)).filter(F.col("__n") <= k)
                .orderBy("__first", "id").collect())
        for r in rows:
            examples.setdefault(r["__first"], []).append(
                {"id": r["id"], "url": r["url"], "reasons": list(r["__reasons"]), "excerpt": r["excerpt"]})

    lines = [dict(line) for line in top]
    top_paragraphs = [dict(p) for p in paragraphs.top] if paragraphs is not None else []
    if lines or top_paragraphs:
        samples = {r["hash"]: r["line"] for r in final.filter(F.col("__sample_lines").isNotNull())
                   .select("id", F.explode("__sample_lines").alias("s"))
                   .groupBy(F.col("s.hash").alias("hash")).agg(F.min_by("s.line", "id").alias("line")).collect()}
        for line in lines:
            line["line"] = samples.get(line["hash"])
        for paragraph in top_paragraphs:
            paragraph["paragraph"] = samples.get(paragraph["hash"])
    document_steps = [{"step": step.name, "counters": {c: int(totals.get(f"n_{step.name}_{c}") or 0) for c in step.counters},
                       "descriptions": dict(step.counters)} for step, _ in enabled_steps(cfg.steps)]
    found = {"totals": totals, "counts": counts, "examples": examples, "top_lines": lines,
             "char_steps": list(char_steps(cfg)), "timers": list(timers(cfg)), "document_steps": document_steps}
    if paragraphs is not None:
        found["paragraphs"] = {**paragraphs.stats, "top": top_paragraphs}
    if spans is not None:
        found["spans"] = {**spans.stats, "top": list(spans.top)}
    return found


__all__ = [
    "Boilerplate", "KEEP_LENGTH", "Paragraphs", "Persisted", "align_with_table", "check_frame", "clean", "check_input",
    "files_read", "find_boilerplate", "find_paragraphs", "find_site_lines", "job_sql_conf", "keep_order", "kept_count",
    "line_counts", "load_blocklist", "output_columns", "paragraph_rows", "prepare", "remove_and_filter",
    "report_inputs", "site_line_rows", "spark_schema", "split_outputs", "spread", "step_audit_fields", "top_lines",
    "url_blocklist", "with_history", "with_keep_length",
]  # fmt: skip
