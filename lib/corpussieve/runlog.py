"""Per-run bookkeeping, the one kit every job uses.

* ``JobRun.stage(name)``: a timed, logged stage with rows in and out. Every job names its stages from the
  same vocabulary: ``read`` first (the input checked and counted), its own steps, then ``write`` (every
  output in one ``Tables.write_all``) and ``report``.
* ``Counters``: named counts that merge, from batches, tasks or stages, into one total.
* ``worker_totals``: one Spark aggregation summing the bookkeeping columns Python workers add to their
  output (``__sec_<step>`` seconds, ``__n_<name>`` counts), with any other aggregates in the same pass.
* ``JobRun.finish``: the summary's seconds, report.json and report.html, written the same way by every job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpussieve import __version__

_FORMAT = "%(asctime)s %(levelname)-5s %(name)s | %(message)s"


def setup_logging(level: str = "INFO") -> None:
    """Log corpussieve's progress to stderr; py4j's chatter stays quiet."""
    root = logging.getLogger()
    if not any(getattr(h, "_corpussieve", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT, "%Y-%m-%d %H:%M:%S"))
        handler._corpussieve = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    logging.getLogger("corpussieve").setLevel(level)
    root.setLevel(logging.WARNING)
    logging.getLogger("py4j").setLevel(logging.WARNING)


def _active_spark_context() -> Any:
    """The running SparkContext, or None (pure runs and tests never import pyspark for it)."""
    import sys

    if "pyspark" not in sys.modules:
        return None
    from pyspark import SparkContext

    return SparkContext._active_spark_context


@dataclass
class StageRecord:
    """What one stage did: its name, how long it took, and the counts it saw."""

    name: str
    seconds: float = 0.0
    rows_in: int | None = None
    rows_out: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    spark_jobs: int | None = None
    """Spark jobs the stage ran (None outside Spark): each costs a scheduling round trip, ~0.1-0.5 s locally."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "seconds": round(self.seconds, 3)}
        if self.rows_in is not None:
            out["rows_in"] = self.rows_in
        if self.rows_out is not None:
            out["rows_out"] = self.rows_out
        if self.spark_jobs is not None:
            out["spark_jobs"] = self.spark_jobs
        out.update(self.details)
        return out


class Counters(dict):
    """Named counts (int or float) that merge: ``a.merge(b)`` adds ``b``'s values into ``a``.

    What a stage, a batch or a Spark task counted is a ``Counters``; partial counts from many tasks are
    summed with ``Counters.total(parts)``. Missing names count as zero.
    """

    def add(self, name: str, value: int | float = 1) -> Counters:
        self[name] = self.get(name, 0) + value
        return self

    def merge(self, other: Mapping[str, int | float]) -> Counters:
        for name, value in other.items():
            if value is not None:
                self.add(name, value)
        return self

    @classmethod
    def total(cls, parts: Iterable[Mapping[str, int | float]]) -> Counters:
        merged = cls()
        for part in parts:
            merged.merge(part)
        return merged


#: prefixes of the bookkeeping columns Python workers add (summed by ``worker_totals``)
WORKER_COLUMN_PREFIXES: tuple[str, ...] = ("__sec_", "__n_")


def worker_totals(df, extra: Sequence[Any] = (), prefixes: Sequence[str] = WORKER_COLUMN_PREFIXES) -> dict[str, Any]:
    """Sum every worker bookkeeping column of ``df`` in one Spark aggregation.

    ``__sec_prepare`` comes back as ``sec_prepare`` (seconds summed over every worker), ``__n_lines`` as
    ``n_lines``; ``rows`` is the row count. ``extra`` aggregate columns (aliased) ride along in the same
    pass. Nulls count as zero.
    """
    from pyspark.sql import functions as F

    names = [c for c in df.columns if c.startswith(tuple(prefixes))]
    aggregates = [F.count(F.lit(1)).alias("rows"),
                  *[F.coalesce(F.sum(F.col(f"`{c}`")), F.lit(0)).alias(c.lstrip("_")) for c in names], *extra]
    row = df.agg(*aggregates).first()
    return {k: v for k, v in row.asDict().items()}


def _fmt_rows(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


class JobRun:
    """Collects stages, metrics, inputs and outputs of one job run, and renders report.json."""

    def __init__(self, job: str, config: Any = None) -> None:
        self.job = job
        self.config = config
        self.run_id = uuid.uuid4().hex[:12]
        self.started = dt.datetime.now(dt.timezone.utc)
        self._t0 = time.perf_counter()
        self.stages: list[StageRecord] = []
        self.metrics: dict[str, Any] = {}
        self.inputs: list[dict[str, Any]] = []
        self.outputs: list[dict[str, Any]] = []
        self.log = logging.getLogger(f"corpussieve.{job}")
        self.identity: Any = None  # corpussieve.tables.RunIdentity once the job called resume()
        self.recovery: Any = None  # corpussieve.tables.Recovery

    def resume(self, tables, key: str, outputs: list, report_path: str | None,
               pinned: dict[str, int | None]) -> dict[str, Any] | None:
        """Find out what an earlier attempt of this same run left behind (see ``Tables.recover``).

        Returns the earlier summary when the run is complete and its report is there: nothing to do.
        Otherwise sets ``self.identity``, whose pinned versions are the earlier attempt's when some of its
        outputs landed (the rerun must read what it read) and ``pinned`` (the versions now) when none did.
        """
        from corpussieve.tables import RunIdentity

        self.recovery = tables.recover(key, outputs)
        if self.recovery.complete and report_path:
            earlier = read_json(report_path)
            if earlier and earlier.get("run_key") == key and "summary" in earlier:
                self.log.info("run %s is complete already (every output holds its commit, report %s): "
                              "nothing to do", key, report_path)
                return {**earlier["summary"], "already_complete": True}
        # versions an earlier attempt recorded win over the versions now
        chosen = {**pinned, **self.recovery.pinned} if self.recovery.landed else pinned
        self.identity = RunIdentity(key, {k: (None if v is None else int(v)) for k, v in chosen.items()})
        return None

    def pinned(self, path: str) -> int | None:
        """The version of ``path`` this run reads (see ``resume``)."""
        return self.identity.pinned.get(path) if self.identity else None

    @contextlib.contextmanager
    def stage(self, name: str, rows_in: int | None = None):
        """Time a stage and log it; set ``rows_out`` (and ``details``) on the yielded record."""
        record = StageRecord(name, rows_in=rows_in)
        self.log.info("stage %s: started%s", name, f" on {rows_in:,} rows" if rows_in is not None else "")
        sc = _active_spark_context()
        group = f"corpussieve-{self.run_id}-{len(self.stages)}-{name}"
        if sc is not None:  # the Spark UI lists each job under "<job>: <stage>"; the report counts them
            outer = (sc.getLocalProperty("spark.jobGroup.id"), sc.getLocalProperty("spark.job.description"))
            sc.setJobGroup(group, f"corpussieve {self.job}: {name}")
        start = time.perf_counter()
        try:
            yield record
        except BaseException:
            record.seconds = time.perf_counter() - start
            self.log.error("stage %s: failed after %.1fs", name, record.seconds)
            raise
        finally:
            if sc is not None:
                record.spark_jobs = len(sc.statusTracker().getJobIdsForGroup(group))
                sc.setLocalProperty("spark.jobGroup.id", outer[0])  # a stage inside a stage hands back
                sc.setLocalProperty("spark.job.description", outer[1])
        record.seconds = time.perf_counter() - start
        self.stages.append(record)
        extra = ", ".join(f"{k}={v}" for k, v in record.details.items() if isinstance(v, (int, float, str)))
        self.log.info(
            "stage %s: done in %.1fs, rows in %s, rows out %s%s",
            name, record.seconds, _fmt_rows(record.rows_in), _fmt_rows(record.rows_out),
            f" ({extra})" if extra else "",
        )

    def elapsed(self) -> float:
        return time.perf_counter() - self._t0

    def finish(self, summary: dict[str, Any], report_path: str,
               render_html: Callable[[dict[str, Any]], str] | None = None, **sections: Any) -> dict[str, Any]:
        """End the run: set ``summary["seconds"]``, write ``report_path`` (report.json: summary, stages,
        metrics, ``sections``, config) and, with ``render_html``, report.html beside it; return the summary."""
        summary["seconds"] = round(self.elapsed(), 1)
        summary.setdefault("report", report_path)
        report = self.report(summary=summary, **sections)
        write_json(report_path, report)
        if render_html is not None:
            base = report_path[: -len(".json")] if report_path.endswith(".json") else report_path
            write_text(f"{base}.html", render_html(report))
        return summary

    def report(self, **sections: Any) -> dict[str, Any]:
        finished = dt.datetime.now(dt.timezone.utc)
        config = self.config.model_dump(mode="json") if hasattr(self.config, "model_dump") else self.config
        body: dict[str, Any] = {
            "job": self.job,
            "corpussieve_version": __version__,
            "run_id": self.run_id,
            "started_at": self.started.isoformat(timespec="seconds"),
            "finished_at": finished.isoformat(timespec="seconds"),
            "seconds": round(self.elapsed(), 3),
            "inputs": self.inputs,
            "outputs": self.outputs,
            "stages": [s.as_dict() for s in self.stages],
            "metrics": self.metrics,
        }
        if self.identity is not None:
            body["run_key"] = self.identity.key
            body["recovery"] = self.recovery.as_dict() if self.recovery else None
        body.update(sections)
        body["config"] = config
        return body


def write_text(path: str, text: str) -> None:
    """Write a small text file to a local path or any URI pyarrow can open; atomic for local paths."""
    import os

    from corpussieve.tables.base import has_scheme

    if has_scheme(path) and not path.startswith("file:"):
        import pyarrow.fs as pafs

        fs, inner = pafs.FileSystem.from_uri(path)
        parent = inner.rsplit("/", 1)[0]
        fs.create_dir(parent, recursive=True)
        with fs.open_output_stream(inner) as out:
            out.write(text.encode("utf-8"))
        return
    if path.startswith("file:"):
        path = path[len("file://") :] if path.startswith("file://") else path[len("file:") :]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def run_key(job: str, **parts: Any) -> str:
    """A run's identity: the same job over the same inputs (and versions), outputs and config gives the same key."""
    blob = json.dumps({"job": job, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def read_json(path: str) -> Any:
    """A small JSON file from a local path or a URI; None when it is missing or unreadable."""
    from corpussieve.tables.base import has_scheme

    try:
        if has_scheme(path) and not path.startswith("file:"):
            import pyarrow.fs as pafs

            fs, inner = pafs.FileSystem.from_uri(path)
            with fs.open_input_stream(inner) as handle:
                return json.loads(handle.read().decode("utf-8"))
        if path.startswith("file:"):
            path = path[len("file://") :] if path.startswith("file://") else path[len("file:") :]
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def write_json(path: str, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
