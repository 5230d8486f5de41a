"""dedup's ``spark.jit: auto``: C1 only for small runs, sized from the tables' logs before the JVM starts."""

import argparse

import pyarrow as pa
from deltalake import write_deltalake

from corpussieve.cli import _jit_default
from corpussieve.config import build_config
from corpussieve.dedup import job
from corpussieve.tables.base import rows_in_log


def _table(path, rows, files=1):
    for i in range(files):
        write_deltalake(str(path), pa.table({"id": [f"{i}-{r}" for r in range(rows)], "text": ["t"] * rows}),
                        mode="append")
    return str(path)


def _args(input_path, index=None):
    return argparse.Namespace(input=input_path, index=index)


def test_rows_in_log_sums_the_files_and_is_none_for_what_it_cannot_read(tmp_path):
    assert rows_in_log(_table(tmp_path / "t", 7, files=3)) == 21
    assert rows_in_log(str(tmp_path / "missing")) is None
    (tmp_path / "plain").mkdir()
    assert rows_in_log(str(tmp_path / "plain")) is None


def test_auto_is_quick_up_to_the_limit_counting_the_index_and_full_otherwise(tmp_path, monkeypatch):
    config = build_config()
    small, index = _table(tmp_path / "small", 30), _table(tmp_path / "index", 20)
    monkeypatch.setattr(job, "QUICK_JIT_MAX_ROWS", 50)
    assert _jit_default(job, _args(small), config) == "quick"
    assert _jit_default(job, _args(small, index), config) == "quick"  # 50 rows
    monkeypatch.setattr(job, "QUICK_JIT_MAX_ROWS", 49)
    assert _jit_default(job, _args(small, index), config) == "full"
    assert _jit_default(job, _args(small), config) == "quick"
    # sizes it cannot read (a missing input, an index not made yet) keep the JVM's default
    assert _jit_default(job, _args(str(tmp_path / "missing")), config) == "full"
    assert _jit_default(job, _args(small, str(tmp_path / "new-index")), config) == "full"
    # an explicit choice wins, and jobs without a chooser keep their constant
    assert _jit_default(job, _args(small), build_config(sets=["spark.jit=full"])) == "full"
    from corpussieve.clean import job as clean_job

    assert _jit_default(clean_job, _args(small), config) == "quick"
