"""The inspect job's Spark stages: the input read and checked, then two passes over the documents, and one
small aggregation per optional table (rejected, removed). Every function returns plain figures (dicts, lists,
numbers) for :mod:`corpussieve.inspect.report`; nothing per document reaches the driver.

* pass 1 (``mapInArrow``, :func:`corpussieve.inspect.arrowfns.partial_figures`): tokens, characters, domains,
  path depths and length bins, summed per batch, then summed by Spark (:func:`summed_partials`) and, for
  domains, reduced to the concentration sums in Spark (:func:`domain_figures`).
* pass 2 (Spark SQL only, no Python): quantiles, mean, min and max of every numeric quality signal and of the
  characters per document, and dedup's cluster columns (:func:`column_figures`). It reads only the columns it
  needs (text for its length, quality, language_score, cluster_size), not the url or the source.
"""

from __future__ import annotations

from typing import Any

from corpussieve.errors import InputError
from corpussieve.inspect.arrowfns import KINDS, NO_DOMAIN, PARTIALS_DDL, SUMS, partials_map
from corpussieve.inspect.config import InspectConfig
from corpussieve.inspect.figures import Concentration, concentration_from_sums, top_count
from corpussieve.runlog import worker_totals

#: Top-level numeric columns reported beside the fields of clean's ``quality`` struct.
SIGNAL_COLUMNS = ("language_score",)
#: Columns whose string values the first pass groups by, when the table has them.
GROUP_COLUMNS = ("source", "language", "url")


def read_documents(ctx, path: str, version: int, cfg: InspectConfig):
    """The input table checked (string ``text``, unique non-null ``id``) and its (text, source, language, url)
    columns spread over enough partitions to use every core. Returns (table, documents, partitions)."""
    from pyspark.sql import functions as F

    from corpussieve.validate import require_string_column, require_unique_ids

    df = ctx.tables.require(path, columns=["id", "text"], version=version)
    require_string_column(df, path, "text")
    require_unique_ids(df, path)  # reads the id column only
    if "quality" in df.columns and not _is_struct(df.schema["quality"].dataType):
        raise InputError(f"column has type {df.schema['quality'].dataType.simpleString()}", table=path,
                         column="quality", expected="clean's quality struct (or no quality column)")
    kept = [F.col("text")] + [F.col(f"`{c}`").cast("string").alias(c) for c in GROUP_COLUMNS if c in df.columns]
    docs = df.select(*kept)
    have = docs.rdd.getNumPartitions()
    cores = ctx.spark.sparkContext.defaultParallelism
    wanted = cfg.partitions or (have if have >= 2 * cores else 2 * cores)
    if wanted != have:
        docs = docs.repartition(wanted)
    return df, docs, wanted


def _is_struct(data_type) -> bool:
    from pyspark.sql.types import StructType

    return isinstance(data_type, StructType)


# ---------------------------------------------------------------- pass 1


def partial_sums(docs, cfg: InspectConfig):
    """Per-batch partial sums of every document (``PARTIALS_DDL``); small: cache it, later stages read it twice."""
    return docs.mapInArrow(partials_map(cfg), PARTIALS_DDL)


def summed_partials(partials) -> dict[str, Any]:
    """Every partial summed per (kind, source, language, key), except domains: {kind: [row dicts]}, plus the
    worker seconds and the number of partial rows."""
    from pyspark.sql import functions as F

    rows = (partials.filter(F.col("kind") != "domain").groupBy("kind", "source", "language", "key")
            .agg(*[F.sum(c).alias(c) for c in SUMS]).collect())
    out: dict[str, Any] = {kind: [] for kind in KINDS if kind != "domain"}
    for row in rows:
        out[row["kind"]].append({"source": row["source"], "language": row["language"], "key": row["key"],
                                 **{c: int(row[c] or 0) for c in SUMS}})
    out["workers"] = worker_totals(partials)
    return out


def domain_figures(partials, cfg: InspectConfig, cached) -> tuple[dict[str, Any], Concentration | None]:
    """Registered domains: their count, the largest (``cfg.top_domains``) and the concentration of tokens over
    them, from Spark sums (domains with no url are counted apart and left out of the concentration)."""
    from pyspark.sql import functions as F

    domains = cached.persist(partials.filter(F.col("kind") == "domain").groupBy(F.col("key").alias("domain"))
                             .agg(*[F.sum(c).alias(c) for c in SUMS]))
    real = domains.filter(F.col("domain") != NO_DOMAIN)
    row = real.agg(
        F.count(F.lit(1)).alias("domains"),
        F.sum(F.when(F.col("tokens") > 0, 1).otherwise(0)).alias("with_tokens"),
        F.sum("tokens").alias("tokens"), F.sum("documents").alias("documents"),
        F.sum(F.when(F.col("tokens") > 0, F.col("tokens") * F.log(F.col("tokens")))).alias("t_ln_t"),
    ).first()
    if row is None or not row["domains"]:
        none = domains.filter(F.col("domain") == NO_DOMAIN).agg(F.sum("documents")).first()[0]
        return {"domains": 0, "documents_without_domain": int(none or 0), "top": []}, None
    with_tokens = int(row["with_tokens"] or 0)
    k = top_count(with_tokens, cfg.top_domain_fraction)
    top_tokens = (real.orderBy(F.col("tokens").desc()).limit(k).agg(F.sum("tokens")).first()[0]) if k else 0
    listed = real.orderBy(F.col("tokens").desc(), F.col("domain")).limit(cfg.top_domains).collect()
    without = domains.filter(F.col("domain") == NO_DOMAIN).agg(F.sum("documents")).first()[0]
    conc = concentration_from_sums(with_tokens, int(row["tokens"] or 0), float(row["t_ln_t"] or 0.0),
                                   int(top_tokens or 0), cfg.top_domain_fraction)
    figures = {"domains": int(row["domains"]), "domains_with_tokens": with_tokens,
               "documents_with_domain": int(row["documents"] or 0), "documents_without_domain": int(without or 0),
               "top": [{"domain": r["domain"], **{c: int(r[c] or 0) for c in SUMS}} for r in listed]}
    return figures, conc


# ---------------------------------------------------------------- pass 2


def signal_columns(df) -> list[tuple[str, Any]]:
    """(name, column) of every numeric leaf of ``quality`` (``gopher_quality.word_count``) and of the top-level
    signal columns, in schema order."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType, StructType

    found: list[tuple[str, Any]] = []

    def walk(data_type, prefix: list[str], col) -> None:
        for fld in data_type.fields:
            child = col[fld.name]
            if isinstance(fld.dataType, StructType):
                walk(fld.dataType, [*prefix, fld.name], child)
            elif isinstance(fld.dataType, NumericType):
                found.append((".".join([*prefix, fld.name]), child))

    if "quality" in df.columns and isinstance(df.schema["quality"].dataType, StructType):
        walk(df.schema["quality"].dataType, [], F.col("quality"))
    for name in SIGNAL_COLUMNS:
        if name in df.columns and isinstance(df.schema[name].dataType, NumericType):
            found.append((name, F.col(f"`{name}`")))
    return found


def column_figures(df, cfg: InspectConfig) -> dict[str, Any]:
    """One Spark aggregation: quantiles of characters per document and of every signal (count of non-null
    values, mean, min, max, ``cfg.quantiles``), and dedup's cluster sums when ``cluster_size`` is present."""
    from pyspark.sql import functions as F

    signals = signal_columns(df)
    quantiles = list(cfg.quantiles)
    chars = F.coalesce(F.char_length("text"), F.lit(0)).cast("double")
    aggs = [F.count(F.lit(1)).alias("rows"),
            F.percentile_approx(chars, quantiles, cfg.quantile_accuracy).alias("chars_q"),
            F.avg(chars).alias("chars_mean"), F.max(chars).alias("chars_max")]
    for i, (_, col) in enumerate(signals):
        value = col.cast("double")
        value = F.when(~F.isnan(value), value)  # NaN is no measurement
        aggs += [F.count(value).alias(f"s{i}_n"), F.avg(value).alias(f"s{i}_mean"), F.min(value).alias(f"s{i}_min"),
                 F.max(value).alias(f"s{i}_max"),
                 F.percentile_approx(value, quantiles, cfg.quantile_accuracy).alias(f"s{i}_q")]
    has_clusters = "cluster_size" in df.columns
    if has_clusters:
        size = F.coalesce(F.col("cluster_size").cast("long"), F.lit(1))
        aggs += [F.sum(size).alias("cluster_members"), F.sum(F.when(size > 1, 1).otherwise(0)).alias("in_clusters")]
    row = df.agg(*aggs).first()
    out: dict[str, Any] = {
        "rows": int(row["rows"]),
        "chars": {"quantiles": _quantiles(quantiles, row["chars_q"]), "mean": row["chars_mean"],
                  "max": row["chars_max"]},
        "signals": [{"signal": name, "documents": int(row[f"s{i}_n"]), "mean": row[f"s{i}_mean"],
                     "min": row[f"s{i}_min"], "max": row[f"s{i}_max"],
                     "quantiles": _quantiles(quantiles, row[f"s{i}_q"])}
                    for i, (name, _) in enumerate(signals)],
    }
    if has_clusters:
        members = int(row["cluster_members"] or 0)
        out["clusters"] = {"kept": out["rows"], "cluster_members": members,
                           "removed": members - out["rows"], "kept_with_copies": int(row["in_clusters"] or 0)}
    return out


def _quantiles(quantiles: list[float], values) -> dict[str, float | None]:
    values = list(values) if values is not None else [None] * len(quantiles)
    return {f"p{_pname(q)}": v for q, v in zip(quantiles, values)}


def _pname(q: float) -> str:
    text = f"{100 * q:.6g}"
    return text.replace(".", "_")


# ---------------------------------------------------------------- the lake's other tables

REASON_COLUMNS = ("reject_reasons", "reject_reason")


def rejection_figures(tables, path: str, version: int, cfg: InspectConfig) -> dict[str, Any]:
    """Rejected documents (the table at ``version``): how many, how many per reason code (a document counts once
    per code it has) and per filter (the code's step), per first reason, and per source."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType

    df = tables.require(path, any_of=REASON_COLUMNS, version=version)
    if "reject_reasons" in df.columns and isinstance(df.schema["reject_reasons"].dataType, ArrayType):
        reasons = F.array_distinct(F.col("reject_reasons"))
    elif "reject_reason" in df.columns and isinstance(df.schema["reject_reason"].dataType, StringType):
        reasons = F.array(F.col("reject_reason"))
    else:
        name = next(c for c in REASON_COLUMNS if c in df.columns)
        raise InputError(f"column has type {df.schema[name].dataType.simpleString()}", table=path, column=name,
                         expected="reject_reasons as an array of reason codes or reject_reason as a string")
    coded = df.select(reasons.alias("codes"),
                      (F.col("source").cast("string") if "source" in df.columns else F.lit(None).cast("string"))
                      .alias("source"))
    coded = coded.select(F.coalesce("codes", F.array()).alias("codes"), "source")
    total = coded.count()
    per_code = (coded.select(F.explode("codes").alias("code")).groupBy("code").count()
                .orderBy(F.col("count").desc(), "code").collect())
    per_step = (coded.select(F.explode(F.array_distinct(F.transform("codes", lambda c: F.split(c, ":")[0])))
                             .alias("step")).groupBy("step").count().orderBy(F.col("count").desc(), "step").collect())
    first = (coded.select(F.coalesce(F.element_at("codes", 1), F.lit("(no reason)")).alias("code"))
             .groupBy("code").count().orderBy(F.col("count").desc(), "code").limit(cfg.top_reasons).collect())
    per_source = coded.groupBy("source").count().collect() if "source" in df.columns else []
    return {"table": path, "rejected": int(total),
            "per_code": {r["code"]: int(r["count"]) for r in per_code},
            "per_filter": {r["step"]: int(r["count"]) for r in per_step},
            "first_reason": {r["code"]: int(r["count"]) for r in first},
            "per_source": {r["source"]: int(r["count"]) for r in per_source}}


def removal_figures(tables, path: str, version: int) -> dict[str, Any]:
    """Documents dedup removed (the table at ``version``): how many, per match kind (exact, near) and per source."""
    from pyspark.sql import functions as F

    df = tables.require(path, columns=["id"], version=version)
    match = F.col("match").cast("string") if "match" in df.columns else F.lit("(unknown)")
    source = F.col("source").cast("string") if "source" in df.columns else F.lit(None).cast("string")
    rows = df.groupBy(match.alias("match"), source.alias("source")).count().collect()
    per_match: dict[str, int] = {}
    per_source: dict[str, int] = {}
    for r in rows:
        per_match[r["match"] or "(unknown)"] = per_match.get(r["match"] or "(unknown)", 0) + int(r["count"])
        if "source" in df.columns:
            per_source[r["source"]] = per_source.get(r["source"], 0) + int(r["count"])
    return {"table": path, "removed": sum(per_match.values()), "per_match": per_match, "per_source": per_source}

