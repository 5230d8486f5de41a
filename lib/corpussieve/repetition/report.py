"""The repetition job's report: ``report.json`` (every figure, per source too) and a self-contained ``report.html``."""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H
from corpussieve.repetition.coverage import BUCKET_LABELS, RepetitionFigures
from corpussieve.repetition.config import StripConfig
from corpussieve.repetition.plan import ResolvedPlan, TrainingPlan, format_params
from corpussieve.repetition.risk import RiskAssessment
from corpussieve.repetition.tokenizers import Tokenizer

NO_PLAN = "no plan: one pass assumed"

DEFINITIONS = {
    "window": "span_tokens consecutive tokens of one document; it is repeated when the same tokens occur "
              "at least twice in the corpus (every position counted, copies inside one document included).",
    "repeated_token_fraction": "tokens inside at least one repeated window, every copy counted "
                               "(Lee et al. 2021's measure), over all tokens.",
    "excess_token_fraction": "tokens beyond the first copy, i.e. what keep-one dedup of the repeated spans would "
                             "save: a token under windows seen at most M times counts 1 - 1/M.",
    "within_document": "repeated tokens whose repeated windows all occur only inside their own document.",
    "cross_document": "repeated tokens under at least one repeated window that also occurs in another document.",
    "multiplicity_histogram": "tokens: repeated tokens by the count of the most repeated window over them; "
                              "spans: maximal spans (overlapping repeated windows chained, per document) by their "
                              "highest window count; distinct_spans: span clusters (maximal spans sharing their "
                              "most repeated window, corpus-wide).",
    "effective_repeats": "count x passes over the source of each copy, summed: how often training sees a span.",
    "share_in_band": "training tokens (corpus tokens weighted by their source's passes) whose effective repeats "
                     "fall in the harmful band, over all training tokens.",
    "unrepeatable": "documents shorter than one window: no repeat can be detected in them.",
    "strip": "--strip K: every window seen more than K times keeps its first K occurrences in keep order "
             "(documents in dedup's keep order, then position); the tokens under its later occurrences are "
             "removed (the union of them) and the text is cut there. 'after' is the count and coverage run again "
             "on the kept tokens; predicted_tokens_removed sums 1 - K/M(t) over tokens whose count M(t) > K.",
}


def figure_summary(fig: RepetitionFigures, exact_duplicates: int,
                   clusters_per_bucket: dict[str, int] | None = None) -> dict[str, Any]:
    """The headline figures of a corpus or of one source."""
    tokens = fig.tokens

    def share(value: float) -> float:
        return value / tokens if tokens else 0.0

    histogram = []
    for i, label in enumerate(BUCKET_LABELS):
        entry: dict[str, Any] = {"bucket": label, "spans": fig.bucket_spans[i], "tokens": fig.bucket_tokens[i]}
        if clusters_per_bucket is not None:
            entry["distinct_spans"] = clusters_per_bucket.get(label, 0)
        histogram.append(entry)
    return {
        "documents_total": fig.documents,
        "tokens_total": tokens,
        "repeated_tokens": fig.repeated_tokens,
        "repeated_token_fraction": share(fig.repeated_tokens),
        "excess_tokens": fig.excess_tokens,
        "excess_token_fraction": share(fig.excess_tokens),
        "exact_duplicate_documents": exact_duplicates,
        "within_document_repeated_tokens": fig.within_document_tokens,
        "within_document_repeated_fraction": share(fig.within_document_tokens),
        "cross_document_repeated_tokens": fig.cross_document_tokens,
        "cross_document_repeated_fraction": share(fig.cross_document_tokens),
        "unrepeatable_documents": fig.unrepeatable_documents,
        "unrepeatable_tokens": fig.unrepeatable_tokens,
        "windows": fig.windows,
        "max_count": fig.max_count,
        "spans": fig.spans,
        "multiplicity_histogram": histogram,
    }


def risk_section(risk: RiskAssessment) -> dict[str, Any]:
    band = risk.band
    return {
        "grade": risk.grade,
        "share_in_band": risk.share_in_band,
        "share_below_band": risk.share_below_band,
        "share_above_band": risk.share_above_band,
        "band": {"low_exclusive": band.low, "high_inclusive": band.high, "peak": band.peak,
                 "model_params": band.model_params},
        "training_tokens": risk.training_tokens,
        "typical_repeats": risk.typical_repeats,
        "closest_published": {"source": risk.closest.source, "setup": risk.closest.setup,
                              "effect": risk.closest.effect, "model_params": risk.closest.model_params,
                              "repeated_share": risk.closest.repeated_share, "repeats": risk.closest.repeats},
        "drivers": [{"key_hash": s.key_hash, "tokens": s.tokens, "count": s.count,
                     "effective_repeats": s.effective_repeats, "training_tokens": s.training_tokens,
                     "preview": s.preview[:200]} for s in risk.drivers],
        "explanation": risk.explanation,
        "chart": risk.chart.to_dict(),
    }


def plan_section(resolved: ResolvedPlan, plan: TrainingPlan | None, plan_path: str | None) -> Any:
    if plan is None:
        return NO_PLAN
    return {"file": plan_path, "model_params": plan.model_params, "training_tokens": plan.training_tokens,
            "default_epochs": plan.default_epochs,
            "sources": {k: v.model_dump(exclude_none=True) for k, v in plan.sources.items()},
            "passes": resolved.passes, "note": resolved.note}


def report_sections(*, total: RepetitionFigures, per_source: dict[str, RepetitionFigures],
                    source_stats: dict[str, dict[str, int]], exact: dict[str, Any], risk: RiskAssessment,
                    resolved: ResolvedPlan, plan: TrainingPlan | None, plan_path: str | None, tokenizer: Tokenizer,
                    spans: list[dict[str, Any]], clusters_per_bucket: dict[str, int], shuffle: dict[str, Any],
                    span_tokens: int, input_path: str, output: str,
                    strip: dict[str, Any] | None = None) -> dict[str, Any]:
    """The job's own sections of report.json, in order (``JobRun.finish`` adds the run's bookkeeping)."""
    headline = figure_summary(total, exact["documents"], clusters_per_bucket)
    sources = {}
    for name, fig in per_source.items():
        entry = figure_summary(fig, exact["by_source"].get(name, 0))
        entry["empty_documents"] = source_stats.get(name, {}).get("empty", 0)
        entry["passes"] = resolved.passes.get(name, 1.0)
        sources[name] = entry
    return dict(
        input=input_path,
        output=output,
        **headline,
        empty_documents=sum(s.get("empty", 0) for s in source_stats.values()),
        exact_duplicates={k: v for k, v in exact.items() if k != "by_source"},
        per_source=sources,
        risk=risk_section(risk),
        tokenizer={"name": tokenizer.name, "engine": tokenizer.engine, "vocab_sha256": tokenizer.vocab_sha256},
        span_tokens=span_tokens,
        plan=plan_section(resolved, plan, plan_path),
        plan_note=resolved.note,
        top_spans=spans,
        shuffle=shuffle,
        **({"strip": strip} if strip is not None else {}),
        definitions=DEFINITIONS,
    )


def strip_section(config: StripConfig, *, before: RepetitionFigures, after: RepetitionFigures,
                  removal: dict[str, int], predicted: float, risk_after: RiskAssessment, over_limit_windows: int,
                  shuffle: dict[str, Any], output: str) -> dict[str, Any]:
    """report.json's ``strip`` section: what span removal removed, what the report predicted, and the figures
    of the kept tokens (measured again) beside the input's."""

    def figures(fig: RepetitionFigures) -> dict[str, Any]:
        tokens = fig.tokens
        return {"tokens_total": tokens, "repeated_tokens": fig.repeated_tokens,
                "repeated_token_fraction": fig.repeated_tokens / tokens if tokens else 0.0,
                "excess_tokens": fig.excess_tokens,
                "excess_token_fraction": fig.excess_tokens / tokens if tokens else 0.0,
                "max_count": fig.max_count,
                "multiplicity_histogram": [{"bucket": label, "tokens": fig.bucket_tokens[i]}
                                           for i, label in enumerate(BUCKET_LABELS)]}

    removed = removal["tokens_removed"]
    return {
        "output": output,
        "max_copies": config.max_copies,
        "keep": config.keep,
        "over_limit_windows": over_limit_windows,
        "documents_changed": removal["documents_changed"],
        "tokens_removed": removed,
        "tokens_removed_fraction": removed / before.tokens if before.tokens else 0.0,
        "predicted_tokens_removed": predicted,
        "removed_over_predicted": removed / predicted if predicted else None,
        "before": figures(before),
        "after": figures(after),
        "grade_after": risk_after.grade,
        "share_in_band_after": risk_after.share_in_band,
        "shuffle": shuffle,
    }


def run_metrics(total: RepetitionFigures, seconds: float) -> dict[str, Any]:
    """The run's throughput and size, for report.json's ``metrics``."""
    return {"tokens_per_second": round(total.tokens / seconds) if seconds else None,
            "documents": total.documents, "tokens": total.tokens}


def summary_of(sections: dict[str, Any], risk: RiskAssessment, output: str) -> dict[str, Any]:
    """What the command prints and report.json repeats as ``summary`` (``JobRun.finish`` adds the seconds)."""
    return {
        "output": output, "documents_total": sections["documents_total"], "tokens_total": sections["tokens_total"],
        "repeated_token_fraction": round(sections["repeated_token_fraction"], 6),
        "excess_token_fraction": round(sections["excess_token_fraction"], 6),
        "exact_duplicate_documents": sections["exact_duplicate_documents"], "grade": risk.grade,
        "share_in_band": round(risk.share_in_band, 6),
        "report": f"{output}/report.json", "html": f"{output}/report.html",
        **({"tokens_removed": sections["strip"]["tokens_removed"],
            "repeated_token_fraction_after": round(sections["strip"]["after"]["repeated_token_fraction"], 6),
            "stripped": sections["strip"]["output"]} if "strip" in sections else {}),
    }


_GRADE_COLORS = {"Low": "#2e8b57", "Elevated": "#c9a227", "High": "#e07b39", "Critical": "#c0392b"}


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def render_html(report: dict[str, Any]) -> str:
    risk = report["risk"]
    grade = risk["grade"]
    summary = H.cards([
        ("documents", report["documents_total"]),
        ("tokens", report["tokens_total"]),
        ("repeated tokens", _pct(report["repeated_token_fraction"])),
        ("excess (saved by keep-one dedup)", _pct(report["excess_token_fraction"])),
        ("within-document", _pct(report["within_document_repeated_fraction"])),
        ("cross-document", _pct(report["cross_document_repeated_fraction"])),
        ("exact duplicate documents", report["exact_duplicate_documents"]),
        ("risk grade", grade),
    ])
    badge = (f'<p><span class="badge" style="background:{_GRADE_COLORS.get(grade, "#556")}">{H.esc(grade)}</span> '
             f'{_pct(risk["share_in_band"])} of training tokens in the harmful band '
             f'({H.fmt_number(risk["band"]["low_exclusive"])}, {H.fmt_number(risk["band"]["high_inclusive"])}] '
             f'effective repeats, for a model of {format_params(risk["band"]["model_params"])} parameters.</p>')
    explanation = f'<p class="sample" style="max-width:none">{H.esc(risk["explanation"])}</p>'
    buckets = risk["chart"]["buckets"]
    last = max([i for i, b in enumerate(buckets) if b["training_tokens"] > 0 or b["overlaps_band"]], default=0)
    shown = buckets[: last + 1]
    chart = H.bar_chart(
        [b["label"] for b in shown], [b["training_tokens"] for b in shown],
        title="training tokens by effective repeats (harmful band highlighted)", log_scale=True,
        highlight=[b["overlaps_band"] for b in shown], width=max(760, 34 * len(shown)),
    )
    hist = report["multiplicity_histogram"]
    hist_chart = H.bar_chart([h["bucket"] for h in hist], [h["tokens"] for h in hist],
                             title="repeated tokens by multiplicity (copies in the corpus)", log_scale=True)
    hist_table = H.table(["copies", "tokens", "maximal spans", "distinct spans"],
                         [(h["bucket"], h["tokens"], h["spans"], h.get("distinct_spans", 0)) for h in hist])
    span_rows = [
        (s["rank"], s["text"], s["length"], s["count"], s["occurrences"], s["documents"], s["sources"],
         s["token_mass"], s["effective_repeats"], s["bucket"], "yes" if s["in_harmful_band"] else "",
         ", ".join(s["example_ids"]))
        for s in report["top_spans"]
    ]
    spans_table = H.table(["#", "text", "tokens", "copies", "spans", "docs", "sources", "token mass",
                           "effective repeats", "bucket", "in band", "example ids"], span_rows, sample_cols=(1,))
    source_rows = [
        (name, s["documents_total"], s["tokens_total"], _pct(s["repeated_token_fraction"]),
         _pct(s["excess_token_fraction"]), _pct(s["within_document_repeated_fraction"]),
         _pct(s["cross_document_repeated_fraction"]), s["exact_duplicate_documents"], s["empty_documents"],
         s["unrepeatable_documents"], s["passes"])
        for name, s in report["per_source"].items()
    ]
    source_table = H.table(["source", "documents", "tokens", "repeated", "excess", "within-doc", "cross-doc",
                            "exact dups", "empty", "unrepeatable", "passes"], source_rows)
    exact = report["exact_duplicates"]
    exact_html = (f'<p class="note">{H.esc(exact["definition"])}</p>'
                  + H.table(["first copy (kept)", "copies"],
                            [(g["first_id"], g["copies"]) for g in exact["largest_groups"]]))
    tok = report["tokenizer"]
    plan = report["plan"]
    settings = H.table(["setting", "value"], [
        ("input", report["input"]),
        ("tokenizer", f'{tok["name"]} ({tok["engine"]})'),
        ("vocabulary SHA-256", tok["vocab_sha256"]),
        ("span tokens", report["span_tokens"]),
        ("plan", plan if isinstance(plan, str) else report["plan_note"]),
        ("shuffled by the count stage", f'{report["shuffle"]["count_payload_bytes"]:,} bytes '
                                        f'({report["shuffle"]["count_bytes_per_window"]} per window)'),
        ("repeated-hash table", f'{report["shuffle"]["repeated_hashes"]:,} hashes, '
                                f'{report["shuffle"]["repeated_table_bytes"]:,} bytes, {report["shuffle"]["lookup"]} '
                                f'lookup'),
    ])
    definitions = "".join(f"<li><b>{H.esc(k)}</b>: {H.esc(v)}</li>" for k, v in report["definitions"].items())
    strip_part = []
    if "strip" in report:
        st = report["strip"]
        strip_part = [("Span removal", H.table(["", "before", "after"], [
            ("tokens", st["before"]["tokens_total"], st["after"]["tokens_total"]),
            ("repeated tokens", _pct(st["before"]["repeated_token_fraction"]),
             _pct(st["after"]["repeated_token_fraction"])),
            ("excess", _pct(st["before"]["excess_token_fraction"]), _pct(st["after"]["excess_token_fraction"])),
            ("most copies of a window", st["before"]["max_count"], st["after"]["max_count"]),
            ("risk grade", grade, st["grade_after"]),
        ]) + f'<p class="note">K = {st["max_copies"]}, keep order {H.esc(st["keep"])}: {st["tokens_removed"]:,} '
             f'tokens removed from {st["documents_changed"]:,} documents (predicted '
             f'{st["predicted_tokens_removed"]:,.0f}); written to {H.esc(st["output"])}.</p>')]
    return H.page(
        "corpussieve repetition report",
        f'{report["input"]} · run {report["run_id"]} · {report["finished_at"]}',
        [
            ("Summary", summary),
            ("Training risk", badge + chart + explanation),
            ("Multiplicity", hist_chart + hist_table),
            ("Top repeated spans", spans_table),
            ("Per source", source_table),
            ("Exact duplicate documents", exact_html),
            *strip_part,
            ("Settings", settings),
            ("Definitions", f'<ul class="note">{definitions}</ul>'),
            ("Stages", H.stages_section(report["stages"])),
        ],
    )
