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

    def __call__(self, df):
        path = f"{self.root}/{self.count:04d}"
        self.count += 1
        df.write.mode("overwrite").parquet(spark_uri(path))
        return self.spark.read.parquet(spark_uri(path))

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
        log.debug("removed %d checkpoints under %s", self.count, self.root)
