"""The ingest job's report: metrics, summary and report.html from plain values (no Spark here; the figures
come from ``stages.report_figures``)."""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H


def _rate(amount: float, seconds: float, digits: int) -> float | None:
    return round(amount / seconds, digits) if seconds else None


def metrics(files: int, bytes_in: int, records_read: int, by_reason: dict[str, int], stats: dict[str, Any],
            seconds: float) -> dict[str, Any]:
    """report.json's metrics: what was read, kept and rejected (by reason code), and the rates."""
    figures = {k: int(stats.get(k) or 0) for k in ("documents", "derived_ids", "fetch_time_unparsed", "with_text",
                                                  "with_html", "body_bytes")}
    return {
        "files": files, "bytes_in": bytes_in, "records_read": records_read,
        "documents": figures["documents"], "rejected": int(sum(by_reason.values())),
        "rejected_by_reason": dict(sorted(by_reason.items())), "derived_ids": figures["derived_ids"],
        "fetch_time_unparsed": figures["fetch_time_unparsed"],
        "with_text": figures["with_text"], "with_html": figures["with_html"], "body_bytes": figures["body_bytes"],
        "body_mb_per_second": _rate(figures["body_bytes"] / 1e6, seconds, 2),
        "records_per_second": _rate(records_read, seconds, 1),
        "mb_per_second": _rate(bytes_in / 1e6, seconds, 2),
    }


def summary(output: str, rejected_path: str, result, metrics: dict[str, Any], report_path: str) -> dict[str, Any]:
    """What the command prints: the table's new version and the counts (``result``: the table's WriteResult;
    ``seconds`` is filled in by ``JobRun.finish``)."""
    return {"output": output, "rejected_table": rejected_path, "version": result.version,
            "committed": result.committed, "documents": metrics["documents"], "rejected": metrics["rejected"],
            "rejected_by_reason": metrics["rejected_by_reason"], "seconds": None, "report": report_path}


def render_html(report: dict[str, Any]) -> str:
    """report.html: the counts, the rejections by reason with what each reason means, inputs, outputs, stages."""
    s = report["summary"]
    m = report.get("metrics") or {}
    inputs = report.get("inputs") or [{}]
    sections = []
    if s.get("already_ingested"):
        txn = s.get("txn") or {}
        what = f"batch {txn.get('app_id')} v{txn.get('version')}" if txn else "this input set"
        sections.append(("Summary", f'<p class="note">{H.esc(what)} is already in {H.esc(s["output"])} '
                                    f'(version {H.esc(s.get("version"))}): nothing was read or written.</p>'))
    else:
        sections.append(("Summary", H.cards([
            ("files", m.get("files")), ("records read", m.get("records_read")), ("documents", m.get("documents")),
            ("rejected", m.get("rejected")), ("content-derived ids", m.get("derived_ids")),
            ("unparsed fetch_time", m.get("fetch_time_unparsed")), ("seconds", s.get("seconds")),
            ("MB/s of input", m.get("mb_per_second")), ("MB/s of bodies", m.get("body_mb_per_second")),
        ])))
        rows = report.get("reasons") or []
        rejected = (H.reasons_table(rows, what="records") if rows else
                    '<p class="note">No record was rejected.</p>')
        sections.append((f"Rejected records ({s.get('rejected_table')})", rejected))
    if report.get("outputs"):
        sections.append(("Outputs", H.table(
            ["table", "mode", "version", "rows", "committed"],
            [(o.get("path"), o.get("mode"), o.get("version"), o.get("rows"), o.get("committed"))
             for o in report["outputs"]])))
    if report.get("stages"):
        sections.append(("Time per stage", H.stages_section(report["stages"])))
    first = inputs[0] if inputs else {}
    formats = ", ".join(first.get("formats") or [])
    subtitle = (f"{s['output']}: {first.get('files', '?')} files ({formats}), run {report['run_id']}"
                if first else f"{s['output']}, run {report['run_id']}")
    return H.page("corpussieve ingest", subtitle, sections)
