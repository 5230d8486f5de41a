"""The format job's Spark stages: DataFrames in, DataFrames or plain values out.

:func:`corpussieve.format.job.run` calls these in stage order. The token ids cross the cluster once: each
planned copy of a document goes to its shard (a seeded hash of (seed, id, copy) modulo the shard count) and
the executor holding a shard writes it to the staging folder under the output path, ordered by that hash.
The driver only ever sees per-source and per-shard figures, the crossing bucket of each fractional epoch
(1/65536 of a source) and the shards' checksums.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from corpussieve.errors import ConfigError, InputError
from corpussieve.format import files
from corpussieve.format.arrowfns import SHARDS_DDL, TOKENS_DDL, shard_name, shards_apply, tokens_map
from corpussieve.format.config import FormatConfig
from corpussieve.format.mixing import (
    BUCKET_SHIFT,
    Cutoff,
    SourceMix,
    crossing_bucket,
    cutoff_in_bucket,
)
from corpussieve.repetition.arrowfns import NO_SOURCE
from corpussieve.repetition.coverage import MassTable
from corpussieve.repetition.plan import TrainingPlan

SOURCE_STATS = ("documents", "tokens", "text_tokens", "empty", "null_text")
"""What the tokenize stage counts per source: documents with tokens, their stream tokens (each document's
tokens plus its end-of-document token), their tokens alone, empty texts (left out) and null texts."""
MAX_RANK = 2**63 - 1
RUN_DIR = re.compile(r"^[0-9a-f]{24}$")
"""The folder of one run's shards is named by its run key (``runlog.run_key``: 24 hex digits)."""

MANIFEST_DDL = (
    "shard int, path string, files array<string>, format string, dtype string, documents long, tokens long, "
    "bytes long, sha256 string, idx_sha256 string, sources array<string>, source_documents array<long>, "
    "source_tokens array<long>"
)


# ---------------------------------------------------------------- read, tokenize


def read_documents(ctx, path: str, version: int, config: FormatConfig, plan: TrainingPlan | None = None,
                   plan_path: str | None = None):
    """The input's (id, text, source) with ids checked, spread over enough partitions to use every core; a plan
    naming a source the table lacks is refused here, before any token is spent (one read of the source column)."""
    from pyspark.sql import functions as F

    from corpussieve.validate import require_string_column, require_unique_ids

    df = ctx.tables.read(path, version)
    require_string_column(df, path, "text")
    if "id" not in df.columns:
        raise InputError("column is missing", table=path, column="id",
                         expected=f"a unique id per row (the table has: {', '.join(df.columns)})")
    require_unique_ids(df, path)
    source = (F.coalesce(F.col("source").cast("string"), F.lit(NO_SOURCE)) if "source" in df.columns
              else F.lit(NO_SOURCE))
    docs = df.select(F.col("id").cast("string").alias("id"), F.col("text"), source.alias("source"))
    if plan is not None and plan.sources:
        present = {r[0]: 1 for r in df.select(source).distinct().collect()}
        refuse_unknown_sources(plan, {name: {"documents": 1} for name in present}, path, plan_path)
    have = docs.rdd.getNumPartitions()
    cores = ctx.spark.sparkContext.defaultParallelism
    wanted = config.partitions or (have if have >= 2 * cores else 2 * cores)
    if wanted != have:
        docs = docs.repartition(wanted, "id")
    return docs, wanted


def tokenize(docs, config: FormatConfig):
    return docs.mapInArrow(tokens_map(config), TOKENS_DDL)


def source_stats(tokens_df) -> dict[str, dict[str, int]]:
    from pyspark.sql import functions as F

    has_tokens = F.col("tokens") > 0
    rows = tokens_df.groupBy("source").agg(
        F.count(F.when(has_tokens, 1)).alias("documents"),
        F.sum(F.when(has_tokens, F.col("tokens") + 1).otherwise(0)).alias("tokens"),
        F.sum("tokens").alias("text_tokens"),
        F.count(F.when(~has_tokens & ~F.col("text_null"), 1)).alias("empty"),
        F.count(F.when(F.col("text_null"), 1)).alias("null_text"),
    ).collect()
    return {r["source"]: {k: int(r[k] or 0) for k in SOURCE_STATS} for r in sorted(rows, key=lambda r: r["source"])}


def refuse_null_texts(tokens_df, stats: dict[str, dict[str, int]], table: str, sample: int = 5) -> None:
    """A null text is refused, naming the rows: a training set silently missing documents is worse."""
    from pyspark.sql import functions as F

    nulls = sum(s["null_text"] for s in stats.values())
    if nulls:
        ids = [r["id"] for r in tokens_df.filter(F.col("text_null")).select("id").orderBy("id").limit(sample)
               .collect()]
        raise InputError(f"{nulls:,} row{'s have' if nulls > 1 else ' has'} a null text", table=table,
                         column="text", row_ids=ids,
                         expected="a string on every row (filter the rows out, or run clean first)")


def refuse_unknown_sources(plan: TrainingPlan | None, stats: dict[str, dict[str, int]], table: str,
                           plan_path: str | None) -> None:
    """A plan naming a source the table does not hold (or holds no tokens of) is a typo or the wrong table."""
    if plan is None:
        return
    present = {name for name, s in stats.items() if s["documents"]}
    for name, spec in plan.sources.items():
        if name not in present:
            what = f"weight {spec.weight:g}" if spec.weight is not None else f"epochs {spec.epochs:g}"
            raise InputError(
                f"the plan {plan_path} gives source {name!r} {what}, but the table holds no text of that source",
                table=table, column="source",
                expected=f"one of the table's sources: {', '.join(sorted(present)) or 'none'}")


# ---------------------------------------------------------------- mix


def with_rank(tokens_df, seed: int):
    """Documents with tokens and their seeded 63-bit rank: the order a fractional epoch takes them in."""
    from pyspark.sql import functions as F

    rank = F.xxhash64(F.lit(seed), F.lit("fraction"), F.col("source"), F.col("id")).bitwiseAND(F.lit(MAX_RANK))
    return tokens_df.filter(F.col("tokens") > 0).withColumn("rank", rank)


def fraction_cutoffs(ranked, mixes: dict[str, SourceMix]) -> dict[str, Cutoff]:
    """The fractional subset of every source read a fractional number of times: two small aggregations (token
    sums per rank bucket, then the documents of each crossing bucket), see :mod:`corpussieve.format.mixing`."""
    from pyspark.sql import functions as F

    partial = {name: m for name, m in mixes.items() if m.fraction > 0}
    if not partial:
        return {}
    bucket = F.shiftright(F.col("rank"), BUCKET_SHIFT)
    per_bucket = (ranked.filter(F.col("source").isin(list(partial)))
                  .groupBy("source", bucket.alias("bucket"))
                  .agg(F.sum(F.col("tokens") + 1).alias("tokens"), F.count("*").alias("documents")).collect())
    crossing: dict[str, tuple[int, int, int]] = {}
    for name, mix in partial.items():
        rows = sorted((r for r in per_bucket if r["source"] == name), key=lambda r: r["bucket"])
        crossing[name] = crossing_bucket(np.array([r["bucket"] for r in rows], dtype=np.int64),
                                         np.array([r["tokens"] for r in rows], dtype=np.int64),
                                         np.array([r["documents"] for r in rows], dtype=np.int64),
                                         mix.fraction_target)
    wanted = None
    for name, (b, _, _) in crossing.items():
        clause = (F.col("source") == name) & (bucket == b)
        wanted = clause if wanted is None else wanted | clause
    inside = ranked.filter(wanted).select("source", "rank", "id", (F.col("tokens") + 1).alias("tokens")).collect()
    cutoffs = {}
    for name, (b, before, documents_before) in crossing.items():
        rows = [r for r in inside if r["source"] == name]
        cutoffs[name] = cutoff_in_bucket(b, before, np.array([r["rank"] for r in rows], dtype=np.int64),
                                         [r["id"] for r in rows], np.array([r["tokens"] for r in rows]),
                                         partial[name].fraction_target, documents_before)
    return cutoffs


def planned_copies(spark, ranked, mixes: dict[str, SourceMix], cutoffs: dict[str, Cutoff]):
    """Every document with ``copies``: its whole epochs, plus one when the fractional subset takes it."""
    from pyspark.sql import functions as F

    rules = spark.createDataFrame(
        [(name, m.whole_epochs, name in cutoffs, cutoffs[name].rank if name in cutoffs else 0,
          cutoffs[name].last_id if name in cutoffs else None) for name, m in mixes.items()],
        "source string, whole int, partial boolean, cut_rank long, cut_id string")
    taken = F.col("partial") & ((F.col("rank") < F.col("cut_rank"))
                                | ((F.col("rank") == F.col("cut_rank")) & F.col("cut_id").isNotNull()
                                   & (F.col("id") <= F.col("cut_id"))))
    return (ranked.join(F.broadcast(rules), "source")
            .withColumn("copies", F.col("whole") + taken.cast("int"))
            .drop("whole", "partial", "cut_rank", "cut_id"))


# ---------------------------------------------------------------- shards


def write_shards(copies_df, config: FormatConfig, shards: int, staging: str) -> list[dict[str, Any]]:
    """Each copy to its shard by a seeded hash, each shard written by one executor; the shards' rows."""
    from pyspark.sql import functions as F

    exploded = (copies_df.filter(F.col("copies") > 0)
                .select("id", "source", "tokens", "token_ids", "text",
                        F.explode(F.sequence(F.lit(0), F.col("copies") - 1)).alias("copy")))
    key = F.xxhash64(F.lit(config.seed), F.lit("order"), F.col("id"), F.col("copy"))
    keyed = exploded.withColumn("key", key).withColumn("shard", F.pmod(F.col("key"), F.lit(shards)).cast("int"))
    # One partition per shard: hashing shard numbers into spark.sql.shuffle.partitions leaves some tasks two or
    # three shards and others none (shards 0-11 over 16 partitions land in 7 distinct ones), and range
    # partitioning on the shard number does not fix it (6 shards of 20,000 rows: one partition empty, one with
    # two shards). So each shard travels under a slot number whose hash partition is the shard's own, and the
    # groupBy by slot needs no second exchange. A stage of equal shards then lasts one shard per task.
    slots = shard_slots(copies_df.sparkSession, shards)
    by_shard = keyed.join(F.broadcast(slots), "shard").repartition(shards, "slot")
    rows = by_shard.groupBy("slot").applyInArrow(shards_apply(config, staging), SHARDS_DDL).collect()
    return sorted((r.asDict() for r in rows), key=lambda r: r["shard"])


def shard_slots(spark, shards: int):
    """(shard, slot) rows: for every shard the smallest int whose partition under ``repartition(shards, slot)``,
    Spark's ``pmod(murmur3(slot), shards)``, is the shard number itself; computed by Spark's own hash."""
    from pyspark.sql import functions as F

    found: dict[int, int] = {}
    start, span = 0, max(64, 8 * shards)
    while len(found) < shards:  # a span of 8 x shards numbers leaves a shard without a slot with odds ~e^-8
        slot = F.col("id").cast("int")
        rows = (spark.range(start, start + span).select(slot.alias("slot"),
                                                        F.pmod(F.hash(slot), F.lit(shards)).alias("shard"))
                .groupBy("shard").agg(F.min("slot").alias("slot")).collect())
        for row in rows:
            found.setdefault(int(row["shard"]), int(row["slot"]))
        start += span
    return spark.createDataFrame(sorted(found.items()), "shard int, slot int")


def stream_mass(copies_df) -> MassTable:
    """Tokens of the stream by how often training reads their text: identical documents (equal token ids)
    pooled, each read as often as its copies in the stream add up to. End-of-document tokens left out."""
    from pyspark.sql import functions as F

    per_text = (copies_df.groupBy("content_hi", "content_lo")
                .agg(F.sum("copies").alias("reads"), F.sum(F.col("copies") * F.col("tokens")).alias("mass"))
                .filter(F.col("reads") > 0))
    rows = per_text.groupBy("reads").agg(F.sum("mass").alias("mass")).collect()
    if not rows:
        return MassTable.empty()
    return MassTable.from_values(np.array([r["reads"] for r in rows], dtype=np.float64),
                                 np.array([r["mass"] for r in rows], dtype=np.float64))


def place_shards(rows: list[dict[str, Any]], staging: str, final_dir: str) -> int:
    """Move every staged file to the run's shard folder (files already there with the same bytes stay
    untouched); the number of files moved."""
    moved = 0
    for row in rows:
        checksums = [row["sha256"], row["idx_sha256"]]
        for name, sha in zip(row["files"], checksums, strict=False):
            moved += files.move_in_place(f"{staging}/{name}", f"{final_dir}/{name}", sha)
    return moved


def manifest_rows(rows: list[dict[str, Any]], run_dir: str, config: FormatConfig, dtype: str) -> list[tuple]:
    """The manifest's rows: paths relative to the output folder (``path`` is the prefix Megatron reads)."""
    return [(r["shard"], f"{run_dir}/{shard_name(r['shard'])}", [f"{run_dir}/{f}" for f in r["files"]],
             config.shard_format, dtype if config.shard_format == "megatron" else None, r["documents"], r["tokens"],
             r["bytes"], r["sha256"], r["idx_sha256"], r["sources"], r["source_documents"], r["source_tokens"])
            for r in rows]


def refuse_other_formatting(tables, manifest: str, app_id: str, input_version: int, key: str, out: str) -> None:
    """An output folder holds one formatting per input version: the same command again is a no-op, another
    plan or config over a version already formatted there is refused rather than silently kept or replaced."""
    if not tables.exists(manifest):
        return
    seen = tables.txn_version(manifest, app_id)
    if seen is None or seen < input_version:
        return
    history = tables.history(manifest, 1)
    latest = (history[0].get("corpussieve") or {}).get("run_key") if history else None
    if latest != key:
        raise ConfigError(
            f"config error: {out} already holds shards of input version {seen} made with another plan, config "
            f"or input (run {latest}); format into another --output, or delete {out} to replace them")


def remove_other_runs(shards_root: str, key: str) -> list[str]:
    """Delete the shard folders of other runs (earlier input versions, attempts that never committed), once the
    manifest names this run's: only folders named like a run key."""
    removed = []
    for name in files.list_dirs(shards_root):
        if RUN_DIR.match(name) and name != key:
            files.delete_dir(f"{shards_root}/{name}")
            removed.append(name)
    return removed
