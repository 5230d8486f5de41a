"""The ingest job: read raw files in Spark, map them onto standard columns, keep bad records aside,
and commit the good and the rejected records as two Delta tables in one run."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from corpussieve.errors import InputError
from corpussieve.ingest import records as R
from corpussieve.ingest.files import InputFile, expand_inputs, fingerprint
from corpussieve.runlog import run_key, write_json
from corpussieve.tables import Output, Txn, WriteSpec

HELP = "turn JSON Lines, Parquet or WARC files into a Delta table (bad records go to <TABLE>_rejected)"

RECORD_DDL = (
    "ok boolean, id string, id_derived boolean, url string, text string, html string, source string, "
    "fetch_time timestamp, fetch_time_unparsed boolean, extra string, reason string, detail string, "
    "raw_excerpt string, file string, record_index long"
)
REJECTED_COLUMNS = ["reason", "detail", "file", "record_index", "id", "url", "source", "raw_excerpt"]
APP_ID_PREFIX = "corpussieve-ingest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", nargs="+", action="extend", required=True, metavar="PATH",
                        help="files, directories or globs")
    parser.add_argument("--output", required=True, metavar="TABLE", help="Delta table to write")
    parser.add_argument("--format", choices=["auto", "jsonl", "parquet", "warc"], default=None,
                        help="input format (default: from each file's extension)")
    parser.add_argument("--mode", choices=["append", "overwrite"], default=None,
                        help="append (default; idempotent per input set) or overwrite")
    parser.add_argument("--batch-id", type=int, default=None, metavar="N",
                        help="scheduled refreshes: batch number N is committed at most once to this table")
    parser.add_argument("--source", default=None, help="source label for records that carry none")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"ingest.format": args.format, "ingest.mode": args.mode, "ingest.source": args.source}


def _arrow_record_schema():
    import pyarrow as pa

    return pa.schema([
        ("ok", pa.bool_()), ("id", pa.string()), ("id_derived", pa.bool_()), ("url", pa.string()),
        ("text", pa.string()), ("html", pa.string()), ("source", pa.string()),
        ("fetch_time", pa.timestamp("us", tz="UTC")), ("fetch_time_unparsed", pa.bool_()), ("extra", pa.string()),
        ("reason", pa.string()), ("detail", pa.string()), ("raw_excerpt", pa.string()), ("file", pa.string()),
        ("record_index", pa.int64()),
    ])


def make_file_reader(cfg):
    """The mapInArrow function: each input row names a file; each output row is one record of it."""

    def read_files(batches):
        import pyarrow as pa

        from corpussieve.ingest.readers import read_file

        schema = _arrow_record_schema()
        names = schema.names
        for batch in batches:
            for path, fmt in zip(batch.column("path").to_pylist(), batch.column("format").to_pylist()):
                rows: list[dict[str, Any]] = []
                for row in read_file(path, fmt, cfg):
                    rows.append({name: row.get(name) for name in names})
                    if len(rows) >= 512:
                        yield pa.RecordBatch.from_pylist(rows, schema=schema)
                        rows = []
                if rows:
                    yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return read_files


def _read_python_formats(ctx, files: list[InputFile]):
    spark = ctx.spark
    cfg = ctx.config.ingest
    listing = spark.createDataFrame([(f.path, f.format) for f in files], "path string, format string")
    tasks = max(1, -(-len(files) // cfg.files_per_task))
    return listing.repartition(tasks, "path").mapInArrow(make_file_reader(cfg), RECORD_DDL)


def _read_parquet(ctx, files: list[InputFile]):
    """Parquet through Spark's own reader; typed extra columns pass through unchanged."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType, StringType, TimestampType

    spark = ctx.spark
    cfg = ctx.config.ingest
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
        F.when(empty, F.lit(R.EMPTY_BODY)).alias("reason"),
        F.when(empty, F.lit(f"neither {names.text!r} nor {names.html!r} has content")).alias("detail"),
        F.when(empty, F.substring(F.to_json(F.struct(*[F.col(f"`{c}`") for c in df.columns if
                                                       not c.startswith("__")])), 1, 200)).alias("raw_excerpt"),
        F.col("__file").alias("file"), F.col("__row").alias("record_index"),
        *[F.col(f"`{c}`") for c in extras],
    )
    return _derive_ids(out), extras


def _derive_ids(df):
    from pyspark.sql import functions as F

    @F.pandas_udf("string")
    def derive(url: pd.Series, text: pd.Series, html: pd.Series) -> pd.Series:
        return pd.Series([R.content_id(u, t, h) for u, t, h in zip(url.where(url.notna(), None),
                                                                   text.where(text.notna(), None),
                                                                   html.where(html.notna(), None))])

    return df.withColumn("id", F.when(F.col("id").isNull(), derive("url", "text", "html")).otherwise(F.col("id")))


def _infer_json_schema(spark, strings_df):
    """Spark's JSON schema inference over a string column, run in the JVM (no Python row round trip)."""
    from pyspark.sql import DataFrame

    jvm = spark.sparkContext._jvm
    dataset = getattr(strings_df._jdf, "as")(jvm.org.apache.spark.sql.Encoders.STRING())
    return DataFrame(spark._jsparkSession.read().json(dataset), spark).schema


def _expand_extras(ctx, good):
    """JSON extras become typed columns; their schema is inferred from the extras themselves."""
    from pyspark.sql import functions as F

    present = good.filter(F.col("extra").isNotNull()).select("extra")
    if present.limit(1).count() == 0:
        return good.drop("extra"), []
    schema = _infer_json_schema(ctx.spark, present)
    if "_corrupt_record" in schema.fieldNames():
        schema = type(schema)([f for f in schema.fields if f.name != "_corrupt_record"])
    parsed = good.withColumn("__extra", F.from_json("extra", schema))
    names = [f.name for f in schema.fields]
    return parsed.select(*[c for c in good.columns if c != "extra"],
                         *[F.col("__extra").getField(n).alias(n) for n in names]), names


def _resolve_duplicate_ids(good):
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
        *[c for c in good.columns if c not in ("id", "ok", "reason", "detail")],
        F.coalesce(new_id, F.col("id")).alias("id"),
        (~dup_reject).alias("ok"),
        F.when(dup_reject, F.lit(R.DUPLICATE_ID)).otherwise(F.col("reason")).alias("reason"),
        F.when(dup_reject, F.concat(F.lit("id seen earlier in this batch; occurrence "), rank.cast("string")))
        .otherwise(F.col("detail")).alias("detail"),
    )


def _reject_existing_ids(ctx, good, output: str, version: int):
    from pyspark.sql import functions as F

    existing = ctx.tables.read(output, version).select(F.col("id").alias("__existing")).distinct()
    marked = good.join(existing, good["id"] == existing["__existing"], "left")
    taken = F.col("__existing").isNotNull()
    return marked.select(
        *[c for c in good.columns if c not in ("ok", "reason", "detail")],
        (~taken).alias("ok"),
        F.when(taken, F.lit(R.ID_EXISTS)).otherwise(F.col("reason")).alias("reason"),
        F.when(taken, F.lit("a record with this id is already in the table")).otherwise(F.col("detail"))
        .alias("detail"),
    )


def _align_to_table(ctx, df, output: str, version: int):
    """Appends: extra columns the table has but this batch lacks are added as nulls, in table order."""
    from pyspark.sql import functions as F

    table_schema = ctx.tables.read(output, version).schema
    present = set(df.columns)
    extra_cols = [c for c in df.columns if c not in set(table_schema.fieldNames())]
    cols = [F.col(f"`{f.name}`") if f.name in present else F.lit(None).cast(f.dataType).alias(f.name)
            for f in table_schema.fields]
    return df.select(*cols, *[F.col(f"`{c}`") for c in extra_cols])


def run(ctx, args: argparse.Namespace) -> dict[str, Any]:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    cfg = ctx.config.ingest
    run = ctx.run
    tables = ctx.tables
    output = tables.normalize(args.output)
    rejected_path = output + "_rejected"
    files = expand_inputs(args.input, cfg.format)
    bytes_in = sum(f.size for f in files)
    run.inputs = [{"files": len(files), "bytes": bytes_in, "formats": sorted({f.format for f in files}),
                   "fingerprint": fingerprint(files)}]

    txn = None
    if cfg.mode == "append":
        txn = (Txn(APP_ID_PREFIX, args.batch_id) if args.batch_id is not None
               else Txn(f"{APP_ID_PREFIX}-{fingerprint(files)}", 0))
        # The batch is the run: the same batch id (or the same files) is one run whatever the config says.
        key = run_key("ingest", output=output, mode="append", txn=[txn.app_id, txn.version])
    else:
        key = run_key("ingest", output=output, mode="overwrite", files=fingerprint(files),
                      config=cfg.model_dump(mode="json"))
    # The table's version before this batch: existing ids are checked against it, on the first attempt and on
    # a rerun that completes an interrupted one (which must not see the batch's own committed rows).
    version_now = tables.version(output) if tables.exists(output) else None
    run.resume(tables, key, [Output(output, cfg.mode, txn), Output(rejected_path, cfg.mode, txn)], None,
               {output: version_now})
    if run.recovery.complete:
        run.log.info("this input set (run %s%s) is already in %s and %s; nothing to do", key,
                     f", txn {txn.app_id} v{txn.version}" if txn else "", output, rejected_path)
        summary = {"output": output, "already_ingested": True, "txn": vars(txn) if txn else None,
                   "version": tables.version(output)}
        write_json(f"{output}_report.json", run.report(summary=summary))
        return summary
    base_version = run.pinned(output)

    with run.stage("read") as st:
        python_files = [f for f in files if f.format != "parquet"]
        parquet_files = [f for f in files if f.format == "parquet"]
        parts = []
        extras: list[str] = []
        if python_files:
            parts.append(_read_python_formats(ctx, python_files))
        if parquet_files:
            parquet_df, parquet_extras = _read_parquet(ctx, parquet_files)
            if python_files:
                raise InputError("mixing Parquet with JSON Lines or WARC in one ingest is not supported",
                                 table=output, expected="one run per format")
            parts.append(parquet_df)
            extras = parquet_extras
        records = parts[0]
        records = records.persist(StorageLevel.MEMORY_AND_DISK)
        counts = {row["ok"]: row["count"] for row in records.groupBy("ok").count().collect()}
        st.rows_in = sum(counts.values())
        st.rows_out = counts.get(True, 0)
        st.details["files"] = len(files)

    with run.stage("normalize") as st:
        good = records.filter("ok")
        if python_files:
            good, extras = _expand_extras(ctx, good)
        good = _resolve_duplicate_ids(good)
        if cfg.mode == "append" and base_version is not None:
            good = _reject_existing_ids(ctx, good, output, base_version)
        good = good.persist(StorageLevel.MEMORY_AND_DISK)
        st.rows_in = counts.get(True, 0)
        st.rows_out = good.filter("ok").count()

    standard = ["id", "url", "text", "html", "source", "fetch_time"]
    documents = good.filter("ok").select(*standard, *[F.col(f"`{c}`") for c in extras])
    if cfg.mode == "append" and base_version is not None:
        documents = _align_to_table(ctx, documents, output, base_version)
    late_rejects = good.filter(~F.col("ok")).select(*[F.col(c) for c in REJECTED_COLUMNS if c != "raw_excerpt"],
                                                    F.substring(F.coalesce("text", "html"), 1, 200)
                                                    .alias("raw_excerpt"))
    rejected = records.filter(~F.col("ok")).select(*REJECTED_COLUMNS).unionByName(late_rejects)

    with run.stage("write") as st:
        metadata = {"job": "ingest", "run_id": run.run_id, "inputs": len(files)}
        results = tables.write_all([
            WriteSpec(documents, output, cfg.mode, txn=txn, metadata=metadata),
            WriteSpec(rejected, rejected_path, cfg.mode, txn=txn, metadata=metadata),
        ], run.identity)
        st.rows_out = results[0].rows
        st.details["version"] = results[0].version

    by_reason = {r["reason"]: r["count"] for r in rejected.groupBy("reason").count().collect()}
    stats = good.filter("ok").agg(
        F.count("*").alias("documents"),
        F.sum(F.col("id_derived").cast("int")).alias("derived_ids"),
        F.sum(F.col("fetch_time_unparsed").cast("int")).alias("fetch_time_unparsed"),
        F.sum(F.col("text").isNotNull().cast("int")).alias("with_text"),
        F.sum(F.col("html").isNotNull().cast("int")).alias("with_html"),
        F.sum(F.coalesce(F.octet_length("text"), F.lit(0)) + F.coalesce(F.octet_length("html"), F.lit(0)))
        .alias("body_bytes"),
    ).first().asDict()
    records.unpersist()
    good.unpersist()
    seconds = run.elapsed()
    read_total = sum(counts.values())
    run.metrics.update({
        "files": len(files), "bytes_in": bytes_in, "records_read": read_total,
        "documents": int(stats["documents"] or 0), "rejected": int(sum(by_reason.values())),
        "rejected_by_reason": dict(sorted(by_reason.items())), "derived_ids": int(stats["derived_ids"] or 0),
        "fetch_time_unparsed": int(stats["fetch_time_unparsed"] or 0),
        "with_text": int(stats["with_text"] or 0), "with_html": int(stats["with_html"] or 0),
        "body_bytes": int(stats["body_bytes"] or 0),
        "body_mb_per_second": round(int(stats["body_bytes"] or 0) / 1e6 / seconds, 2) if seconds else None,
        "records_per_second": round(read_total / seconds, 1) if seconds else None,
        "mb_per_second": round(bytes_in / 1e6 / seconds, 2) if seconds else None,
    })
    run.outputs = [r.as_dict() for r in results]
    summary = {"output": output, "rejected_table": rejected_path, "version": results[0].version,
               "committed": results[0].committed, "documents": run.metrics["documents"],
               "rejected": run.metrics["rejected"], "rejected_by_reason": run.metrics["rejected_by_reason"],
               "seconds": round(seconds, 1), "report": f"{output}_report.json"}
    write_json(f"{output}_report.json", run.report(summary=summary))
    return summary


