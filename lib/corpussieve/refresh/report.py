"""The refresh's report: this refresh's steps from its ``refresh_log`` rows, what ordering by cost saved, and
the lake's history (every refresh so far; the repetition trend when measured). Pure: plain data in, HTML out."""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "finished_at": str(row.get("finished_at"))}


def report_sections(batch: int, rows: list[dict[str, Any]], all_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """report.json's sections: ``steps`` (this refresh's log rows), ``lake_history`` (one line per refresh)
    and ``repetition_trend``."""
    history: dict[int, dict[str, Any]] = {}
    for row in all_rows:
        entry = history.setdefault(int(row["refresh"]), {"refresh": int(row["refresh"])})
        details = row.get("details") or {}
        if row["step"] == "ingest":
            entry["ingested"] = row.get("rows_out")
        elif row["step"] == "dedup":
            entry.update(new_rows=row.get("rows_in"), kept_by_dedup=row.get("rows_out"),
                         raw_versions=[row.get("input_from_version"), row.get("input_to_version")])
        elif row["step"] == "clean":
            entry.update(documents_appended=row.get("rows_out"), rejected=details.get("rejected"),
                         finished_at=str(row.get("finished_at")))
        elif row["step"] == "repetition":
            entry.update(repeated_token_fraction=details.get("repeated_token_fraction"), grade=details.get("grade"))
    trend = [{"refresh": e["refresh"], "repeated_token_fraction": e["repeated_token_fraction"], "grade": e["grade"]}
             for e in sorted(history.values(), key=lambda e: e["refresh"]) if "grade" in e]
    return {"refresh": batch, "steps": [_plain(r) for r in rows],
            "lake_history": sorted(history.values(), key=lambda e: e["refresh"]), "repetition_trend": trend}


def render_html(report: dict[str, Any]) -> str:
    s = report["summary"]
    sections = [("Summary", H.cards([
        ("new rows in raw", s.get("new_rows")), ("kept by dedup", s.get("kept_by_dedup")),
        ("removed: exact", s.get("removed_exact")), ("removed: near", s.get("removed_near")),
        ("of which against the lake", s.get("removed_against_index")),
        ("documents appended", s.get("documents_appended")), ("rejected by clean", s.get("rejected_appended")),
        ("seconds", s.get("seconds")),
    ]) + '<p class="note">' + H.esc(
        f"Ordered by cost: dedup ran before clean, so {s.get('pages_not_cleaned') or 0:,} duplicate pages were "
        "never extracted or filtered.") + "</p>")]
    if s.get("completed_interrupted_run"):
        done = s["completed_interrupted_run"]
        sections.append(("Completed an interrupted refresh", H.table(["", ""], [
            ("committed by the attempt that died", ", ".join(done["already_committed"])),
            ("committed by this run", ", ".join(done["committed_now"]))])))
    step_rows = []
    for r in report["steps"]:
        outputs = "; ".join(f"{o['table'].rsplit('/', 1)[-1]} v{o['version']}"
                            f"{'' if o['committed'] else ' (earlier attempt)'}" for o in r.get("outputs") or [])
        consumed = (f"{(r.get('input_table') or '').rsplit('/', 1)[-1]} "
                    f"({r.get('input_from_version')}, {r.get('input_to_version')}]" if r.get("input_table") else "files")
        step_rows.append((r["step"], consumed, r.get("rows_in"), r.get("rows_out"), r.get("seconds"), outputs))
    sections.append(("Steps (the refresh_log rows)", H.table(
        ["step", "input (versions after, up to]", "rows in", "rows out", "seconds", "committed"], step_rows)))
    history = report.get("lake_history") or []
    if history:
        sections.append(("Every refresh of this lake", H.table(
            ["refresh", "ingested", "new rows", "kept by dedup", "documents appended", "rejected", "finished"],
            [(h["refresh"], h.get("ingested"), h.get("new_rows"), h.get("kept_by_dedup"), h.get("documents_appended"),
              h.get("rejected"), h.get("finished_at")) for h in history])))
    trend = report.get("repetition_trend") or []
    if trend:
        sections.append(("Repetition across refreshes", H.bar_chart(
            [str(t["refresh"]) for t in trend], [float(t["repeated_token_fraction"] or 0.0) for t in trend],
            title="repeated-token fraction of the documents table, by refresh",
            value_format=lambda v: f"{100 * v:.2f}%") + H.table(
            ["refresh", "repeated tokens", "grade"],
            [(t["refresh"], f"{100 * float(t['repeated_token_fraction'] or 0):.2f}%", t["grade"]) for t in trend])))
    sections.append(("Time per stage", H.stages_section(report["stages"])))
    return H.page("corpussieve refresh", f"lake {s.get('lake')}, refresh {s.get('refresh')}, run {report['run_id']}",
                  sections)


__all__ = ["render_html", "report_sections"]
