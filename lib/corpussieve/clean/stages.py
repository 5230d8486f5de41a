"""The clean job's Spark stages: DataFrames in, DataFrames or plain values out.

``check_input`` and ``spread`` read the input; ``prepare`` and ``remove_and_filter`` run the Arrow
functions of ``corpussieve.clean.arrowfns`` with ``mapInArrow`` (their Spark schemas derived from the
columns each function declares); ``find_boilerplate`` is the site-lines stage (``line_counts``,
``find_site_lines``, ``top_lines``); ``split_outputs`` makes the documents and rejected tables;
``report_inputs`` aggregates what ``corpussieve.clean.report`` turns into report sections.
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
    STEPS,
    blocklist_batches,
    filter_columns,
    prepare_batches,
    prepare_columns,
    remove_and_filter_batches,
)
from corpussieve.clean.config import CleanConfig
from corpussieve.clean.document import filter_stack
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
    the filters add."""
    columns = [c for c in df.columns if cfg.job.keep_html or c != "html"]
    if "text" not in columns:
        columns.append("text")
    return [*columns, *[c for c in ("language", "language_score", "quality") if c not in columns]]


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


def remove_and_filter(prepared: Any, boilerplate: Boilerplate, cfg: CleanConfig) -> Any:
    """The filters stage: each document joined to its site's boilerplate list, then one ``mapInArrow``
    drops those lines and the corpus-wide ones and runs the filter stack."""
    staged = prepared
    if boilerplate.site_lists is not None:
        staged = prepared.join(boilerplate.site_lists, "__site", "left")
    sample_hashes = np.array(sorted(line["hash"] for line in boilerplate.top_lines), dtype=np.int64)
    removed = spark_schema(staged.schema, *REMOVE_COLUMNS)
    schema = spark_schema(removed, filter_columns(filter_stack(cfg)))
    return staged.mapInArrow(remove_and_filter_batches(cfg, boilerplate.corpus_hashes, sample_hashes), schema)


def clean(spark: Any, run: Any, df: Any, docs_in: int, cfg: CleanConfig, persisted: Persisted,
          history: Any = None, keep_counts: bool = False, prefix: str = "") -> tuple[Any, Boilerplate]:
    """Run the url_blocklist (when configured), prepare, site_lines and filters stages over ``df`` as timed
    stages of ``run`` (named with ``prefix``); return the persisted per-document frame (``__reasons`` empty
    for kept documents) and what the site-lines stage found (``Boilerplate.blocklist``: what the
    url_blocklist stage loaded). ``history``: earlier batches' line counts (``find_boilerplate``);
    ``keep_counts``: this batch's line counts stay cached (a lake appends them to its ``site_lines``)."""
    blocklist, blocklist_stats = load_blocklist(spark, run, cfg, persisted, prefix)
    with job_sql_conf(spark, cfg):
        with run.stage(f"{prefix}prepare", rows_in=docs_in) as st:
            prepared = persisted.keep(prepare(df, cfg, blocklist))
            st.rows_out = prepared.filter(prepared["text"].isNotNull()).count()

        with run.stage(f"{prefix}site_lines") as st:
            boilerplate = find_boilerplate(prepared, cfg, persisted, history)
            boilerplate.blocklist = blocklist_stats
            st.details.update({k: v for k, v in boilerplate.stats.items() if k != "enabled"})

        with run.stage(f"{prefix}filters", rows_in=docs_in) as st:
            final = persisted.keep(remove_and_filter(prepared, boilerplate, cfg))
            st.rows_out = kept_count(final)
            # everything downstream reads ``final`` now (and this batch's line counts, when kept for a lake)
            keep = [final, *(boilerplate.batch_counts or ())] if keep_counts else [final]
            persisted.release(but=keep)
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


def report_inputs(final: Any, top: list[dict[str, Any]], cfg: CleanConfig) -> dict[str, Any]:
    """Everything the report counts, from the persisted per-document frame (one pass, plus small queries):
    ``totals`` (worker seconds, rows, kept, line and character sums), ``counts`` (documents per first
    failing step, first reason, any reason, kept language, extraction mode), ``examples`` (the first
    rejected rows of each first reason) and ``top_lines`` with each line's text."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    kept_flag = F.size("__reasons") == 0
    aggregates = [F.sum(kept_flag.cast("long")).alias("kept"),
                  F.sum("__lines_site").alias("lines_site"), F.sum("__lines_corpus").alias("lines_corpus"),
                  F.sum(((F.col("__lines_site") + F.col("__lines_corpus")) > 0).cast("long")).alias("docs_lines")]
    for step in STEPS:
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
    if lines:
        samples = {r["hash"]: r["line"] for r in final.filter(F.col("__sample_lines").isNotNull())
                   .select("id", F.explode("__sample_lines").alias("s"))
                   .groupBy(F.col("s.hash").alias("hash")).agg(F.min_by("s.line", "id").alias("line")).collect()}
        for line in lines:
            line["line"] = samples.get(line["hash"])
    return {"totals": totals, "counts": counts, "examples": examples, "top_lines": lines}


__all__ = [
    "Boilerplate", "Persisted", "check_frame", "clean", "check_input", "find_boilerplate", "find_site_lines", "job_sql_conf", "kept_count",
    "line_counts", "load_blocklist", "output_columns", "prepare", "url_blocklist", "remove_and_filter", "report_inputs", "spark_schema", "split_outputs",
    "site_line_rows", "spread", "top_lines", "with_history",
]  # fmt: skip
