"""The clean job's report: counts, rejections with examples, characters per step, boilerplate lines,
time per stage; as report.json sections and as a self-contained report.html."""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H
from corpussieve.clean.config import CleanConfig
from corpussieve.clean.stages import STEPS, TIMERS


def build_report(final, docs_in: int, top_lines: list[dict[str, Any]], lines_stats: dict[str, Any],
                 cfg: CleanConfig) -> dict[str, Any]:
    """Aggregate the persisted per-document frame into report sections (one pass, plus small queries)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    kept_flag = F.size("__reasons") == 0
    aggregates = [F.count("*").alias("rows"), F.sum(kept_flag.cast("long")).alias("kept"),
                  F.sum("__lines_site").alias("lines_site"), F.sum("__lines_corpus").alias("lines_corpus"),
                  F.sum(((F.col("__lines_site") + F.col("__lines_corpus")) > 0).cast("long")).alias("docs_lines")]
    for step in STEPS:
        column = F.col(f"__chars_{step}")
        aggregates += [F.sum(column).alias(f"chars_{step}"), F.count(column).alias(f"docs_{step}"),
                       F.sum(F.when(kept_flag, column)).alias(f"kept_chars_{step}")]
    for timer in TIMERS:
        aggregates.append(F.sum(f"__sec_{timer}").alias(f"sec_{timer}"))
    totals = final.agg(*aggregates).first().asDict()

    rejected = final.filter(~kept_flag)
    first_reason = F.element_at("__reasons", 1)
    # every count table of the report from one scan: (table, key) pairs per document, then one group-by
    def keyed(table: str, key, when) -> Any:
        return F.when(when, F.struct(F.lit(table).alias("t"), key.cast("string").alias("k")))

    pairs = F.concat(
        F.array(
            keyed("filter", F.split(first_reason, ":").getItem(0), ~kept_flag),
            keyed("first", first_reason, ~kept_flag),
            keyed("language", F.col("language"), kept_flag),
            keyed("mode", F.col("__mode"), F.col("__mode").isNotNull()),
        ),
        F.transform("__reasons", lambda r: F.struct(F.lit("any").alias("t"), r.alias("k"))),
    )
    tables: dict[str, dict[Any, int]] = {"filter": {}, "first": {}, "any": {}, "language": {}, "mode": {}}
    for r in (final.select(F.explode(pairs).alias("p")).filter(F.col("p").isNotNull())
              .groupBy(F.col("p.t").alias("t"), F.col("p.k").alias("k")).count().collect()):
        tables[r["t"]][r["k"]] = r["count"]
    by_filter, by_first, by_any = tables["filter"], tables["first"], tables["any"]
    languages = dict(sorted(tables["language"].items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))[:15])
    modes = {str(k): v for k, v in tables["mode"].items()}

    examples: dict[str, list[dict[str, Any]]] = {}
    k = cfg.report.examples_per_reason
    if k > 0 and by_first:
        chars = cfg.report.example_chars
        url = F.col("url") if "url" in final.columns else F.lit(None).cast("string")
        window = Window.partitionBy("__first").orderBy("id")
        rows = (rejected.select("id", url.alias("url"), first_reason.alias("__first"), "__reasons",
                                F.substring(F.coalesce("text", "__excerpt"), 1, chars).alias("excerpt"))
                .withColumn("__n", F.row_number().over(window)).filter(F.col("__n") <= k)
                .orderBy("__first", "id").collect())
        for r in rows:
            examples.setdefault(r["__first"], []).append(
                {"id": r["id"], "url": r["url"], "reasons": list(r["__reasons"]), "excerpt": r["excerpt"]})

    if top_lines:
        samples = {r["hash"]: r["line"] for r in final.filter(F.col("__sample_lines").isNotNull())
                   .select("id", F.explode("__sample_lines").alias("s"))
                   .groupBy(F.col("s.hash").alias("hash")).agg(F.min_by("s.line", "id").alias("line")).collect()}
        for line in top_lines:
            line["line"] = samples.get(line["hash"])

    kept = int(totals["kept"] or 0)
    lines_removed = int((totals["lines_site"] or 0) + (totals["lines_corpus"] or 0))
    steps = [{"step": step, "docs": int(totals[f"docs_{step}"] or 0), "chars": int(totals[f"chars_{step}"] or 0),
              "chars_of_kept_docs": int(totals[f"kept_chars_{step}"] or 0)}
             for step in STEPS if totals[f"docs_{step}"]]
    metrics = {
        "docs_in": docs_in, "kept": kept, "rejected": int(totals["rows"]) - kept,
        "kept_fraction": round(kept / docs_in, 4) if docs_in else None,
        "rejected_by_filter": dict(sorted(by_filter.items(), key=lambda kv: -kv[1])),
        "rejected_by_first_reason": dict(sorted(by_first.items(), key=lambda kv: -kv[1])),
        "reasons_any": dict(sorted(by_any.items(), key=lambda kv: -kv[1])),
        "lines_removed": lines_removed, "lines_removed_site": int(totals["lines_site"] or 0),
        "lines_removed_corpus": int(totals["lines_corpus"] or 0), "docs_with_lines_removed":
            int(totals["docs_lines"] or 0),
        "chars_in": int(totals["chars_input"] or 0), "chars_out": int(totals["kept_chars_filters"] or 0),
        "languages_kept": languages, "extraction_modes": modes,
        "worker_seconds": {timer: round(float(totals[f"sec_{timer}"] or 0.0), 2) for timer in TIMERS},
    }
    sections = {"steps": steps, "rejection_examples": examples, "boilerplate": {**lines_stats,
                "top_lines": [{kk: v for kk, v in line.items()} for line in top_lines]}}
    return {"metrics": metrics, "sections": sections}


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
    first = m["rejected_by_first_reason"]
    body += H.table(["first failing rule", "documents", "documents failing it at all"],
                    [(r, n, m["reasons_any"].get(r, n)) for r, n in first.items()])
    others = {r: n for r, n in m["reasons_any"].items() if r not in first}
    if others:
        body += '<p class="note">Rules that also fail, but never first:</p>'
        body += H.table(["rule", "documents"], list(others.items()))
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
