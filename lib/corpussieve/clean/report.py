"""The clean job's report: counts, rejections with examples and what each reason means, characters per
step, boilerplate lines, the document steps (counters and reasons of each), time per stage; as report.json
sections and as a self-contained report.html.

Pure: it works on the plain dicts ``corpussieve.clean.stages.report_inputs`` aggregates in Spark."""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H
from corpussieve.clean.arrowfns import STEPS, TIMERS
from corpussieve.clean.reasons import URL_BLOCKLIST
from corpussieve.reasons import reason_rows

#: what the report says when no blocklist is configured
BLOCKLIST_OFF = "off: no list and no banned word configured (clean.url_blocklist)"


def blocklist_section(stats: dict[str, Any] | None, counts: dict[str, dict[Any, int]],
                      examples: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The url_blocklist section: per list what was read and how many documents it blocked (at all, and as
    the first reason) with example URLs; URLs checked, missing (no url: never blocked) and invalid."""
    if not stats or not stats.get("enabled"):
        return {"enabled": False, "note": BLOCKLIST_OFF}
    lists = [dict(entry) for entry in stats.get("lists", [])]
    words = stats.get("banned_words")
    if words:
        lists.append({"name": words["name"], "format": "banned_words", **words})
    for entry in lists:
        code = URL_BLOCKLIST.member("{name}", entry["name"])
        entry["documents"] = int(counts["any"].get(code, 0))
        entry["documents_first"] = int(counts["first"].get(code, 0))
        entry["example_urls"] = [e["url"] for e in examples.get(code, [])]
    checks = counts.get("url_check", {})
    return {"enabled": True, "lists": lists,
            "urls_checked": int(sum(checks.values())), "documents_blocked": int(checks.get("blocked", 0)),
            "urls_missing": int(checks.get("missing", 0)), "urls_invalid": int(checks.get("invalid", 0)),
            **{k: stats.get(k) for k in ("table_entries", "table_bytes", "load_seconds", "from_cache")}}


def report_sections(docs_in: int, found: dict[str, Any], lines_stats: dict[str, Any],
                    blocklist: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report's metrics and sections from what ``stages.report_inputs`` counted (plain dicts) and what
    the url_blocklist stage loaded (``blocklist``, None: off): ``{"metrics": {...}, "sections": {steps,
    rejection_examples, boilerplate, url_blocklist, reasons, reasons_any}}``."""
    totals, counts = found["totals"], found["counts"]
    by_filter, by_first, by_any = counts["filter"], counts["first"], counts["any"]
    languages = dict(sorted(counts["language"].items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))[:15])
    modes = {str(k): v for k, v in counts["mode"].items()}
    kept = int(totals["kept"] or 0)
    lines_removed = int((totals["lines_site"] or 0) + (totals["lines_corpus"] or 0))
    char_step_names = found.get("char_steps") or STEPS
    timer_names = found.get("timers") or TIMERS
    steps = [{"step": step, "docs": int(totals[f"docs_{step}"] or 0), "chars": int(totals[f"chars_{step}"] or 0),
              "chars_of_kept_docs": int(totals[f"kept_chars_{step}"] or 0)}
             for step in char_step_names if totals[f"docs_{step}"]]
    # the text of kept documents after the last step that ran on them (a redacting step changes it)
    last = next((s for s in reversed(char_step_names) if totals.get(f"docs_{s}")), "filters")
    document_steps = [
        {"step": ds["step"], "docs": int(totals.get(f"docs_{ds['step']}") or 0),
         "worker_seconds": round(float(totals.get(f"sec_step_{ds['step']}") or 0.0), 3),
         "counters": [{"counter": c, "value": v, "description": ds["descriptions"].get(c)}
                      for c, v in ds["counters"].items()],
         "reasons": reason_rows({r: n for r, n in by_any.items() if r.split(":", 1)[0] == ds["step"]})}
        for ds in found.get("document_steps") or []]
    metrics = {
        "docs_in": docs_in, "kept": kept, "rejected": int(totals["rows"]) - kept,
        "kept_fraction": round(kept / docs_in, 4) if docs_in else None,
        "rejected_by_filter": dict(sorted(by_filter.items(), key=lambda kv: -kv[1])),
        "rejected_by_first_reason": dict(sorted(by_first.items(), key=lambda kv: -kv[1])),
        "reasons_any": dict(sorted(by_any.items(), key=lambda kv: -kv[1])),
        "lines_removed": lines_removed, "lines_removed_site": int(totals["lines_site"] or 0),
        "lines_removed_corpus": int(totals["lines_corpus"] or 0), "docs_with_lines_removed":
            int(totals["docs_lines"] or 0),
        "chars_in": int(totals["chars_input"] or 0), "chars_out": int(totals[f"kept_chars_{last}"] or 0),
        "paragraphs_removed": int(totals.get("lines_paragraph") or 0),
        "paragraph_chars_removed": int(totals.get("chars_paragraph") or 0),
        "docs_with_paragraphs_removed": int(totals.get("docs_paragraph") or 0),
        "span_tokens_removed": int((found.get("spans") or {}).get("tokens_removed") or 0),
        "docs_with_spans_removed": int((found.get("spans") or {}).get("documents_changed") or 0),
        "languages_kept": languages, "extraction_modes": modes,
        "worker_seconds": {timer: round(float(totals.get(f"sec_{timer}") or 0.0), 2)
                           for timer in (*(["url_blocklist"] if "sec_url_blocklist" in totals else []), *timer_names)},
        "document_steps": {ds["step"]: {c["counter"]: c["value"] for c in ds["counters"]} for ds in document_steps},
    }
    blocked = blocklist_section(blocklist, counts, found["examples"])
    metrics["url_blocklist_blocked"] = (
        {entry["name"]: entry["documents"] for entry in blocked["lists"]} if blocked["enabled"] else None)
    sections = {"steps": steps, "rejection_examples": found["examples"],
                "boilerplate": {**lines_stats, "top_lines": found["top_lines"]}, "url_blocklist": blocked,
                "document_steps": document_steps,
                # every reason counted, with its declared description: as the first reason, and at all
                "reasons": reason_rows(by_first), "reasons_any": reason_rows(by_any)}
    if "paragraphs" in found:
        sections["paragraphs"] = found["paragraphs"]
    if "spans" in found:
        sections["spans"] = spans_section(found["spans"], by_any)
    return {"metrics": metrics, "sections": sections}


def spans_section(stats: dict[str, Any], by_any: dict[str, int]) -> dict[str, Any]:
    """The spans section: what span removal measured and removed, the prediction beside it, the documents it
    rejected per reason, and the most repeated removed windows."""
    section = dict(stats)
    section.pop("broadcast_max_bytes", None)
    section["rejected"] = {r: n for r, n in by_any.items() if r.split(":", 1)[0] == "spans"}
    section["definition"] = (
        f"Every window of {stats.get('span_tokens')} {stats.get('tokenizer')} tokens seen more than "
        f"{stats.get('max_copies')} times among the documents the filters kept keeps its first "
        f"{stats.get('max_copies')} occurrences in the keep order ({stats.get('keep')}, then position) and loses "
        "every later one (repetition --strip K's definitions). Predicted: 1 - K/M(t) summed over tokens whose "
        "most repeated window is seen M(t) > K times.")
    return section


def render_html(report: dict[str, Any]) -> str:
    """report.html from report.json's content."""
    m = report["metrics"]
    parts: list[tuple[str, str]] = []
    parts.append(("Summary", H.cards([
        ("documents in", m["docs_in"]), ("kept", m["kept"]), ("rejected", m["rejected"]),
        ("kept share", f"{100 * (m['kept_fraction'] or 0):.1f}%"), ("boilerplate lines removed", m["lines_removed"]),
        ("chars in", m["chars_in"]), ("chars out (kept)", m["chars_out"]), ("seconds", report["seconds"]),
    ])))

    by_filter = m["rejected_by_filter"]
    body = H.bar_chart(list(by_filter), list(by_filter.values()), title="rejected documents by first failing filter")
    first, every = report.get("reasons") or [], report.get("reasons_any") or []
    if first:
        body += '<p class="note">Documents by the first rule they fail:</p>' + H.reasons_table(first)
    if every:
        body += '<p class="note">Documents failing each rule at all (first or not):</p>' + H.reasons_table(every)
    parts.append(("Rejections", body))

    examples = report.get("rejection_examples", {})
    if examples:
        rows = [(reason, e["id"], e["url"], ", ".join(e["reasons"]), e["excerpt"])
                for reason, items in examples.items() for e in items]
        parts.append(("Rejection examples", H.table(["first rule", "id", "url", "all rules", "text"], rows,
                                                    sample_cols=(4,))))

    steps = report.get("steps", [])
    if steps:
        body = H.bar_chart([s["step"] for s in steps], [s["chars"] for s in steps],
                           title="characters after each step (all documents that reached it)")
        body += H.table(["step", "documents", "characters", "characters of kept documents"],
                        [(s["step"], s["docs"], s["chars"], s["chars_of_kept_docs"]) for s in steps])
        parts.append(("Characters per step", body))

    bl = report.get("url_blocklist") or {}
    if bl.get("enabled"):
        body = H.cards([("documents blocked", bl["documents_blocked"]), ("URLs checked", bl["urls_checked"]),
                        ("without a URL (not blocked)", bl["urls_missing"]),
                        ("unparseable URL (not blocked)", bl["urls_invalid"]),
                        ("table entries", bl["table_entries"]), ("table MB", round((bl["table_bytes"] or 0) / 1e6, 1)),
                        ("load seconds", bl["load_seconds"])])
        body += H.table(["list", "format", "source", "entries", "skipped lines", "documents blocked",
                         "as first reason", "example URLs"],
                        [(e["name"], e.get("format"), e.get("source"), e.get("entries"), e.get("skipped"),
                          e["documents"], e["documents_first"], " ".join(u or "" for u in e["example_urls"]))
                         for e in bl["lists"]], sample_cols=(7,))
        parts.append(("URL blocklists", body))
    elif bl:
        parts.append(("URL blocklists", f'<p class="note">{H.esc(bl.get("note", BLOCKLIST_OFF))}</p>'))

    bp = report.get("boilerplate", {})
    body = H.cards([("lines removed (site)", m["lines_removed_site"]),
                    ("lines removed (corpus-wide)", m["lines_removed_corpus"]),
                    ("documents touched", m["docs_with_lines_removed"]),
                    ("site boilerplate lines", bp.get("site_boilerplate_lines", 0)),
                    ("sites with boilerplate", bp.get("sites_with_boilerplate", 0)),
                    ("sites judged", bp.get("sites_judged", 0)),
                    ("corpus-wide lines", bp.get("corpus_boilerplate_lines", 0))])
    top = bp.get("top_lines", [])
    if top:
        body += H.table(["line (first occurrence)", "documents", "sites", "rule"],
                        [(t.get("line"), t["docs"], t["sites"], t["kind"]) for t in top], sample_cols=(0,))
    elif not bp.get("enabled", True):
        body += '<p class="note">The site-lines stage is turned off (clean.lines.site_lines).</p>'
    parts.append(("Boilerplate lines", body))

    paragraphs = report.get("paragraphs")
    if paragraphs is not None:
        body = H.cards([("paragraphs removed", m["paragraphs_removed"]),
                        ("characters removed", m["paragraph_chars_removed"]),
                        ("documents touched", m["docs_with_paragraphs_removed"]),
                        ("distinct paragraphs", paragraphs.get("paragraphs", 0)),
                        ("repeated paragraphs", paragraphs.get("repeated", 0)),
                        ("held by earlier batches", paragraphs.get("held_by_earlier_batches", 0))])
        body += (f'<p class="note">A paragraph is a line of at least {paragraphs.get("min_chars")} normalized '
                 f'characters; the first document holding it by the keep order ({paragraphs.get("keep")}) keeps '
                 'it, every other loses it.</p>')
        top = paragraphs.get("top", [])
        if top:
            body += H.table(["paragraph (a removed copy)", "documents", "kept by"],
                            [(t.get("paragraph"), t["docs"], t["first_id"] or "an earlier batch") for t in top],
                            sample_cols=(0,))
        parts.append(("Repeated paragraphs", body))

    spans = report.get("spans")
    if spans is not None:
        body = H.cards([("tokens removed", spans.get("tokens_removed", 0)),
                        ("predicted", spans.get("predicted_tokens_removed", "not measured")),
                        ("documents touched", spans.get("documents_changed", 0)),
                        ("documents rejected", sum((spans.get("rejected") or {}).values())),
                        ("tokens before", spans.get("tokens_before", 0)),
                        ("over-limit windows", spans.get("over_limit_windows", 0)),
                        ("repeated token fraction before",
                         f"{100 * spans['repeated_token_fraction_before']:.2f}%"
                         if spans.get("repeated_token_fraction_before") is not None else "not measured")])
        body += f'<p class="note">{H.esc(spans.get("definition", ""))}</p>'
        top = spans.get("top", [])
        if top:
            body += H.table(["window (its last kept copy)", "copies", "copies removed", "kept in"],
                            [(t.get("text"), t["count"], t["copies_removed"], t.get("kept_in")) for t in top],
                            sample_cols=(0,))
        parts.append(("Repeated spans removed", body))

    for ds in report.get("document_steps") or []:
        body = H.cards([("documents it ran on", ds["docs"]), ("worker seconds", ds["worker_seconds"])])
        body += H.table(["counter", "value", "what it counts"],
                        [(c["counter"], c["value"], c["description"]) for c in ds["counters"]])
        if ds["reasons"]:
            body += '<p class="note">Documents it rejected, per reason:</p>' + H.reasons_table(ds["reasons"])
        else:
            body += '<p class="note">It rejected no document.</p>'
        parts.append((f"Document step: {ds['step']}", body))

    langs = m.get("languages_kept", {})
    if langs:
        parts.append(("Languages of kept documents", H.bar_chart([str(k) for k in langs], list(langs.values()),
                                                                 title="kept documents per language")))
    workers = m.get("worker_seconds", {})
    body = H.stages_section(report["stages"])
    if workers:
        body += H.table(["Python step", "seconds inside the Python workers (summed over workers)"],
                        list(workers.items()))
    parts.append(("Time per stage", body))
    return H.page("corpussieve clean", f"run {report['run_id']}, {report['started_at']}", parts)
