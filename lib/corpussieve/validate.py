"""Input checks every job runs before it spends time: ids present and unique, columns of the right type."""

from __future__ import annotations

from corpussieve.errors import InputError


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'} {'has' if n == 1 else 'have'}"


def require_unique_ids(df, table: str, column: str = "id", sample: int = 5) -> int:
    """The number of rows; fails with the table, the column and a few offending ids (or, for null ids,
    their urls) when ids are null or repeated. Valid input costs one aggregation over the id column."""
    from pyspark.sql import functions as F

    per_id = df.groupBy(F.col(f"`{column}`").alias("__id")).count()
    stats = per_id.agg(
        F.sum("count").alias("rows"),
        F.sum(F.when(F.col("__id").isNull(), F.col("count"))).alias("nulls"),
        F.sum(F.when(F.col("__id").isNotNull() & (F.col("count") > 1), 1)).alias("repeated"),
    ).first()
    if stats["nulls"]:
        example = ""
        if "url" in df.columns:
            urls = [r[0] for r in df.filter(F.col(f"`{column}`").isNull()).select("url").limit(sample).collect()]
            example = f" (urls: {', '.join(map(repr, urls))})"
        raise InputError(f"{_rows(stats['nulls'])} a null id{example}", table=table, column=column,
                         expected="a non-null id on every row")
    if stats["repeated"]:
        repeated = stats["repeated"]
        found = per_id.filter(F.col("count") > 1).orderBy("__id").limit(sample).collect()
        raise InputError(f"{repeated:,} id{'' if repeated == 1 else 's'} appear{'s' if repeated == 1 else ''} "
                         "more than once", table=table, column=column, row_ids=[r["__id"] for r in found],
                         expected="unique ids (deduplicate the ids, or re-ingest with content-derived ids)")
    return int(stats["rows"] or 0)


def require_string_column(df, table: str, column: str) -> None:
    from pyspark.sql.types import StringType

    if column not in df.columns:
        raise InputError("column is missing", table=table, column=column,
                         expected=f"a string column {column!r} (the table has: {', '.join(df.columns)})")
    if not isinstance(df.schema[column].dataType, StringType):
        raise InputError(f"column has type {df.schema[column].dataType.simpleString()}", table=table, column=column,
                         expected="a string column")
