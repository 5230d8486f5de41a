"""The ingest job's Spark stages: reading the files (Python readers or Spark's Parquet reader), typing the
JSON extras, settling repeated and known ids, aligning an append to the table, and the figures the report
needs. Each takes DataFrames and plain values and returns DataFrames or values; ``job.run`` orders them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from corpussieve.errors import InputError, SchemaMismatchError
from corpussieve.ingest import records as R
from corpussieve.ingest.arrowfns import RECORD_DDL, make_file_reader
from corpussieve.ingest.config import IngestConfig
from corpussieve.ingest.files import InputFile
from corpussieve.ingest.records import REASONS

#: the standard document columns, in table order; the extras follow them
STANDARD_COLUMNS = ["id", "url", "text", "html", "source", "fetch_time"]
#: the rejected table's columns: the shared reject_* columns (as clean's), then where the record came from
REJECTED_COLUMNS = ["reject_reason", "reject_reasons", "reject_detail", "file", "record_index", "id", "url", "source",
                    "raw_excerpt"]
#: the columns a rejected table written before the shared reject_* columns has instead
LEGACY_REJECTED_COLUMNS = ("reason", "detail")
EXCERPT_CHARS = 200


def check_rejected_layout(tables, rejected_path: str) -> None:
    """Refuse to append to a rejected table of the old layout (``reason``/``detail``) before anything runs:
    the append would fail at the write, or, on a table that allows new columns, mix two layouts."""
    if not tables.exists(rejected_path):
        return
    columns = tables.read(rejected_path).columns
    if "reject_reason" in columns or not set(LEGACY_REJECTED_COLUMNS) & set(columns):
        return
    raise SchemaMismatchError(
        f"table {rejected_path} has the old rejected layout (columns 'reason', 'detail'); ingest now writes "
        "'reject_reason' (codes like 'ingest:invalid_json'), 'reject_reasons' and 'reject_detail', and does not "
        "append a second layout to it. Nothing was committed. Migrate the table once (README: 'Rejected tables "
        "from before the reject_* columns') or move it aside, then rerun the same command."
    )


def check_one_format_family(files: list[InputFile], output: str) -> None:
    """Parquet goes through Spark's reader, JSON Lines and WARC through the Python readers: not both at once."""
    formats = {f.format == "parquet" for f in files}
    if len(formats) > 1:
        raise InputError("mixing Parquet with JSON Lines or WARC in one ingest is not supported",
                         table=output, expected="one run per format")


def read_records(spark, cfg: IngestConfig, files: list[InputFile]) -> tuple[Any, list[str]]:
    """Every record of ``files``, good or rejected, in ``RECORD_DDL`` (Parquet: with its typed extra columns
    instead of ``extra``), and the names of the Parquet extras."""
    if files[0].format == "parquet":
        return read_parquet(spark, cfg, files)
    return read_python_formats(spark, cfg, files), []


def read_python_formats(spark, cfg: IngestConfig, files: list[InputFile]):
    """JSON Lines and WARC files, ``cfg.files_per_task`` files per Spark task, read by the Python readers."""
    listing = spark.createDataFrame([(f.path, f.format) for f in files], "path string, format string")
    tasks = max(1, -(-len(files) // cfg.files_per_task))
    return listing.repartition(tasks, "path").mapInArrow(make_file_reader(cfg), RECORD_DDL)


def read_parquet(spark, cfg: IngestConfig, files: list[InputFile]) -> tuple[Any, list[str]]:
    """Parquet through Spark's own reader; typed extra columns pass through unchanged."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType, StringType, TimestampType

    names = cfg.fields
    df = spark.read.option("mergeSchema", "true").parquet(*["file://" + f.path for f in files])
    df = df.select("*", F.col("_metadata.file_path").alias("__file"), F.col("_metadata.row_index").alias("__row"))
    columns = set(df.columns)

    def text_column(name: str):
        if name not in columns:
            return F.lit(None).cast("string")
        if not isinstance(df.schema[name].dataType, StringType):
            raise InputError("expected a string column", table=files[0].path, column=name,
                             expected=f"string, found {df.schema[name].dataType.simpleString()}")
        return F.col(name)

    if names.fetch_time in columns:
        ft_type = df.schema[names.fetch_time].dataType
        if isinstance(ft_type, TimestampType):
            fetch_time = F.col(names.fetch_time)
        elif isinstance(ft_type, NumericType):
            raw = F.col(names.fetch_time).cast("double")
            fetch_time = F.timestamp_seconds(F.when(F.abs(raw) > 1e11, raw / 1000).otherwise(raw))
        else:
            fetch_time = F.to_timestamp(F.col(names.fetch_time).cast("string"))
        unparsed = F.col(names.fetch_time).isNotNull() & fetch_time.isNull()
    else:
        fetch_time, unparsed = F.lit(None).cast("timestamp"), F.lit(False)
    consumed = {names.id, names.url, names.text, names.html, names.source, names.fetch_time}
    extras = [c for c in df.columns if c not in consumed and c not in R.STANDARD and not c.startswith("__")]
    source = F.coalesce(text_column(names.source), F.lit(cfg.source) if cfg.source else
                        F.element_at(F.split(F.col("__file"), "/"), -1))
    text, html = text_column(names.text), text_column(names.html)
    empty = F.coalesce(F.length(F.trim(text)), F.lit(0)) + F.coalesce(F.length(F.trim(html)), F.lit(0)) == 0
    raw_id = F.col(names.id).cast("string") if names.id in columns else F.lit(None).cast("string")
    out = df.select(
        (~empty).alias("ok"), raw_id.alias("id"), raw_id.isNull().alias("id_derived"),
        text_column(names.url).alias("url"), text.alias("text"), html.alias("html"), source.alias("source"),
        fetch_time.alias("fetch_time"), unparsed.alias("fetch_time_unparsed"),
        F.when(empty, F.lit(REASONS["empty_body"])).alias("reject_reason"),
        F.when(empty, F.lit(f"neither {names.text!r} nor {names.html!r} has content")).alias("reject_detail"),
        F.when(empty, F.substring(F.to_json(F.struct(*[F.col(f"`{c}`") for c in df.columns if
                                                       not c.startswith("__")])), 1, EXCERPT_CHARS))
        .alias("raw_excerpt"),
        F.col("__file").alias("file"), F.col("__row").alias("record_index"),
        *[F.col(f"`{c}`") for c in extras],
    )
    return derive_ids(out), extras


def derive_ids(df):
    """Records without a source id get the id of their content (``records.content_id``)."""
    from pyspark.sql import functions as F

    @F.pandas_udf("string")
    def derive(url: pd.Series, text: pd.Series, html: pd.Series) -> pd.Series:
        return pd.Series([R.content_id(u, t, h) for u, t, h in zip(url.where(url.notna(), None),
                                                                   text.where(text.notna(), None),
                                                                   html.where(html.notna(), None))])

    return df.withColumn("id", F.when(F.col("id").isNull(), derive("url", "text", "html")).otherwise(F.col("id")))


def count_by_ok(records) -> dict[bool, int]:
    """Records read, by whether the reader kept them: {True: good, False: rejected}."""
    return {row["ok"]: row["count"] for row in records.groupBy("ok").count().collect()}


def infer_json_schema(spark, strings_df):
    """Spark's JSON schema inference over a string column, run in the JVM (no Python row round trip)."""
    from pyspark.sql import DataFrame

    jvm = spark.sparkContext._jvm
    dataset = getattr(strings_df._jdf, "as")(jvm.org.apache.spark.sql.Encoders.STRING())
    return DataFrame(spark._jsparkSession.read().json(dataset), spark).schema


def expand_extras(spark, good) -> tuple[Any, list[str]]:
    """JSON extras become typed columns; their schema is inferred from the extras themselves."""
    from pyspark.sql import functions as F

    present = good.filter(F.col("extra").isNotNull()).select("extra")
    if present.limit(1).count() == 0:
        return good.drop("extra"), []
    schema = infer_json_schema(spark, present)
    if "_corrupt_record" in schema.fieldNames():
        schema = type(schema)([f for f in schema.fields if f.name != "_corrupt_record"])
    parsed = good.withColumn("__extra", F.from_json("extra", schema))
    names = [f.name for f in schema.fields]
    return parsed.select(*[c for c in good.columns if c != "extra"],
                         *[F.col("__extra").getField(n).alias(n) for n in names]), names


def resolve_duplicate_ids(good):
    """Identical records without ids get '~2', '~3' suffixes; a repeated source id is rejected.

    Only the narrow (id, file, record_index) projection is ranked, so the texts are not shuffled twice.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keys = good.select("id", "id_derived", "file", "record_index")
    window = Window.partitionBy("id").orderBy("file", "record_index")
    repeats = (keys.withColumn("__rank", F.row_number().over(window)).filter(F.col("__rank") > 1)
               .select("file", "record_index", "__rank"))
    marked = good.join(repeats, ["file", "record_index"], "left")
    rank = F.col("__rank")
    new_id = F.when(rank.isNotNull() & F.col("id_derived"), F.concat(F.col("id"), F.lit("~"), rank.cast("string")))
    dup_reject = rank.isNotNull() & ~F.col("id_derived")
    return marked.select(
        *[c for c in good.columns if c not in ("id", "ok", "reject_reason", "reject_detail")],
        F.coalesce(new_id, F.col("id")).alias("id"),
        (~dup_reject).alias("ok"),
        F.when(dup_reject, F.lit(REASONS["duplicate_id"])).otherwise(F.col("reject_reason")).alias("reject_reason"),
        F.when(dup_reject, F.concat(F.lit("id seen earlier in this batch; occurrence "), rank.cast("string")))
        .otherwise(F.col("reject_detail")).alias("reject_detail"),
    )


def reject_existing_ids(tables, good, output: str, version: int):
    """Appends: a record whose id the table already holds (at the pinned ``version``) is rejected."""
    from pyspark.sql import functions as F

    existing = tables.read(output, version).select(F.col("id").alias("__existing")).distinct()
    marked = good.join(existing, good["id"] == existing["__existing"], "left")
    taken = F.col("__existing").isNotNull()
    return marked.select(
        *[c for c in good.columns if c not in ("ok", "reject_reason", "reject_detail")],
        (~taken).alias("ok"),
        F.when(taken, F.lit(REASONS["id_already_in_table"])).otherwise(F.col("reject_reason")).alias("reject_reason"),
        F.when(taken, F.lit("a record with this id is already in the table")).otherwise(F.col("reject_detail"))
        .alias("reject_detail"),
    )


def documents(good, extras: list[str]):
    """The kept records as the table's rows: the standard columns, then the extras."""
    from pyspark.sql import functions as F

    return good.filter("ok").select(*STANDARD_COLUMNS, *[F.col(f"`{c}`") for c in extras])


def align_to_table(tables, df, output: str, version: int):
    """Appends: extra columns the table has but this batch lacks are added as nulls, in table order."""
    from pyspark.sql import functions as F

    table_schema = tables.read(output, version).schema
    present = set(df.columns)
    extra_cols = [c for c in df.columns if c not in set(table_schema.fieldNames())]
    # An extra field this batch only ever has as null is inferred as a string; it takes the table's type.
    # (A field with values of another type is left as it is: the append then names the conflict.)
    batch_types = {f.name: f.dataType for f in df.schema.fields}
    differing = [f for f in table_schema.fields if f.name in present and batch_types[f.name] != f.dataType]
    all_null = set()
    if differing:
        row = df.agg(*[F.count(F.col(f"`{f.name}`")).alias(f.name) for f in differing]).first()
        all_null = {f.name for f in differing if row[f.name] == 0}
    cols = [(F.lit(None).cast(f.dataType).alias(f.name) if f.name in all_null else F.col(f"`{f.name}`"))
            if f.name in present else F.lit(None).cast(f.dataType).alias(f.name)
            for f in table_schema.fields]
    return df.select(*cols, *[F.col(f"`{c}`") for c in extra_cols])


def rejected_rows(records, good):
    """The rejected table's rows (``REJECTED_COLUMNS``): the readers' rejections with their raw excerpts, then
    the records rejected later (repeated or known ids) with the start of their body as the excerpt."""
    from pyspark.sql import functions as F

    def shaped(df, excerpt):
        return df.select(
            "reject_reason", F.array(F.col("reject_reason")).alias("reject_reasons"), "reject_detail",
            *[c for c in REJECTED_COLUMNS[3:] if c != "raw_excerpt"], excerpt.alias("raw_excerpt"),
        )

    early = shaped(records.filter(~F.col("ok")), F.col("raw_excerpt"))
    late = shaped(good.filter(~F.col("ok")), F.substring(F.coalesce("text", "html"), 1, EXCERPT_CHARS))
    return early.unionByName(late)


def report_figures(rejected, good) -> tuple[dict[str, int], dict[str, Any]]:
    """Rejections by reason code, and the kept documents' counts and body bytes, for the report."""
    from pyspark.sql import functions as F

    by_reason = {r["reject_reason"]: r["count"] for r in rejected.groupBy("reject_reason").count().collect()}
    stats = good.filter("ok").agg(
        F.count("*").alias("documents"),
        F.sum(F.col("id_derived").cast("int")).alias("derived_ids"),
        F.sum(F.col("fetch_time_unparsed").cast("int")).alias("fetch_time_unparsed"),
        F.sum(F.col("text").isNotNull().cast("int")).alias("with_text"),
        F.sum(F.col("html").isNotNull().cast("int")).alias("with_html"),
        F.sum(F.coalesce(F.octet_length("text"), F.lit(0)) + F.coalesce(F.octet_length("html"), F.lit(0)))
        .alias("body_bytes"),
    ).first().asDict()
    return by_reason, stats
