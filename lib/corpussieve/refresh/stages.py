"""The refresh's Spark stages and its bookkeeping in the lake's ``refresh_log``.

A refresh reuses the jobs' stages unchanged: ingest's whole job (into ``raw``, batch id as the Delta
``txn``), ``corpussieve.dedup.stages`` over the rows ``raw`` gained (``Tables.read_appended``) against the
lake's index, and ``corpussieve.clean.stages`` over the survivors, with the site-line counts of earlier
batches (``clean.stages.with_history``) and the paragraphs they hold (``clean.stages.find_paragraphs``).
What is here: reading the log, choosing the batch, the ingest call, the log rows and the lake's outputs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from typing import Any

from corpussieve.errors import InputError
from corpussieve.refresh.lake import Lake
from corpussieve.tables import Txn

#: One row per step per refresh.
LOG_DDL = (
    "refresh long, step string, run_id string, finished_at timestamp, seconds double, input_table string, "
    "input_from_version long, input_to_version long, rows_in long, rows_out long, "
    "outputs array<struct<table:string,version:long,rows:long,committed:boolean>>, details string"
)
STEPS = ("ingest", "dedup", "clean", "repetition")


# -- the log ---------------------------------------------------------------------------------------------
def read_log(tables, lake: Lake) -> list[dict[str, Any]]:
    """Every row of ``refresh_log`` (small: a few rows per refresh), oldest refresh first."""
    path = lake.path("refresh_log")
    if not tables.exists(path):
        return []
    rows = [r.asDict(recursive=True) for r in tables.read(path).collect()]
    for row in rows:
        row["details"] = json.loads(row["details"]) if row.get("details") else {}
    return sorted(rows, key=lambda r: (r["refresh"], STEPS.index(r["step"]) if r["step"] in STEPS else 99))


def refreshed_batches(log_rows: list[dict[str, Any]]) -> list[int]:
    return sorted({int(r["refresh"]) for r in log_rows if r["step"] == "dedup"})


def last_consumed(log_rows: list[dict[str, Any]]) -> int | None:
    """The raw version the latest refresh read up to (None: no refresh yet)."""
    versions = [r["input_to_version"] for r in log_rows if r["step"] == "dedup"]
    return max(versions) if versions else None


def choose_batch(tables, lake: Lake, log_rows: list[dict[str, Any]], wanted: int | None, fingerprint: str) -> int:
    """The batch this refresh is: ``--batch-id``, else the batch an interrupted refresh left in ``raw`` (its
    rerun must complete it), else the one after the last refreshed batch."""
    done = refreshed_batches(log_rows)
    if wanted is not None:
        if wanted < 0:
            raise InputError(f"--batch-id must be >= 0, got {wanted}")
        return wanted
    same_files = batch_of_files(tables, lake, fingerprint)
    if same_files is not None:
        return same_files  # the same files are the same batch: a rerun completes it or finds it complete
    pending = tables.txn_version(lake.path("raw"), lake.app_id("ingest"))
    if pending is not None and (not done or pending > done[-1]):
        return pending
    return done[-1] + 1 if done else 0


def batch_of_files(tables, lake: Lake, fingerprint: str) -> int | None:
    """The batch whose ingest commit into ``raw`` recorded these files' fingerprint, or None."""
    from corpussieve.tables import HISTORY_SCAN

    raw = lake.path("raw")
    if not tables.exists(raw):
        return None
    app_id = lake.app_id("ingest")
    for entry in tables.history(raw, HISTORY_SCAN):
        meta = entry.get("corpussieve") or {}
        txn = meta.get("txn") or []
        if meta.get("fingerprint") == fingerprint and len(txn) == 2 and txn[0] == app_id:
            return int(txn[1])
    return None


def ingested_fingerprint(tables, lake: Lake, batch: int) -> str | None:
    """The fingerprint of the files batch ``batch`` was ingested from (None: not ingested yet)."""
    raw = lake.path("raw")
    if not tables.exists(raw):
        return None
    seen = tables.txn_version(raw, lake.app_id("ingest"))
    if seen is None or seen < batch:
        return None
    entry = tables.commit_of_txn(raw, Txn(lake.app_id("ingest"), batch))
    return ((entry or {}).get("corpussieve") or {}).get("fingerprint", "")


def check_same_files(tables, lake: Lake, batch: int, fingerprint: str) -> None:
    """A batch id names one set of files: completing or rerunning batch N with other files is an error."""
    found = ingested_fingerprint(tables, lake, batch)
    if found is not None and found != fingerprint:
        raise InputError(
            f"batch {batch} was ingested from other files (fingerprint {found or 'unknown'}, these files "
            f"{fingerprint})", table=lake.path("raw"),
            expected=f"the same files to complete or rerun refresh {batch}, or --batch-id {batch + 1} for new files",
        )


def log_frame(spark, rows: list[dict[str, Any]]):
    return spark.createDataFrame([
        (r["refresh"], r["step"], r["run_id"], r["finished_at"], r["seconds"], r.get("input_table"),
         r.get("input_from_version"), r.get("input_to_version"), r.get("rows_in"), r.get("rows_out"),
         [(o["table"], o["version"], o.get("rows"), o["committed"]) for o in r.get("outputs", [])],
         json.dumps(r.get("details") or {}, sort_keys=True, default=str))
        for r in rows
    ], LOG_DDL)


def log_row(batch: int, step: str, run_id: str, seconds: float, **fields: Any) -> dict[str, Any]:
    return {"refresh": batch, "step": step, "run_id": run_id, "seconds": round(seconds, 3),
            "finished_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0), **fields}


# -- ingest ----------------------------------------------------------------------------------------------
def ingest(spark, tables, config, lake: Lake, inputs: list[str], batch: int) -> dict[str, Any]:
    """Ingest's own job into ``raw`` (append, the batch as its ``txn`` version), its report under _reports."""
    from corpussieve.cli import JobContext
    from corpussieve.ingest import job as ingest_job
    from corpussieve.runlog import JobRun

    config = config.model_copy(update={"ingest": config.ingest.model_copy(update={"mode": "append"})})
    args = argparse.Namespace(input=inputs, output=lake.path("raw"), batch_id=batch, app_id=lake.app_id("ingest"),
                              report=f"{lake.reports}/refresh-{batch}/ingest.json")
    run = JobRun("ingest", config)
    summary = ingest_job.run(JobContext(spark, tables, config, run), args)
    entry = tables.commit_of_txn(lake.path("raw"), Txn(lake.app_id("ingest"), batch)) or {}
    rejected = tables.commit_of_txn(lake.path("raw_rejected"), Txn(lake.app_id("ingest"), batch)) or {}
    if summary.get("already_ingested"):
        # An earlier attempt committed the batch and died before the log: ingest read nothing this time, so
        # count the rows the batch's commits appended (the log must say what the batch brought, not None).
        summary = {**summary,
                   "documents": _rows_of_commit(tables, lake.path("raw"), entry.get("version")),
                   "rejected": _rows_of_commit(tables, lake.path("raw_rejected"), rejected.get("version"))}
    return {"summary": summary, "raw_version": entry.get("version"), "raw_rejected_version": rejected.get("version"),
            "run_id": run.run_id}


def _rows_of_commit(tables, path: str, version: int | None) -> int | None:
    """The rows commit ``version`` of ``path`` appended (None: no such commit)."""
    if version is None:
        return None
    return tables.read_appended(path, version - 1 if version > 0 else None, version).count()


# -- outputs ---------------------------------------------------------------------------------------------
def with_refresh(df, batch: int):
    """The rows tagged with the refresh that brought them (``why`` reports it)."""
    from pyspark.sql import functions as F

    return df.withColumn("refresh", F.lit(batch).cast("long"))


# -- the refresh's own stages ------------------------------------------------------------------------------
class RefreshStages:
    """One refresh of ``lake`` with batch ``batch`` after ``ingested`` (see ``ingest``): read, dedup, clean
    and write (``job.run`` calls them in that order), then the log."""

    def __init__(self, ctx, lake: Lake, batch: int, log_rows: list[dict[str, Any]], ingested: dict[str, Any]):
        self.spark, self.tables, self.config, self.run = ctx.spark, ctx.tables, ctx.config, ctx.run
        self.lake, self.batch, self.log_rows, self.ingested = lake, batch, log_rows, ingested
        self.raw = lake.path("raw")
        self.paths = {t: lake.path(t) for t in ("index", "removed", "documents", "rejected", "site_lines",
                                                 "paragraphs")}
        self.txns = {"dedup": Txn(lake.app_id("dedup"), batch), "clean": Txn(lake.app_id("clean"), batch)}
        self.step_of = {"index": "dedup", "removed": "dedup", "documents": "clean", "rejected": "clean",
                        "site_lines": "clean", "paragraphs": "clean"}
        self.site_lines = self.config.clean.lines.site_lines
        self.paragraph_dedup = self.config.clean.paragraphs.enabled
        self.results: dict[str, Any] = {}
        self.steps: dict[str, dict[str, Any]] = {}  # step -> figures for its log row
        self._checkpoints = None
        self._persisted = None

    def _outputs(self) -> list[str]:
        return [t for t in ("index", "removed", "documents", "rejected", "site_lines", "paragraphs")
                if (t != "site_lines" or self.site_lines) and (t != "paragraphs" or self.paragraph_dedup)]

    def resume(self) -> bool:
        """Pin the versions this refresh reads; True when an earlier attempt landed every output already
        (it died before the log): only the log is left to write."""
        from corpussieve.runlog import run_key
        from corpussieve.tables import Output

        from corpussieve.clean.spans import spans_settings
        from corpussieve.clean.stages import files_read

        spans = spans_settings(self.config)
        key = run_key("refresh", lake=self.lake.root, batch=self.batch, names=self.config.refresh.tables.model_dump(),
                      dedup=self.config.dedup.model_dump(mode="json"), clean=self.config.clean.model_dump(mode="json"),
                      **({"spans": spans.model_dump(mode="json")} if spans is not None else {}),
                      **files_read(self.config.clean))
        version = lambda p: self.tables.version(p) if self.tables.exists(p) else None  # noqa: E731
        now = {f"{self.raw}#after": last_consumed(self.log_rows), self.raw: version(self.raw),
               self.paths["index"]: version(self.paths["index"]),
               self.paths["site_lines"]: version(self.paths["site_lines"]),
               self.paths["paragraphs"]: version(self.paths["paragraphs"])}
        outputs = [Output(self.paths[t], "append", self.txns[self.step_of[t]]) for t in self._outputs()]
        self.run.resume(self.tables, key, outputs, None, now)
        self.after = self.run.pinned(f"{self.raw}#after")
        self.upto = self.run.pinned(self.raw)
        self.run.inputs = [{"table": self.raw, "after_version": self.after, "version": self.upto}]
        if self.run.recovery.complete:
            entry = self.tables.commit_of_txn(self.paths["documents"], self.txns["clean"]) or {}
            self.steps = dict((entry.get("corpussieve") or {}).get("steps") or {})
            return True
        return False

    def read(self) -> None:
        with self.run.stage("read") as st:
            self.new_rows = self.tables.read_appended(self.raw, self.after, self.upto)
            st.details.update(after_version=self.after, version=self.upto)

    def dedup(self) -> None:
        from corpussieve.dedup.checkpoints import ParquetCheckpoints
        from corpussieve.dedup.lsh import plan_for_config
        from corpussieve.dedup.stages import DedupStages, deduplicate

        cfg = self.config.dedup
        index_path = self.paths["index"]
        index_version = self.run.pinned(index_path)
        index = self.tables.read(index_path, index_version) if index_version is not None else None
        self._checkpoints = ParquetCheckpoints(self.spark, f"{self.lake.root}/_tmp/refresh-{self.batch}")
        self.dd = DedupStages(self.spark, cfg, plan_for_config(cfg), self.new_rows, self.raw, self._checkpoints,
                              index, index_path)
        deduplicate(self.run, self.dd, prefix="dedup.")
        c = self.dd.counts
        self.steps["dedup"] = {
            "rows_in": c["documents"], "rows_out": c["kept"], "seconds": self._seconds("dedup."),
            "details": {"removed_exact": c["removed_exact"], "removed_near": c["removed_near"],
                        "removed_against_index": c.get("removed_against_index", 0),
                        "blank_documents": c["blank_documents"], "index_version_read": index_version,
                        "signatures_computed": c["signatures_computed"]}}

    def clean(self) -> None:
        from corpussieve.clean import stages as C
        from corpussieve.clean.report import report_sections as clean_sections
        from corpussieve.clean.spans import spans_settings

        cfg = self.config.clean
        with self.run.stage("clean.read") as st:
            df, docs_in = C.check_frame(self.dd.documents_table(), self.raw)
            df, st.details["partitions"] = C.spread(self.spark, df, docs_in, cfg)
            st.rows_out = docs_in
        site_version = self.run.pinned(self.paths["site_lines"])
        history = self.tables.read(self.paths["site_lines"], site_version) if site_version is not None else None
        paragraph_version = self.run.pinned(self.paths["paragraphs"])
        paragraph_history = (self.tables.read(self.paths["paragraphs"], paragraph_version)
                             if paragraph_version is not None else None)
        self._persisted = C.Persisted()
        final, boilerplate = C.clean(self.spark, self.run, df, docs_in, cfg, self._persisted, history,
                                     keep_counts=True, prefix="clean.", keep=self.config.dedup.keep,
                                     paragraph_history=paragraph_history, spans=spans_settings(self.config))
        documents, rejected = C.split_outputs(final, C.output_columns(df, cfg))
        self.documents, self.rejected = with_refresh(documents, self.batch), with_refresh(rejected, self.batch)
        self.site_rows = (with_refresh(C.site_line_rows(*boilerplate.batch_counts), self.batch)
                          if boilerplate.batch_counts else None)
        self.paragraph_rows = (with_refresh(C.paragraph_rows(boilerplate.paragraphs), self.batch)
                               if boilerplate.paragraphs is not None else None)
        found = C.report_inputs(final, boilerplate.top_lines, cfg, boilerplate.paragraphs, boilerplate.spans)
        metrics = clean_sections(docs_in, found, boilerplate.stats, boilerplate.blocklist)["metrics"]
        self.steps["clean"] = {
            "rows_in": docs_in, "rows_out": metrics["kept"], "seconds": self._seconds("clean."),
            "details": {"rejected": metrics["rejected"], "rejected_by_filter": metrics["rejected_by_filter"],
                        "boilerplate_lines_removed": metrics["lines_removed"],
                        "site_lines_version_read": site_version,
                        "site_boilerplate_lines": boilerplate.stats.get("site_boilerplate_lines"),
                        "paragraphs_removed": metrics["paragraphs_removed"],
                        "paragraphs_version_read": paragraph_version,
                        # span removal within this batch (cross-batch spans: repetition over the lake)
                        **({"span_tokens_removed": metrics["span_tokens_removed"],
                            "docs_with_spans_removed": metrics["docs_with_spans_removed"]}
                           if boilerplate.spans is not None else {}),
                        "url_blocklist_blocked": metrics["url_blocklist_blocked"],
                        "pages_not_cleaned": self.steps["dedup"]["rows_in"] - docs_in}}

    def write(self) -> None:
        from corpussieve.clean.stages import align_with_table
        from corpussieve.tables import WriteSpec

        # a lake created before a document step existed gains the step's audit column (earlier rows: null)
        added = {}
        for name in ("documents", "rejected"):
            frame, columns = align_with_table(self.tables, self.paths[name], getattr(self, name), self.config.clean)
            setattr(self, name, frame)
            if columns:
                added[name] = columns
        if added:
            self.steps["clean"]["details"]["columns_added_to_lake"] = added
        metadata = {"job": "refresh", "run_id": self.run.run_id, "refresh": self.batch, "steps": self.steps}
        frames = {"index": self.dd.index_rows(self.upto), "removed": with_refresh(self.dd.removed_table(), self.batch),
                  "documents": self.documents, "rejected": self.rejected, "site_lines": self.site_rows,
                  "paragraphs": self.paragraph_rows}
        names = [t for t in self._outputs() if frames[t] is not None]
        # documents and rejected filter clean's persisted, computed per-document frame (WriteSpec.computed)
        computed = {"documents", "rejected"}
        with self.run.stage("write") as st:
            results = self.tables.write_all(
                [WriteSpec(frames[t], self.paths[t], "append", txn=self.txns[self.step_of[t]], metadata=metadata,
                           computed=t in computed) for t in names], self.run.identity)
            self.results = dict(zip(names, results))
            st.rows_out = sum(r.rows or 0 for r in results)

    def cleanup(self) -> None:
        if self._persisted is not None:
            self._persisted.release()
        if self._checkpoints is not None:
            self._checkpoints.cleanup()
        shutil.rmtree(f"{self.lake.root}/_tmp/refresh-{self.batch}", ignore_errors=True)

    def _seconds(self, prefix: str) -> float:
        return round(sum(s.seconds for s in self.run.stages if s.name.startswith(prefix)), 3)

    # -- the log ---------------------------------------------------------------------------------------
    def _output(self, table: str) -> dict[str, Any]:
        path = self.paths[table]
        result = self.results.get(table)
        txn = self.txns[self.step_of[table]]
        if result is not None and result.committed:
            return {"table": path, "version": result.version, "rows": result.rows, "committed": True}
        entry = self.tables.commit_of_txn(path, txn) or {}
        rows = (entry.get("operationMetrics") or {}).get("numOutputRows")
        return {"table": path, "version": entry.get("version"), "rows": None if rows is None else int(rows),
                "committed": False}

    def log_rows_now(self) -> list[dict[str, Any]]:
        run_id = self.run.run_id
        ingest_summary = self.ingested["summary"]
        rows = [log_row(
            self.batch, "ingest", self.ingested["run_id"], float(ingest_summary.get("seconds") or 0.0),
            input_table=None, rows_in=None, rows_out=ingest_summary.get("documents"),
            outputs=[{"table": self.raw, "version": self.ingested["raw_version"], "rows": ingest_summary.get("documents"),
                      "committed": bool(ingest_summary.get("committed"))},
                     {"table": self.lake.path("raw_rejected"), "version": self.ingested["raw_rejected_version"],
                      "rows": ingest_summary.get("rejected"), "committed": bool(ingest_summary.get("committed"))}],
            details={k: ingest_summary.get(k) for k in ("rejected_by_reason", "already_ingested")
                     if ingest_summary.get(k) is not None})]
        for step, tables_of_step in (("dedup", ("index", "removed")),
                                     ("clean", ("documents", "rejected", "site_lines", "paragraphs"))):
            figures = self.steps.get(step) or {}
            rows.append(log_row(
                self.batch, step, run_id, float(figures.get("seconds") or 0.0), input_table=self.raw,
                input_from_version=self.after, input_to_version=self.upto, rows_in=figures.get("rows_in"),
                rows_out=figures.get("rows_out"),
                outputs=[self._output(t) for t in tables_of_step if t in self._outputs()],
                details=figures.get("details") or {}))
        if "repetition" in self.steps:
            figures = self.steps["repetition"]
            rows.append(log_row(self.batch, "repetition", figures["run_id"], figures["seconds"],
                                input_table=self.paths["documents"], input_to_version=figures["input_version"],
                                rows_in=figures["documents"], rows_out=None, outputs=[], details=figures["details"]))
        return rows

    def write_log(self) -> list[dict[str, Any]]:
        from corpussieve.tables import WriteSpec

        rows = self.log_rows_now()
        with self.run.stage("log") as st:
            self.tables.write_all([WriteSpec(log_frame(self.spark, rows), self.lake.path("refresh_log"), "append",
                                             txn=Txn(self.lake.app_id("log"), self.batch),
                                             metadata={"job": "refresh", "run_id": self.run.run_id,
                                                       "refresh": self.batch})], self.run.identity)
            st.rows_out = len(rows)
        return rows

    def repetition(self) -> None:
        """The repetition report of the whole documents table (its own job, under _reports/repetition)."""
        from corpussieve.cli import JobContext
        from corpussieve.repetition import job as repetition_job
        from corpussieve.runlog import JobRun

        path = self.paths["documents"]
        run = JobRun("repetition", self.config)
        args = argparse.Namespace(input=path, output=f"{self.lake.reports}/repetition", plan=None)
        with self.run.stage("repetition"):
            summary = repetition_job.run(JobContext(self.spark, self.tables, self.config, run), args)
        self.steps["repetition"] = {
            "run_id": run.run_id, "seconds": float(summary.get("seconds") or 0.0), "documents": summary.get("documents_total"),
            "input_version": self.tables.version(path),
            "details": {k: summary.get(k) for k in ("repeated_token_fraction", "excess_token_fraction", "grade",
                                                     "tokens_total", "report")}}

    def summary(self, report_path: str) -> dict[str, Any]:
        dedup, clean = self.steps.get("dedup") or {}, self.steps.get("clean") or {}
        dd, cd = dedup.get("details") or {}, clean.get("details") or {}
        return {
            "lake": self.lake.root, "refresh": self.batch, "raw_versions": [self.after, self.upto],
            "new_rows": dedup.get("rows_in"), "kept_by_dedup": dedup.get("rows_out"),
            "removed_exact": dd.get("removed_exact"), "removed_near": dd.get("removed_near"),
            "removed_against_index": dd.get("removed_against_index"), "pages_not_cleaned": cd.get("pages_not_cleaned"),
            "documents_appended": clean.get("rows_out"), "rejected_appended": cd.get("rejected"),
            "repetition": (self.steps.get("repetition") or {}).get("details"),
            "seconds": None, "report": report_path,
        }


__all__ = [
    "LOG_DDL", "RefreshStages", "STEPS", "check_same_files", "choose_batch", "ingest", "ingested_fingerprint",
    "last_consumed", "log_frame", "log_row", "read_log", "refreshed_batches", "with_refresh",
]  # fmt: skip
