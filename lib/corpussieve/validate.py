"""Input checks every job runs before it spends time: ids present and unique, columns of the right type."""

from __future__ import annotations

from corpussieve.errors import InputError


def require_unique_ids(df, table: str, column: str = "id", sample: int = 5) -> None:
    """Fail with the table, the column and a few offending ids when ids are null or repeated."""
    from pyspark.sql import functions as F

    col = F.col(f"`{column}`")
    nulls = df.filter(col.isNull()).count()
    if nulls:
        example = ""
        if "url" in df.columns:
            urls = [r[0] for r in df.filter(col.isNull()).select("url").limit(sample).collect()]
            example = f" (for example the rows with {', '.join(map(repr, urls))})"
        raise InputError(f"{nulls:,} rows have a null id{example}", table=table, column=column,
                         expected="a non-null id on every row")
    repeated = df.groupBy(col.alias("__id")).count().filter(F.col("count") > 1)
    found = repeated.orderBy("__id").limit(sample).collect()
    if found:
        total = repeated.count()
        raise InputError(f"{total:,} ids appear more than once", table=table, column=column,
                         row_ids=[r["__id"] for r in found] + ["…"] * max(0, min(total, 6) - len(found)),
                         expected="unique ids (deduplicate the ids, or re-ingest with content-derived ids)")


def require_string_column(df, table: str, column: str) -> None:
    from pyspark.sql.types import StringType

    if column not in df.columns:
        raise InputError("column is missing", table=table, column=column,
                         expected=f"a string column {column!r} (the table has: {', '.join(df.columns)})")
    if not isinstance(df.schema[column].dataType, StringType):
        raise InputError(f"column has type {df.schema[column].dataType.simpleString()}", table=table, column=column,
                         expected="a string column")
