"""Reliable checkpoints in a folder of the job's own: each one is written as Parquet and read back.

Connected components cuts its lineage every round. ``localCheckpoint`` keeps the blocks on executors
(lost with one), and ``DataFrame.checkpoint`` needs the context-wide checkpoint directory, which would
change a shared session for everyone. A Parquet round trip in a folder this job owns and deletes
afterwards does neither.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from typing import Any

from corpussieve.session import wait_for_running_tasks
from corpussieve.tables.base import has_scheme, normalize_local, spark_uri

log = logging.getLogger("corpussieve.dedup")


class ParquetCheckpoints:
    """A callable ``df -> df`` that persists ``df`` under ``root`` and returns it read back; ``cleanup``
    removes everything it wrote."""

    def __init__(self, spark, root: str) -> None:
        self.spark = spark
        self.root = normalize_local(root).rstrip("/") + f"/checkpoints-{uuid.uuid4().hex[:8]}"
        self.count = 0
        self._written: dict[int, tuple[Any, str]] = {}  # id(returned frame) -> (the frame, its folder)

    def __call__(self, df):
        path = f"{self.root}/{self.count:04d}"
        self.count += 1
        df.write.mode("overwrite").parquet(spark_uri(path))
        # Read back with the schema the frame had: Parquet schema inference is a Spark job of its own (one
        # per checkpoint, ~0.1-0.5 s each). Spark reads file sources as nullable either way, so the result
        # is the same; char/varchar columns are left to inference (written as plain strings).
        schema = df.schema
        reader = self.spark.read if "char(" in schema.simpleString() else self.spark.read.schema(schema)
        written = reader.parquet(spark_uri(path))
        self._written[id(written)] = (written, path)
        return written

    def rows(self, df) -> int:
        """The number of rows of ``df``: from the Parquet footers when it is a checkpoint this object wrote
        (read on the driver, no Spark job: a job costs a scheduling round trip, 0.1-0.5 s on a laptop),
        else ``df.count()``."""
        entry = self._written.get(id(df))
        if entry is None or entry[0] is not df or has_scheme(entry[1]):
            return int(df.count())
        import pyarrow.parquet as pq

        return sum(fragment.metadata.num_rows for fragment in pq.ParquetDataset(entry[1]).fragments)

    def cleanup(self) -> None:
        if self.count == 0:
            return
        wait_for_running_tasks(self.spark)  # a stage adaptive execution dropped may still read a checkpoint
        if has_scheme(self.root):
            import pyarrow.fs as pafs

            fs, inner = pafs.FileSystem.from_uri(self.root)
            fs.delete_dir(inner)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        self._written.clear()
        log.debug("removed %d checkpoints under %s", self.count, self.root)
