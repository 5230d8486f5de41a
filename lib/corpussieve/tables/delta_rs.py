"""The delta-rs backend: Spark executors write Parquet files, the driver commits them with ``deltalake``.

Write protocol:
1. Each Spark task writes its rows as Parquet files named ``part-<task>-<write id>-<attempt>-<n>``
   into the table directory (Hive-style partition folders) and returns one metadata row per file:
   relative path, size, row count, partition values and statistics.
2. The driver commits all files as ONE Delta transaction through delta-rs, with the application
   transaction (txn) when the write is idempotent.
3. If anything fails before the commit, every file carrying the write id is deleted; files of a
   killed driver are never referenced by the log, so readers ignore them and VACUUM removes them.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
import uuid
from typing import Any

from corpussieve.runtime_config import TablesConfig
from corpussieve.errors import (
    ConcurrentWriteError,
    CorpusSieveError,
    SchemaMismatchError,
    TableNotFoundError,
    UnsupportedTableFeatureError,
)
from corpussieve.session import wait_for_running_tasks
from corpussieve.tables.base import (
    SkippedWrite,
    Txn,
    WriteResult,
    commit_metadata_json,
    has_scheme,
    normalize_local,
    not_found_reason,
    parse_commit_metadata,
    spark_uri,
)
from corpussieve.tables.schema import (
    check_append_schema,
    check_partition_columns,
    delta_json_to_spark,
    spark_to_delta_json,
)

log = logging.getLogger("corpussieve.tables")

# Reader features whose absence of support could return wrong rows are refused; these are harmless
# for a reader that resolves the snapshot through delta-rs and reads Parquet by column name.
_SAFE_READER_FEATURES = {"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "deletionVectors", "columnMapping"}

_FILE_META_SCHEMA = "path string, size long, rows long, partition_values string, stats string"

# Hive's escaping of partition directory names, as Spark writes them.
_PATH_UNSAFE = set('"#%\'*/:=?\\\x7f{[]^') | {chr(c) for c in range(0x01, 0x20)}
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def escape_partition_value(value: str) -> str:
    return "".join(f"%{ord(ch):02X}" if ch in _PATH_UNSAFE else ch for ch in value)


def partition_value_string(value: Any) -> str | None:
    """Delta's string form of a partition value."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _stats_value(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value


class _FileStats:
    """numRecords and nullCount for every top-level column; min/max where they are exact and cheap."""

    def __init__(self, schema) -> None:
        import pyarrow as pa

        self.rows = 0
        # A struct column's nullCount must be an object of its fields' counts (delta-kernel refuses a number:
        # "whilst decoding field 'nullCount' ... expected {"), so struct columns carry no null count: stats are
        # optional per column, and a reader then just cannot skip files on them.
        self.nulls = {f.name: 0 for f in schema if not pa.types.is_struct(f.type)}
        self.minmax_cols = [
            f.name
            for f in schema
            if pa.types.is_integer(f.type) or pa.types.is_date32(f.type)
        ]
        self.mins: dict[str, Any] = {}
        self.maxs: dict[str, Any] = {}

    def update(self, table) -> None:
        import pyarrow.compute as pc

        self.rows += table.num_rows
        for name in self.nulls:
            self.nulls[name] += table.column(name).null_count
        for name in self.minmax_cols:
            result = pc.min_max(table.column(name)).as_py()
            lo, hi = result["min"], result["max"]
            if lo is None:
                continue
            self.mins[name] = lo if name not in self.mins else min(self.mins[name], lo)
            self.maxs[name] = hi if name not in self.maxs else max(self.maxs[name], hi)

    def to_json(self) -> str:
        stats = {
            "numRecords": self.rows,
            "nullCount": self.nulls,
            "minValues": {k: _stats_value(v) for k, v in self.mins.items()},
            "maxValues": {k: _stats_value(v) for k, v in self.maxs.items()},
        }
        return json.dumps(stats)


def make_file_writer(
    root: str,
    write_id: str,
    partition_by: list[str],
    compression: str,
    max_rows_per_file: int,
    storage_options: dict[str, str],
):
    """The function that ``mapInArrow`` runs in every task to write its rows as Parquet files."""

    def write_task(batches):
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.fs as pafs
        import pyarrow.parquet as pq
        from pyspark import TaskContext

        ctx = TaskContext.get()
        task = ctx.partitionId() if ctx else 0
        attempt = ctx.attemptNumber() if ctx else 0
        if has_scheme(root):
            fs, base = pafs.FileSystem.from_uri(root)
        else:
            fs, base = pafs.LocalFileSystem(), root
        codec = None if compression == "none" else compression

        open_files: dict[tuple, dict[str, Any]] = {}
        finished: list[dict[str, Any]] = []
        counter = [0]

        def close(entry: dict[str, Any]) -> None:
            entry["writer"].close()
            entry["sink"].close()
            size = fs.get_file_info(f"{base}/{entry['rel']}").size
            finished.append(
                {
                    "path": entry["rel"],
                    "size": size,
                    "rows": entry["stats"].rows,
                    "partition_values": json.dumps(entry["values"]),
                    "stats": entry["stats"].to_json(),
                }
            )

        def open_file(key: tuple, values: dict[str, str | None], schema) -> dict[str, Any]:
            folder = "/".join(
                f"{col}={NULL_PARTITION if values[col] is None else escape_partition_value(values[col])}"
                for col in partition_by
            )
            name = f"part-{task:05d}-{write_id}-{attempt}-{counter[0]:04d}.{compression}.parquet"
            counter[0] += 1
            rel = f"{folder}/{name}" if folder else name
            if folder:
                fs.create_dir(f"{base}/{folder}", recursive=True)
            sink = fs.open_output_stream(f"{base}/{rel}")
            writer = pq.ParquetWriter(sink, schema, compression=codec)
            entry = {"rel": rel, "sink": sink, "writer": writer, "values": values, "stats": _FileStats(schema)}
            open_files[key] = entry
            return entry

        def append(key: tuple, values: dict[str, str | None], table) -> None:
            entry = open_files.get(key) or open_file(key, values, table.schema)
            entry["writer"].write_table(table)
            entry["stats"].update(table)
            if entry["stats"].rows >= max_rows_per_file:
                close(entry)
                del open_files[key]

        try:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                table = pa.Table.from_batches([batch])
                if not partition_by:
                    append((), {}, table)
                    continue
                data = table.drop_columns(partition_by)
                codes = None
                dictionaries = []
                for col in partition_by:
                    encoded = pc.dictionary_encode(table.column(col), null_encoding="encode").combine_chunks()
                    dictionaries.append(encoded.dictionary)
                    idx = encoded.indices.to_numpy(zero_copy_only=False).astype("int64")
                    codes = idx if codes is None else codes * len(encoded.dictionary) + idx
                import numpy as np

                unique_codes, first_rows = np.unique(codes, return_index=True)
                for code, first in zip(unique_codes.tolist(), first_rows.tolist()):
                    values = {col: partition_value_string(table.column(col)[first].as_py()) for col in partition_by}
                    mask = pa.array(codes == code)
                    append(tuple(values[c] for c in partition_by), values, data.filter(mask))
            for key in list(open_files):
                close(open_files.pop(key))
        except BaseException:
            for entry in open_files.values():
                try:
                    entry["writer"].close()
                    entry["sink"].close()
                except Exception:
                    pass
            raise
        if finished:
            yield pa.RecordBatch.from_pylist(
                finished,
                schema=pa.schema(
                    [
                        ("path", pa.string()),
                        ("size", pa.int64()),
                        ("rows", pa.int64()),
                        ("partition_values", pa.string()),
                        ("stats", pa.string()),
                    ]
                ),
            )

    return write_task


class DeltaRsPendingWrite:
    """Files written and described; ``commit`` makes them one Delta version."""

    def __init__(self, backend: DeltaRsBackend, path: str, mode: str, partition_by: list[str], schema,
                 files: list[dict[str, Any]], write_id: str, txn: Txn | None, metadata: dict[str, Any],
                 exists: bool) -> None:
        self.backend = backend
        self.path = path
        self.mode = mode
        self.partition_by = partition_by
        self.schema = schema
        self.files = files
        self.write_id = write_id
        self.txn = txn
        self.metadata = metadata
        self.exists = exists
        self.done = False

    def commit(self) -> WriteResult:
        from deltalake import CommitProperties, DeltaTable, Schema, Transaction
        from deltalake.transaction import AddAction, create_table_with_add_actions

        now = int(time.time() * 1000)
        actions = [
            AddAction(
                path=f["path"],
                size=int(f["size"]),
                partition_values=json.loads(f["partition_values"]),
                modification_time=now,
                data_change=True,
                stats=f["stats"],
            )
            for f in self.files
        ]
        delta_schema = Schema.from_json(spark_to_delta_json(self.schema))
        # commitInfo.userMetadata: where delta-spark puts its writers' metadata too, so DESCRIBE HISTORY shows it
        custom = {"userMetadata": commit_metadata_json(self.metadata)} if self.metadata else None
        props = CommitProperties(
            custom_metadata=custom,
            max_commit_retries=self.backend.cfg.commit_retries,
            app_transactions=[Transaction(self.txn.app_id, self.txn.version)] if self.txn else None,
        )
        opts = self.backend.storage_options(self.path)
        try:
            if not self.exists and not DeltaTable.is_deltatable(self.path, storage_options=opts):
                try:
                    create_table_with_add_actions(
                        self.path, delta_schema, actions, mode="error", partition_by=self.partition_by,
                        storage_options=opts, commit_properties=props,
                    )
                except Exception as exc:
                    if "exist" not in str(exc).lower():
                        raise
                    # Another writer created the table first: append on top of it like any other writer.
                    self._commit_existing(actions, delta_schema, props, opts)
            else:
                self._commit_existing(actions, delta_schema, props, opts)
        except _AlreadyCommitted as already:
            self.abort()
            log.info("skipped %s: a concurrent run committed this batch first (txn %d)", self.path, already.version)
            from deltalake import DeltaTable as _DT

            version = _DT(self.path, storage_options=opts).version()
            return WriteResult(self.path, self.mode, version, False, 0, 0, "delta-rs")
        except CorpusSieveError:
            self.abort()
            raise
        except Exception as exc:
            self.abort()
            text = str(exc)
            if "conflict" in text.lower() or "concurrent" in text.lower():
                if self.txn is not None and (self.backend.txn_version(self.path, self.txn.app_id) or -1) >= \
                        self.txn.version:
                    log.info("skipped %s: a concurrent run committed this batch first (txn %d)", self.path,
                             self.txn.version)
                    return WriteResult(self.path, self.mode, self.backend.version(self.path), False, 0, 0,
                                       "delta-rs")
                raise ConcurrentWriteError(f"table {self.path}: commit lost to a concurrent writer: {text}") from exc
            raise
        self.done = True
        version = DeltaTable(self.path, storage_options=opts).version()
        rows = sum(int(f["rows"]) for f in self.files)
        log.info("committed %s: version %d, %d files, %d rows (%s)", self.path, version, len(self.files), rows,
                 self.mode)
        return WriteResult(self.path, self.mode, version, True, len(self.files), rows, "delta-rs")

    def _commit_existing(self, actions, delta_schema, props, opts) -> None:
        from deltalake import DeltaTable

        table = DeltaTable(self.path, storage_options=opts)
        current = delta_json_to_spark(table.schema().to_json())
        current_parts = list(table.metadata().partition_columns)
        if self.mode == "append":
            check_append_schema(self.path, current, self.schema)
        if current_parts != self.partition_by:
            raise SchemaMismatchError(
                f"table {self.path} is partitioned by {current_parts or 'nothing'}, the write by "
                f"{self.partition_by or 'nothing'}; delete the table to change its partitioning"
            )
        if self.txn is not None:
            seen = table.transaction_version(self.txn.app_id)
            if seen is not None and seen >= self.txn.version:
                raise _AlreadyCommitted(seen)
        table.create_write_transaction(
            actions, self.mode, delta_schema, partition_by=self.partition_by, commit_properties=props
        )

    def abort(self) -> None:
        if not self.done:
            self.backend.delete_write_files(self.path, self.write_id)
            self.done = True


class _AlreadyCommitted(CorpusSieveError):
    def __init__(self, version: int) -> None:
        super().__init__(f"batch already committed (txn version {version})")
        self.version = version


class DeltaRsBackend:
    name = "delta-rs"

    def __init__(self, spark, cfg: TablesConfig) -> None:
        self.spark = spark
        self.cfg = cfg

    # -- paths and metadata -------------------------------------------------------------------
    def normalize(self, path: str) -> str:
        return normalize_local(path)

    def storage_options(self, path: str) -> dict[str, str] | None:
        return dict(self.cfg.storage_options) or None

    def exists(self, path: str) -> bool:
        from deltalake import DeltaTable

        return DeltaTable.is_deltatable(self.normalize(path), storage_options=self.storage_options(path))

    def _open(self, path: str, version: int | None = None):
        from deltalake import DeltaTable

        path = self.normalize(path)
        opts = self.storage_options(path)
        if not DeltaTable.is_deltatable(path, storage_options=opts):
            raise TableNotFoundError(not_found_reason(path), table=path)
        table = DeltaTable(path, storage_options=opts)
        if version is not None:
            latest = table.version()
            if version < 0 or version > latest:
                raise TableNotFoundError(f"version {version} does not exist (versions 0..{latest})", table=path)
            table.load_as_version(version)
        return table

    def version(self, path: str) -> int:
        return self._open(path).version()

    def schema(self, path: str):
        return delta_json_to_spark(self._open(path).schema().to_json())

    def partition_columns(self, path: str) -> list[str]:
        return list(self._open(path).metadata().partition_columns)

    def add_columns(self, path: str, fields: list) -> int:
        """Add nullable columns (Spark ``StructField``s) to an existing table in one metadata commit (rows
        already written read null); returns the new version."""
        from deltalake import Schema
        from pyspark.sql.types import StructType

        table = self._open(path)
        table.alter.add_columns(Schema.from_json(spark_to_delta_json(StructType(list(fields)))).fields)
        return self._open(path).version()

    def history(self, path: str, limit: int | None = None) -> list[dict[str, Any]]:
        entries = self._open(path).history(limit)
        return [_history_entry(e) for e in entries]

    def txn_version(self, path: str, app_id: str) -> int | None:
        if not self.exists(path):
            return None
        return self._open(path).transaction_version(app_id)

    # -- read -----------------------------------------------------------------------------------
    def read(self, path: str, version: int | None = None):
        from pyspark.sql import functions as F

        table = self._open(path, version)
        path = self.normalize(path)
        _check_readable(table, path)
        schema = delta_json_to_spark(table.schema().to_json())
        partition_cols = list(table.metadata().partition_columns)
        adds = _add_actions(table)
        if not adds:
            return self.spark.createDataFrame([], schema)
        root = spark_uri(path).rstrip("/")
        uris = [urllib.parse.unquote(p) if has_scheme(p) else f"{root}/{urllib.parse.unquote(p)}" for p, _ in adds]
        data_schema = type(schema)([f for f in schema.fields if f.name not in partition_cols])
        df = self.spark.read.schema(data_schema).parquet(*uris)
        if not partition_cols:
            return df.select(*[F.col(f"`{f.name}`") for f in schema.fields])
        return self._attach_partitions(df, adds, schema, partition_cols)

    def _attach_partitions(self, df, adds, schema, partition_cols):
        """Join each row to its file's typed partition values, matching on the file's decoded path."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        depths = {urllib.parse.unquote(p).strip("/").count("/") + 1 for p, _ in adds}
        if len(depths) != 1:
            raise UnsupportedTableFeatureError(
                "data files sit at different folder depths; the delta-rs read path matches files by their "
                "relative path and needs one layout. Use the delta-spark backend for this table."
            )
        depth = depths.pop()
        rows = [
            ["/".join(urllib.parse.unquote(p).split("/")[-depth:])] + [values.get(c) for c in partition_cols]
            for p, values in adds
        ]
        key_schema = StructType(
            [StructField("__file_key", StringType())] + [StructField(f"__pv_{i}", StringType()) for i in
                                                          range(len(partition_cols))]
        )
        keys = self.spark.createDataFrame(rows, key_schema)
        types = {f.name: f.dataType for f in schema.fields}
        keys = keys.select(
            "__file_key",
            *[F.col(f"__pv_{i}").cast(types[c]).alias(c) for i, c in enumerate(partition_cols)],
        )
        # Hadoop leaves '+' unencoded, and url_decode would turn it into a space.
        decoded = F.expr("url_decode(replace(_metadata.file_path, '+', '%2B'))")
        file_key = F.array_join(F.slice(F.split(decoded, "/"), -depth, depth), "/")
        joined = df.withColumn("__file_key", file_key).join(F.broadcast(keys), "__file_key", "inner")
        return joined.select(*[F.col(f"`{f.name}`") for f in schema.fields])

    # -- write ----------------------------------------------------------------------------------
    def prepare_write(self, df, path: str, mode: str, partition_by: list[str] | None, txn: Txn | None,
                      metadata: dict[str, Any] | None, stage: bool = True):
        """Stage ``df`` by writing its data files (``stage`` changes nothing here: the files are written
        either way, and the commit is a short metadata operation)."""
        from deltalake import DeltaTable

        path = self.normalize(path)
        opts = self.storage_options(path)
        exists = DeltaTable.is_deltatable(path, storage_options=opts)
        partition_by = list(partition_by or [])
        if exists:
            table = DeltaTable(path, storage_options=opts)
            current_parts = list(table.metadata().partition_columns)
            if mode == "append":
                check_append_schema(path, delta_json_to_spark(table.schema().to_json()), df.schema)
                partition_by = partition_by or current_parts
                # Appends follow the table's column order so files and schema line up by position too.
                df = df.select(*[f"`{f.name}`" for f in delta_json_to_spark(table.schema().to_json()).fields])
            if partition_by != current_parts:
                raise SchemaMismatchError(
                    f"table {path} is partitioned by {current_parts or 'nothing'}, the write by "
                    f"{partition_by or 'nothing'}; delete the table to change its partitioning"
                )
            if txn is not None:
                seen = table.transaction_version(txn.app_id)
                if seen is not None and seen >= txn.version:
                    return SkippedWrite(path, mode, table.version(), self.name,
                                        f"batch {txn.version} of {txn.app_id} is committed already")
        check_partition_columns(path, df.schema, partition_by)
        if not has_scheme(path):
            import os

            os.makedirs(path, exist_ok=True)
        write_id = uuid.uuid4().hex[:16]
        writer = make_file_writer(path, write_id, partition_by, self.cfg.compression, self.cfg.max_rows_per_file,
                                  dict(self.cfg.storage_options))
        try:
            files = [row.asDict() for row in df.mapInArrow(writer, _FILE_META_SCHEMA).collect()]
        except BaseException:
            # Spark kills the failed job's other tasks asynchronously: one may still open a file after a
            # cleanup that ran at once, so wait for them first.
            wait_for_running_tasks(self.spark)
            self.delete_write_files(path, write_id)
            raise
        files.sort(key=lambda f: f["path"])
        return DeltaRsPendingWrite(self, path, mode, partition_by, df.schema, files, write_id, txn,
                                   dict(metadata or {}), exists)

    def delete_write_files(self, path: str, write_id: str) -> int:
        """Remove every data file a write left behind (all task attempts), so a failure leaves no strays."""
        import pyarrow.fs as pafs

        path = self.normalize(path)
        if has_scheme(path):
            fs, base = pafs.FileSystem.from_uri(path)
        else:
            fs, base = pafs.LocalFileSystem(), path
        try:
            infos = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        except Exception:
            return 0
        removed = 0
        for info in infos:
            if info.type == pafs.FileType.File and write_id in info.base_name and "_delta_log" not in info.path:
                fs.delete_file(info.path)
                removed += 1
        if removed:
            log.info("removed %d uncommitted files of write %s under %s", removed, write_id, path)
        return removed


def _add_actions(table) -> list[tuple[str, dict[str, str | None]]]:
    """(relative path, partition values in Delta's string form) for every file of the snapshot."""
    import pyarrow as pa

    actions = pa.table(table.get_add_actions(flatten=False))
    paths = actions.column("path").to_pylist()
    if "partition" in actions.column_names:
        values = actions.column("partition").to_pylist()
    else:
        values = [{} for _ in paths]
    return [
        (p, {k: partition_value_string(v) for k, v in (vals or {}).items()}) for p, vals in zip(paths, values)
    ]


def _check_readable(table, path: str) -> None:
    """Refuse tables whose rows this backend would get wrong."""
    protocol = table.protocol()
    features = set(protocol.reader_features or [])
    unsupported = sorted(features - _SAFE_READER_FEATURES)
    if unsupported:
        raise UnsupportedTableFeatureError(
            f"table {path} needs reader features {', '.join(unsupported)}, which the delta-rs read path "
            "cannot honour; read it with the delta-spark backend (tables.backend=delta-spark)"
        )
    mode = (table.metadata().configuration or {}).get("delta.columnMapping.mode", "none")
    if mode not in (None, "none"):
        raise UnsupportedTableFeatureError(
            f"table {path} uses column mapping (mode {mode}); its Parquet column names differ from the "
            "table's, so the delta-rs read path refuses it. Use the delta-spark backend."
        )
    if "deletionVectors" in features:
        import pyarrow as pa

        # the snapshot's deletion vectors (the add actions of deltalake 1.6 no longer carry them)
        deleted = pa.RecordBatchReader.from_stream(table.deletion_vectors()).read_all().num_rows
        if deleted:
            raise UnsupportedTableFeatureError(
                f"table {path} has deletion vectors on some files; the delta-rs read path would return "
                "deleted rows. Run OPTIMIZE/REORG PURGE on it, or use the delta-spark backend."
            )


def _history_entry(entry: dict[str, Any]) -> dict[str, Any]:
    out = {
        "version": entry.get("version"),
        "timestamp": entry.get("timestamp"),
        "operation": entry.get("operation"),
        "operationParameters": entry.get("operationParameters", {}),
    }
    if "operationMetrics" in entry:
        out["operationMetrics"] = entry["operationMetrics"]
    # userMetadata since this version; tables written before kept it under "corpussieve"
    meta = parse_commit_metadata(entry.get("userMetadata") or entry.get("corpussieve"))
    if meta is not None:
        out["corpussieve"] = meta
    return out
