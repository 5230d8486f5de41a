"""The decontaminate job's Spark stages: DataFrames in, DataFrames or plain values out.

The benchmark index is built on the driver (it is the benchmarks, not the corpus). While it fits
``broadcast_max_bytes`` it is a broadcast variable that every Python worker reads once, and one ``mapInArrow`` pass
does the rest. Above that, the documents' n-gram hashes (one row per n-gram) are joined with the index as a Spark
table (hash, item), the matches are grouped back per document, and the same ``mapInArrow`` function assembles the
result from them: both paths end in :func:`corpussieve.decontaminate.matching.assemble`.
"""

from __future__ import annotations

from typing import Any

from corpussieve.decontaminate.arrowfns import (
    ADDED_FIELDS,
    INTERNAL_COLUMNS,
    WINDOWS_DDL,
    documents_map,
    windows_map,
)
from corpussieve.decontaminate.config import DecontaminateConfig
from corpussieve.decontaminate.index import BenchmarkIndex

CONTAMINATED_COLUMNS = ("id", "benchmark", "item_id", "ngrams", "spans", "span_texts", "action", "reject_reason")


def read_documents(ctx, path: str, version: int, cfg: DecontaminateConfig):
    """The input table with its ids and text checked, spread over enough partitions to use every core."""
    from corpussieve.errors import InputError
    from corpussieve.validate import require_string_column, require_unique_ids

    df = ctx.tables.read(path, version)
    require_string_column(df, path, "text")
    if "id" not in df.columns:
        raise InputError("column is missing", table=path, column="id",
                         expected=f"a unique id per row (the table has: {', '.join(df.columns)})")
    clash = [c for c in ("contamination", *INTERNAL_COLUMNS) if c in df.columns]
    if clash:
        raise InputError("the table already has a column this job adds", table=path, column=clash[0],
                         expected="a table that was not decontaminated already (drop or rename the column)")
    rows = require_unique_ids(df, path)
    have = df.rdd.getNumPartitions()
    cores = ctx.spark.sparkContext.defaultParallelism
    wanted = cfg.partitions or (have if have >= 2 * cores else 2 * cores)
    if wanted != have:
        df = df.repartition(wanted, "id")
    return df, rows, wanted


def choose_strategy(index: BenchmarkIndex, cfg: DecontaminateConfig) -> str:
    if cfg.strategy != "auto":
        return cfg.strategy
    return "broadcast" if index.nbytes <= cfg.broadcast_max_bytes else "join"


def _output_schema(df):
    from pyspark.sql.pandas.types import from_arrow_schema

    import pyarrow as pa

    return from_arrow_schema(pa.schema(ADDED_FIELDS)), df.schema


def matched_documents(spark, docs, index: BenchmarkIndex, cfg: DecontaminateConfig, strategy: str, cached):
    """Every document with ``contamination`` and the internal columns (see ``arrowfns``), persisted."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    added, base = _output_schema(docs)
    schema = StructType([*base.fields, *added.fields])
    if strategy == "broadcast":
        shared = cached.broadcast(spark, index)
        return cached.persist(docs.mapInArrow(documents_map(cfg, shared), schema))
    import pyarrow as pa

    hashes, items = index.table_rows()
    index_df = spark.createDataFrame(pa.table({"hash": hashes, "item": items}))
    windows = docs.select("id", "text").mapInArrow(windows_map(index.lengths.tolist()), WINDOWS_DDL)
    matches = (windows.join(index_df, "hash")
               .groupBy("id")
               .agg(F.collect_list(F.struct("length", "position", "item")).alias("__matches")))
    with_matches = docs.join(matches, "id", "left")
    return cached.persist(with_matches.mapInArrow(documents_map(cfg, None, index.catalog()), schema))


def documents_table(matched):
    from pyspark.sql import functions as F

    return matched.filter(F.col("__reason").isNull()).drop(*[c for c in matched.columns if c.startswith("__")])


def contaminated_table(matched):
    """One row per (document, item hit): the n-gram count, the merged spans and their text, what was done."""
    from pyspark.sql import functions as F

    hits = matched.filter(F.col("contamination.contaminated")).select(
        F.col("id").cast("string").alias("id"), F.explode("__hits").alias("hit"),
        F.col("contamination.action").alias("action"), F.col("__reason").alias("reject_reason"))
    return hits.select("id", "hit.benchmark", "hit.item_id", "hit.ngrams", "hit.spans", "hit.span_texts", "action",
                       "reject_reason")


def benchmark_figures(contaminated, examples: int) -> dict[str, dict[str, Any]]:
    """Per benchmark: items contaminated, documents hit, and example spans (lowest ids first)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    rows = contaminated.groupBy("benchmark").agg(
        F.countDistinct("item_id").alias("items_contaminated"), F.countDistinct("id").alias("documents_hit"),
        F.count("*").alias("hits"), F.sum("ngrams").alias("ngram_hits")).collect()
    figures = {r["benchmark"]: {k: int(r[k]) for k in ("items_contaminated", "documents_hit", "hits", "ngram_hits")}
               for r in rows}
    for r in rows:
        figures[r["benchmark"]]["examples"] = []
    if examples:
        rank = F.row_number().over(Window.partitionBy("benchmark").orderBy("id", "item_id"))
        picked = (contaminated.withColumn("rank", rank).filter(F.col("rank") <= examples)
                  .select("benchmark", "id", "item_id", "ngrams", F.col("span_texts")[0].alias("text"),
                          F.col("spans")[0].alias("span")).collect())
        for r in sorted(picked, key=lambda r: (r["benchmark"], r["id"], r["item_id"])):
            figures[r["benchmark"]]["examples"].append(
                {"id": r["id"], "item_id": r["item_id"], "ngrams": int(r["ngrams"]), "text": r["text"],
                 "start": int(r["span"]["start"]), "end": int(r["span"]["end"])})
    return figures
