"""The clean job: main text from HTML (or cleaned text), site and corpus boilerplate lines, quality filters.

Stages (each a named, timed step of the run log):

1. ``prepare``: ``mapInArrow`` over (id, html, text, url): extraction or markup stripping, repair and
   universal boilerplate lines per document; the site (registered domain) and the hash of every line.
2. ``site_lines``: count each line hash once per document per site, across the whole corpus, and
   decide which lines are site boilerplate (frequent within a site) or corpus-wide boilerplate
   (frequent across many sites).
3. ``filters``: join each document to its site's boilerplate list (broadcast when small), then one
   ``mapInArrow`` drops those lines and the corpus-wide ones and runs the filter stack.
4. ``write``: ``DIR/documents`` and ``DIR/rejected`` in one ``write_all`` (a failure commits nothing),
   then ``DIR/report.json`` and ``DIR/report.html``.

Every input row ends in exactly one of the two tables.
"""

from __future__ import annotations

import argparse
import contextlib
import math
from typing import Any

from corpussieve.clean.config import CleanConfig
from corpussieve.clean.report import build_report, render_html
from corpussieve.clean.stages import STEPS, TIMERS, batch_function, prepare_batch, remove_and_filter_batch
from corpussieve.errors import InputError
from corpussieve.runlog import run_key, write_json, write_text
from corpussieve.tables import Output, WriteSpec
from corpussieve.validate import require_unique_ids

HELP = "extract main text, drop boilerplate lines and filter by quality (DIR/documents, DIR/rejected, report)"

APP_ID = "corpussieve-clean"
#: ``spark.jit: auto`` in local mode: the work is trafilatura and the filters in Python, the JVM only moves
#: batches, so C2's compiler threads cost more than they save (measured: 10,000 pages 46.5 s -> 37.0 s).
LOCAL_JIT = "quick"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, metavar="TABLE",
                        help="Delta table with a unique 'id' and 'html' and/or 'text' ('url' when known)")
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="folder for the documents and rejected tables and the report")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {}


def _check_input(ctx, path: str, version: int):
    """The input table and its row count, with column types and id uniqueness checked (clear errors,
    naming rows)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType, StringType

    df = ctx.tables.require(path, columns=["id"], any_of=("html", "text"), version=version)
    types = {f.name: f.dataType for f in df.schema.fields}
    for column, allowed in (("text", (StringType,)), ("html", (StringType, BinaryType)), ("url", (StringType,))):
        if column in types and not isinstance(types[column], allowed):
            raise InputError("wrong column type", table=path, column=column,
                             expected=f"{' or '.join(a.typeName() for a in allowed)}, "
                                      f"found {types[column].simpleString()}")
    if not isinstance(types["id"], StringType):
        df = df.withColumn("id", F.col("id").cast("string"))
    return df, require_unique_ids(df, path)


@contextlib.contextmanager
def _job_sql_conf(spark, cfg: CleanConfig):
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
    before = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _spread(ctx, df, docs: int, cfg: CleanConfig):
    """Enough partitions for every core to extract pages; hash-partitioned by id when reshuffled."""
    cores = ctx.spark.sparkContext.defaultParallelism
    wanted = max(2 * cores, math.ceil(docs / cfg.job.docs_per_partition))
    if df.rdd.getNumPartitions() >= wanted:
        return df, df.rdd.getNumPartitions()
    return df.repartition(wanted, "id"), wanted


def _schema_after_prepare(df, cfg: CleanConfig):
    from pyspark.sql.types import (ArrayType, BooleanType, DoubleType, LongType, StringType, StructField,
                                   StructType)

    fields = [f for f in df.schema.fields if cfg.job.keep_html or f.name != "html"]
    names = [f.name for f in fields]
    if "text" not in names:
        fields.append(StructField("text", StringType()))
    key = StructType([StructField("hash", LongType()), StructField("short", BooleanType())])
    fields = [StructField(f.name, StringType()) if f.name == "text" else f for f in fields]
    fields += [
        StructField("__site", StringType()), StructField("__reasons", ArrayType(StringType())),
        StructField("__mode", StringType()), StructField("__excerpt", StringType()),
        StructField("__line_hashes", ArrayType(LongType())), StructField("__line_keys", ArrayType(key)),
        StructField("__sec_prepare", DoubleType()),
        *[StructField(f"__chars_{step}", LongType()) for step in STEPS],
    ]
    return StructType(fields)


def _schema_after_remove(schema):
    from pyspark.sql.types import ArrayType, DoubleType, LongType, StringType, StructField, StructType

    sample = StructType([StructField("hash", LongType()), StructField("line", StringType())])
    fields = [f for f in schema.fields if f.name not in ("__line_hashes", "__line_keys", "__site_lines")]
    fields += [StructField("__lines_site", LongType()), StructField("__lines_corpus", LongType()),
               StructField("__sample_lines", ArrayType(sample)), StructField("__sec_lines", DoubleType())]
    return StructType(fields)


def _schema_after_filters(schema, cfg: CleanConfig):
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    from corpussieve.clean.pipeline import filter_stack

    quality = StructType([
        StructField(f.name, StructType([StructField(c.name, DoubleType()) for c in f.type]))
        for f in filter_stack(cfg).signal_schema()
    ])
    new = {"language": StringType(), "language_score": DoubleType(), "quality": quality,
           "__sec_filters": DoubleType()}
    fields = [StructField(f.name, new.pop(f.name)) if f.name in new else f for f in schema.fields]
    fields += [StructField(name, dtype) for name, dtype in new.items()]
    return StructType(fields)


def line_counts(prepared):
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


def find_site_lines(counts, sizes, cfg: CleanConfig):
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


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    cfg: CleanConfig = ctx.config.clean
    run = ctx.run
    tables = ctx.tables
    source = tables.normalize(args.input)
    out_dir = tables.normalize(args.output)
    documents_path, rejected_path = f"{out_dir}/documents", f"{out_dir}/rejected"
    spark = ctx.spark
    source_version = tables.version(source)
    key = run_key("clean", input=source, input_version=source_version, output=out_dir,
                  config=cfg.model_dump(mode="json"))
    done = run.resume(tables, key, [Output(documents_path), Output(rejected_path)], f"{out_dir}/report.json", {})
    if done:
        return done

    with run.stage("read") as st:
        df, docs_in = _check_input(ctx, source, source_version)
        df, partitions = _spread(ctx, df, docs_in, cfg)
        st.rows_out = docs_in
        st.details["partitions"] = partitions
        run.inputs = [{"table": source, "version": source_version, "rows": docs_in, "columns": df.columns}]
    input_columns = [c for c in df.columns if cfg.job.keep_html or c != "html"]
    if "text" not in input_columns:
        input_columns.append("text")

    persisted = []
    try:
        with _job_sql_conf(spark, cfg):
            with run.stage("prepare", rows_in=docs_in) as st:
                prepared = df.mapInArrow(batch_function(prepare_batch, cfg), _schema_after_prepare(df, cfg))
                prepared = prepared.persist(StorageLevel.MEMORY_AND_DISK)
                persisted.append(prepared)
                st.rows_out = prepared.filter(F.col("text").isNotNull()).count()

            with run.stage("site_lines") as st:
                lines_stats: dict[str, Any] = {"enabled": cfg.lines.site_lines}
                corpus_hashes = np.zeros(0, dtype=np.int64)
                site_lists = None
                top_lines: list[dict[str, Any]] = []
                if cfg.lines.site_lines:
                    counts, sizes = line_counts(prepared)
                    counts = counts.persist(StorageLevel.MEMORY_AND_DISK)
                    sizes = sizes.persist(StorageLevel.MEMORY_AND_DISK)
                    site, corpus = find_site_lines(counts, sizes, cfg)
                    site = site.persist(StorageLevel.MEMORY_AND_DISK)
                    persisted += [counts, sizes, site]
                    corpus_rows = corpus.collect()
                    corpus_hashes = np.sort(np.array([r["hash"] for r in corpus_rows], dtype=np.int64))
                    site_stats = site.agg(F.count("*").alias("lines"), F.countDistinct("site").alias("sites"),
                                          F.sum("docs").alias("docs")).first()
                    site_lines = int(site_stats["lines"] or 0)
                    eligible = (sizes.filter(F.col("site_docs") >= cfg.lines.min_site_size)
                                .agg(F.count("*").alias("sites"), F.sum("site_docs").alias("docs")).first())
                    lines_stats.update({
                        "site_boilerplate_lines": site_lines,
                        "sites_with_boilerplate": int(site_stats["sites"] or 0),
                        "sites_judged": int(eligible["sites"] or 0),
                        "docs_on_judged_sites": int(eligible["docs"] or 0),
                        "corpus_boilerplate_lines": len(corpus_hashes),
                        "broadcast": site_lines <= cfg.lines.broadcast_max_lines,
                    })
                    top_lines = _top_lines(site, corpus_rows, cfg.report.top_lines)
                    lists = site.groupBy(F.col("site").alias("__site")).agg(
                        F.array_sort(F.collect_list("hash")).alias("__site_lines"))
                    site_lists = F.broadcast(lists) if lines_stats["broadcast"] else lists
                st.details.update({k: v for k, v in lines_stats.items() if k != "enabled"})

            with run.stage("filters", rows_in=docs_in) as st:
                staged = prepared
                if site_lists is not None:
                    staged = prepared.join(site_lists, "__site", "left")
                sample_hashes = np.array(sorted(line["hash"] for line in top_lines), dtype=np.int64)
                schema = _schema_after_filters(_schema_after_remove(staged.schema), cfg)
                final = staged.mapInArrow(
                    batch_function(remove_and_filter_batch, corpus_hashes, sample_hashes, cfg), schema)
                final = final.persist(StorageLevel.MEMORY_AND_DISK)
                persisted.append(final)
                kept = final.filter(F.size("__reasons") == 0).count()
                st.rows_out = kept
                for frame in persisted[:-1]:  # everything downstream reads ``final`` now
                    frame.unpersist()
                persisted = persisted[-1:]

        out_columns = [*input_columns, *[c for c in ("language", "language_score", "quality")
                                         if c not in input_columns]]
        cols = [F.col(f"`{c}`") for c in out_columns]
        documents = final.filter(F.size("__reasons") == 0).select(*cols)
        rejected = final.filter(F.size("__reasons") > 0).select(
            *cols,
            F.split(F.element_at("__reasons", 1), ":").getItem(0).alias("reject_reason"),
            F.col("__reasons").alias("reject_reasons"),
        )
        with run.stage("write") as st:
            metadata = {"job": "clean", "run_id": run.run_id, "input": source}
            results = tables.write_all([WriteSpec(documents, documents_path, metadata=metadata),
                                        WriteSpec(rejected, rejected_path, metadata=metadata)], run.identity)
            st.rows_out = (results[0].rows or 0) + (results[1].rows or 0)
            st.details["documents_version"] = results[0].version
            st.details["rejected_version"] = results[1].version

        with run.stage("report") as st:
            report = build_report(final, docs_in, top_lines, lines_stats, cfg)
            run.outputs = [r.as_dict() for r in results]
            run.metrics.update(report["metrics"])
    finally:
        for frame in persisted:
            frame.unpersist()

    seconds = run.elapsed()
    run.metrics["pages_per_second"] = round(docs_in / seconds, 2) if seconds else None
    summary = {
        "output": out_dir, "documents": documents_path, "rejected": rejected_path,
        "docs_in": docs_in, "kept": report["metrics"]["kept"], "rejected_rows": report["metrics"]["rejected"],
        "rejected_by_filter": report["metrics"]["rejected_by_filter"],
        "boilerplate_lines_removed": report["metrics"]["lines_removed"],
        "seconds": round(seconds, 1), "pages_per_second": run.metrics["pages_per_second"],
        "report": f"{out_dir}/report.json",
    }
    full = run.report(summary=summary, **report["sections"])
    write_json(f"{out_dir}/report.json", full)
    write_text(f"{out_dir}/report.html", render_html(full))
    return summary


def _top_lines(site, corpus_rows, limit: int) -> list[dict[str, Any]]:
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


__all__ = ["HELP", "TIMERS", "add_arguments", "find_site_lines", "line_counts", "overrides", "run"]
