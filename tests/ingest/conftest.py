"""The ingest job run as the CLI runs it, in the shared SparkSession (tests/conftest.py's)."""

from __future__ import annotations

from argparse import Namespace

import pytest


@pytest.fixture
def run_ingest(spark, tables):
    """``run_ingest(inputs, output, format=, mode=, batch_id=, overrides=, on=)``: the summary ``job.run``
    returns; ``on`` is another table layer (default: the shared 'auto' one)."""
    from corpussieve.cli import JobContext
    from corpussieve.config import build_config
    from corpussieve.ingest import job
    from corpussieve.runlog import JobRun

    def ingest(inputs, output, format=None, mode=None, batch_id=None, overrides=None, on=None):
        args = Namespace(input=[str(p) for p in inputs], output=str(output), format=format, mode=mode,
                         batch_id=batch_id, source=None, conf=[], sets=[])
        config = build_config(overrides={**job.overrides(args), **(overrides or {})})
        ctx = JobContext(spark=spark, tables=on or tables, config=config, run=JobRun("ingest", config))
        return job.run(ctx, args)

    return ingest
