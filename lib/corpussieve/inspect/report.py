"""The data card: ``card.json`` (every figure) and a self-contained ``card.html``, built from the figures the
Spark stages aggregated. Pure: plain data in, plain data and HTML out (tested without Spark).

The three axes and the weakest one are scored by :mod:`corpussieve.inspect.figures` (its docstring says how);
the card repeats each rule beside its score.
"""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H
from corpussieve.inspect.arrowfns import NO_DOMAIN, NO_LANGUAGE, NO_SOURCE, NO_URL
from corpussieve.inspect.config import InspectConfig
from corpussieve.inspect.figures import (
    Concentration,
    bin_bounds,
    bin_label,
    bin_quantile,
    coverage_axis,
    normalized_entropy,
    quality_axis,
    quantity_axis,
    synthetic_share,
    weakest_axis,
)
from corpussieve.reasons import reason_rows
from corpussieve.repetition.plan import TrainingPlan, format_params, resolve_plan

DEFINITIONS = {
    "tokens": "tokens of the text by the configured tokenizer (the repetition job's: cl100k, gpt2 or word).",
    "empty_documents": "documents whose text is null, empty or only whitespace.",
    "chars": "Unicode code points of the text.",
    "registered_domain": "the url host's registrable domain by the public suffix list snapshot bundled with "
                         "tldextract (offline, private suffixes such as github.io included: each site is its own); "
                         "the last two host labels when the suffix is unknown; the address for IP hosts.",
    "normalized_entropy": "Shannon entropy of the token distribution over the categories divided by ln(number of "
                          "categories): 1 for an even spread, 0 when one category holds everything.",
    "effective_domains": "exp(entropy): the number of equally large domains with the same entropy.",
    "top_share": "tokens of the largest top_fraction of domains (ceil(fraction x domains), at least one) over all "
                 "tokens with a domain.",
    "path_depth": "non-empty segments of the url's path (https://a.org/x/y/ has 2); '(no url)' for no url or one "
                  "with no host.",
    "quantiles": "Spark's percentile_approx over every document with the signal (rank error below 1/accuracy); a "
                 "signal is null where clean did not measure it (documents rejected before the filters).",
    "rejection_rate": "rejected documents over kept + rejected: a document counts once per reason code, and once "
                      "per filter (the code's step) however many of its rules it broke.",
    "duplicate_rate": "removed documents over kept + rejected + removed (the removed table), or, from dedup's "
                      "cluster columns, sum(cluster_size - 1) over sum(cluster_size) of the kept documents.",
    "training_mix_share": "tokens x the plan's passes of the synthetic sources over tokens x passes of all sources.",
}


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        entry = out.setdefault(r[key], {"documents": 0, "empty": 0, "chars": 0, "tokens": 0})
        for c in entry:
            entry[c] += r[c]
    return out


def _histogram(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    bins = {int(r["key"]): r for r in rows}
    return [{"bin": k, "label": bin_label(k), "low": bin_bounds(k)[0], "high": bin_bounds(k)[1],
             "documents": bins[k]["documents"], "tokens": bins[k]["tokens"]} for k in sorted(bins)]


def _training_target(plan: TrainingPlan | None, cfg: InspectConfig, assumed_params: float) -> tuple[float, str]:
    if plan is not None and plan.training_tokens:
        return float(plan.training_tokens), "the plan's training_tokens"
    params = plan.model_params if plan is not None else assumed_params
    where = "the plan's model" if plan is not None else "repetition.risk.assumed_model_params (no plan)"
    return (cfg.tokens_per_param * params,
            f"{cfg.tokens_per_param:g} tokens per parameter of {where}, {format_params(params)} parameters")


def card_sections(*, input_path: str, input_version: int, tokenizer: str, partials: dict[str, Any],
                  domains: dict[str, Any], concentration: Concentration | None, has_url: bool,
                  columns: dict[str, Any], rejection: dict[str, Any] | None, removal: dict[str, Any] | None,
                  repetition: dict[str, Any] | None, repetition_path: str | None, plan: TrainingPlan | None,
                  plan_path: str | None, cfg: InspectConfig, assumed_params: float) -> dict[str, Any]:
    """Every section of card.json, from the aggregated figures."""
    groups = partials["group"]
    documents = sum(r["documents"] for r in groups)
    tokens = sum(r["tokens"] for r in groups)
    chars = sum(r["chars"] for r in groups)
    empty = sum(r["empty"] for r in groups)
    per_source = _by(groups, "source")
    per_language = _by(groups, "language")

    def shares(table: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
        return {k: {**v, "token_share": _share(v["tokens"], tokens), "document_share": _share(v["documents"], documents)}
                for k, v in sorted(table.items(), key=lambda kv: (-kv[1]["tokens"], kv[0]))}

    token_bins = _histogram(partials["token_bins"])
    bin_counts = {b["bin"]: b["documents"] for b in token_bins}
    median_bin = bin_quantile(bin_counts, 0.5)
    training_tokens, target_source = _training_target(plan, cfg, assumed_params)
    quantity = {
        "documents": documents, "empty_documents": empty, "chars": chars, "tokens": tokens,
        "tokens_per_document": _share(tokens, documents), "tokenizer": tokenizer,
        "per_source": shares(per_source), "per_language": shares(per_language),
        "per_source_language": sorted(({"source": r["source"], "language": r["language"],
                                        **{c: r[c] for c in ("documents", "empty", "chars", "tokens")}}
                                       for r in groups), key=lambda r: (-r["tokens"], r["source"], r["language"])),
        "training_tokens": training_tokens, "training_tokens_from": target_source,
        "allowed_epochs": cfg.allowed_epochs,
    }

    # ---- quality
    rejected = rejection["rejected"] if rejection else None
    considered = documents + (rejected or 0)
    quality: dict[str, Any] = {"signals": columns["signals"], "quantile_accuracy": cfg.quantile_accuracy}
    top_reason = None
    if rejection is not None:
        codes = reason_rows(rejection["per_code"])[: cfg.top_reasons]
        for row in codes:
            row["rate"] = _share(row["documents"], considered)
        top_reason = codes[0]["reason"] if codes else None
        src_kept = {k: v["documents"] for k, v in per_source.items()}
        quality["rejection"] = {
            "table": rejection["table"], "kept": documents, "rejected": rejected,
            "rate": _share(rejected, considered),
            "per_filter": [{"filter": f, "documents": n, "rate": _share(n, considered)}
                           for f, n in rejection["per_filter"].items()],
            "per_rule": codes, "first_reason": reason_rows(rejection["first_reason"]),
            "per_source": [{"source": s, "rejected": n, "kept": src_kept.get(s, 0),
                            "rate": _share(n, n + src_kept.get(s, 0))}
                           for s, n in sorted(rejection["per_source"].items(), key=lambda kv: (-kv[1], str(kv[0])))],
        }
    removed, duplicate_source, duplicates_seen = None, None, None
    if removal is not None:
        removed, duplicate_source = removal["removed"], "the removed table"
        seen = documents + (rejected or 0) + removed
        quality["duplicates"] = {"method": "removed table", "table": removal["table"], "removed": removed,
                                 "rate": _share(removed, seen), "per_match": removal["per_match"],
                                 "per_source": removal["per_source"]}
    elif "clusters" in columns:
        cl = columns["clusters"]
        removed, duplicate_source, duplicates_seen = cl["removed"], "dedup's cluster_size", cl["cluster_members"]
        quality["duplicates"] = {"method": "cluster columns", "removed": cl["removed"],
                                 "rate": _share(cl["removed"], cl["cluster_members"]),
                                 "kept_with_copies": cl["kept_with_copies"]}
    excess, grade = None, None
    if repetition is not None:
        summary = repetition.get("summary", {})
        excess = repetition.get("excess_token_fraction", summary.get("excess_token_fraction"))
        grade = summary.get("grade", (repetition.get("risk") or {}).get("grade"))
        quality["repetition"] = {
            "report": repetition_path, "grade": grade,
            "share_in_band": summary.get("share_in_band", (repetition.get("risk") or {}).get("share_in_band")),
            "repeated_token_fraction": repetition.get("repeated_token_fraction"),
            "excess_token_fraction": excess,
            "exact_duplicate_documents": repetition.get("exact_duplicate_documents"),
            "documents_total": repetition.get("documents_total"), "tokens_total": repetition.get("tokens_total"),
            "input": repetition.get("input"),
            "same_table": repetition.get("documents_total") == documents,
        }

    # ---- coverage
    depth = sorted(partials.get("depth", []), key=lambda r: (r["key"] == NO_URL, int(r["key"]) if r["key"] != NO_URL
                                                             else 0))
    coverage: dict[str, Any] = {
        "languages": len(per_language), "sources": len(per_source),
        "language_spread": normalized_entropy(v["tokens"] for v in per_language.values()),
        "source_spread": normalized_entropy(v["tokens"] for v in per_source.values()),
        "chars_per_document": columns["chars"], "tokens_per_document_bins": token_bins,
        "tokens_per_document_median_bin": bin_label(median_bin) if median_bin is not None else None,
        "chars_per_document_bins": _histogram(partials["char_bins"]),
    }
    top_domain = None
    if has_url:
        with_domain = concentration.tokens if concentration else 0
        coverage["domains"] = {
            **domains, "concentration": concentration.as_dict() if concentration else None,
            "top": [{**d, "token_share": _share(d["tokens"], with_domain)} for d in domains["top"]],
            "no_domain_label": NO_DOMAIN,
        }
        coverage["path_depth"] = [{"depth": r["key"], "documents": r["documents"], "tokens": r["tokens"]}
                                  for r in depth]
        top_domain = domains["top"][0]["domain"] if domains["top"] else None

    # ---- axes
    axes = [
        quantity_axis(tokens, training_tokens, target_source, cfg.allowed_epochs),
        quality_axis(kept=documents, rejected=rejected, top_reason=top_reason, removed=removed,
                     duplicate_source=duplicate_source, excess_token_fraction=excess, grade=grade,
                     duplicates_seen=duplicates_seen),
        coverage_axis(domains=concentration if has_url else None, top_domain=top_domain,
                      languages={k: v["tokens"] for k, v in per_language.items() if k != NO_LANGUAGE},
                      sources={k: v["tokens"] for k, v in per_source.items() if k != NO_SOURCE}),
    ]
    weakest = weakest_axis(axes)

    # ---- synthetic share and warnings
    source_tokens = {k: v["tokens"] for k, v in per_source.items()}
    resolved = resolve_plan(plan, source_tokens, assumed_params) if plan is not None else None
    if plan is not None and resolved is not None:
        synthetic = synthetic_share(source_tokens, resolved.passes,
                                    [name for name, s in plan.sources.items() if s.synthetic], cfg.max_synthetic_share)
    else:
        synthetic = {"note": "no plan given: no source is marked synthetic (mark one with synthetic: true in the "
                             "plan's sources)", "warnings": []}
    warnings = list(synthetic["warnings"])
    if repetition is not None and grade in ("High", "Critical"):
        warnings.append(f"the repetition grade is {grade}: see {repetition_path}")
    if repetition is not None and not quality["repetition"]["same_table"]:
        warnings.append(f"the repetition report counted {repetition.get('documents_total')} documents, this table "
                        f"{documents}: it may describe another version of the table")
    if tokens == 0:
        warnings.append("the table holds no tokens")

    return {
        "input": input_path, "input_version": input_version, "plan": plan.model_dump(mode="json") if plan else None,
        "plan_path": plan_path, "quantity": quantity, "quality": quality, "coverage": coverage,
        "axes": [a.as_dict() for a in axes], "weakest": weakest, "synthetic": synthetic, "warnings": warnings,
        "definitions": DEFINITIONS,
    }


def summary_of(sections: dict[str, Any], output: str) -> dict[str, Any]:
    """What the command prints and card.json repeats as ``summary`` (``JobRun.finish`` adds the seconds)."""
    q = sections["quantity"]
    weakest = sections["weakest"] or {}
    return {"output": output, "documents": q["documents"], "tokens": q["tokens"],
            "scores": {a["axis"]: _sig(a["score"]) for a in sections["axes"]},
            "overall": _sig(weakest.get("overall")), "weakest_axis": weakest.get("axis"),
            "weakest_figure": weakest.get("figure"), "warnings": len(sections["warnings"]),
            "card": f"{output}/card.json", "html": f"{output}/card.html"}


def _sig(value: float | None) -> float | None:
    """Four significant digits: a quantity score of 3.6e-05 must not print as 0.0."""
    return None if value is None else float(f"{value:.4g}")


# ---------------------------------------------------------------- HTML


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def score_bar(score: float | None, width: int = 220) -> str:
    """A CSS bar for a score in [0, 1] (red below 0.3, amber below 0.7, green above)."""
    if score is None:
        return '<span class="note">not measured</span>'
    color = "#c0392b" if score < 0.3 else "#c9a227" if score < 0.7 else "#2e8b57"
    return (f'<div style="display:inline-block;vertical-align:middle;width:{width}px;height:12px;background:#e4e6ee;'
            f'border-radius:6px"><div style="width:{100 * max(0.0, min(1.0, score)):.1f}%;height:12px;'
            f'background:{color};border-radius:6px"></div></div> {score:.3g}')


def quantile_strip(quantiles: dict[str, float | None], low: float | None, high: float | None, width: int = 220) -> str:
    """An inline SVG box of one signal: the p10-p90 box, the p1-p99 whiskers and the median tick, on min..max."""
    values = [v for v in quantiles.values() if v is not None]
    if low is None or high is None or not values:
        return ""
    span = (high - low) or 1.0

    def x(v: float | None) -> float:
        return 4 + (width - 8) * ((v if v is not None else low) - low) / span

    q = quantiles
    p1, p99 = q.get("p1", low), q.get("p99", high)
    p10, p90, p50 = q.get("p10", p1), q.get("p90", p99), q.get("p50")
    return (f'<svg width="{width}" height="14" role="img">'
            f'<line x1="{x(p1):.1f}" y1="7" x2="{x(p99):.1f}" y2="7" stroke="#99a"/>'
            f'<rect x="{x(p10):.1f}" y="2" width="{max(1.0, x(p90) - x(p10)):.1f}" height="10" fill="#4a6fd1" '
            f'opacity="0.6"/><line x1="{x(p50):.1f}" y1="0" x2="{x(p50):.1f}" y2="14" stroke="#1d2330" '
            f'stroke-width="2"/></svg>')


def _axes_html(card: dict[str, Any]) -> str:
    rows = []
    for a in card["axes"]:
        factors = "; ".join(f"{f['name']} = {f['value']:.3g}: {f['figure']}" for f in a["factors"]) or "-"
        missing = f" Not measured: {', '.join(a['not_measured'])}." if a["not_measured"] else ""
        rows.append(f"<tr><td><b>{H.esc(a['axis'])}</b></td><td>{score_bar(a['score'])}</td>"
                    f"<td>{H.esc(a['rule'])}</td><td>{H.esc(factors)}{H.esc(missing)}</td></tr>")
    weakest = card["weakest"]
    lead = ""
    if weakest:
        lead = (f'<p><b>Weakest axis: {H.esc(weakest["axis"])}</b> ({weakest["score"]:.3g}), because '
                f'{H.esc(weakest["figure"])}. <b>What would lift it:</b> {H.esc(weakest["lift"])}. Overall (product '
                f'of the measured axes): <b>{weakest["overall"]:.3g}</b>.</p>')
    return (lead + "<table><thead><tr><th>axis</th><th>score</th><th>how it is computed</th><th>figures</th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _warnings_html(card: dict[str, Any]) -> str:
    if not card["warnings"]:
        return '<p class="note">No warnings.</p>'
    return "".join(f'<p style="color:#c0392b"><b>Warning:</b> {H.esc(w)}</p>' for w in card["warnings"])


def _quantity_html(q: dict[str, Any]) -> str:
    out = H.cards([("documents", q["documents"]), ("tokens", q["tokens"]), ("characters", q["chars"]),
                   ("tokens per document", q["tokens_per_document"]), ("empty documents", q["empty_documents"]),
                   ("tokenizer", q["tokenizer"])])
    out += (f'<p class="note">Quantity target: {q["training_tokens"]:,.0f} training tokens '
            f'({H.esc(q["training_tokens_from"])}); {q["allowed_epochs"]:g} epochs count as unique data.</p>')
    for name in ("source", "language"):
        table = q[f"per_{name}"]
        out += H.bar_chart(list(table)[:20], [v["tokens"] for v in list(table.values())[:20]],
                           title=f"tokens per {name}")
        out += H.table([name, "documents", "empty", "characters", "tokens", "token share"],
                       [(k, v["documents"], v["empty"], v["chars"], v["tokens"], _pct(v["token_share"]))
                        for k, v in table.items()])
    return out


def _quality_html(card: dict[str, Any]) -> str:
    quality = card["quality"]
    out = ""
    if quality["signals"]:
        rows = []
        for s in quality["signals"]:
            q = s["quantiles"]
            cells = "".join(f'<td class="n">{H.fmt_number(v)}</td>' for v in q.values())
            rows.append(f"<tr><td>{H.esc(s['signal'])}</td><td class=\"n\">{H.fmt_number(s['documents'])}</td>"
                        f"<td class=\"n\">{H.fmt_number(s['mean'])}</td><td class=\"n\">{H.fmt_number(s['min'])}</td>"
                        f"{cells}<td class=\"n\">{H.fmt_number(s['max'])}</td>"
                        f"<td>{quantile_strip(q, s['min'], s['max'])}</td></tr>")
        heads = "".join(f"<th>{H.esc(k)}</th>" for k in quality["signals"][0]["quantiles"])
        out += ("<h3>Stored quality signals</h3><p class=\"note\">Every numeric field of clean's quality struct; box: "
                "p10-p90, whiskers p1-p99, tick: median, on min..max.</p><table><thead><tr><th>signal</th>"
                f"<th>documents</th><th>mean</th><th>min</th>{heads}<th>max</th><th>distribution</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")
    else:
        out += '<p class="note">The table stores no quality signals (no quality struct: not a clean output).</p>'
    rej = quality.get("rejection")
    if rej:
        out += (f"<h3>Rejections</h3><p>{rej['rejected']:,} rejected, {rej['kept']:,} kept: rejection rate "
                f"<b>{_pct(rej['rate'])}</b> ({H.esc(rej['table'])}).</p>")
        out += H.bar_chart([f["filter"] for f in rej["per_filter"]], [f["documents"] for f in rej["per_filter"]],
                           title="rejected documents per filter")
        out += H.table(["filter", "documents", "rate"], [(f["filter"], f["documents"], _pct(f["rate"]))
                                                         for f in rej["per_filter"]])
        out += H.table(["rule", "documents", "rate", "what it means"],
                       [(r["reason"], r["documents"], _pct(r["rate"]), r["description"] or "(undeclared)")
                        for r in rej["per_rule"]])
        if rej["per_source"]:
            out += H.table(["source", "rejected", "kept", "rejection rate"],
                           [(r["source"], r["rejected"], r["kept"], _pct(r["rate"])) for r in rej["per_source"]])
    dup = quality.get("duplicates")
    if dup:
        extra = ", ".join(f"{k}: {v:,}" for k, v in dup.get("per_match", {}).items())
        out += (f"<h3>Duplicates</h3><p>{dup['removed']:,} duplicates removed: duplicate rate <b>{_pct(dup['rate'])}"
                f"</b> (from the {H.esc(dup['method'])}){'; ' + H.esc(extra) if extra else ''}.</p>")
    rep = quality.get("repetition")
    if rep:
        out += H.cards([("repetition grade", rep["grade"]), ("share in harmful band", _pct(rep["share_in_band"])),
                        ("repeated tokens", _pct(rep["repeated_token_fraction"])),
                        ("excess tokens", _pct(rep["excess_token_fraction"])),
                        ("exact duplicate documents", rep["exact_duplicate_documents"])])
        out += f'<p class="note">From {H.esc(rep["report"])}.</p>'
    return out


def _coverage_html(card: dict[str, Any]) -> str:
    cov = card["coverage"]
    out = H.cards([("languages", cov["languages"]), ("language spread", cov["language_spread"]),
                   ("sources", cov["sources"]), ("source spread", cov["source_spread"])])
    dom = cov.get("domains")
    if dom:
        conc = dom["concentration"] or {}
        out += H.cards([("registered domains", dom["domains"]),
                        ("normalized entropy", conc.get("normalized_entropy")),
                        ("effective domains", conc.get("effective_domains")),
                        (f"token share of the top {conc.get('top_domains', 0):,} domains "
                         f"({100 * conc.get('top_fraction', 0):g}%)", _pct(conc.get("top_share"))),
                        ("documents without a domain", dom["documents_without_domain"])])
        out += H.table(["domain", "documents", "tokens", "token share"],
                       [(d["domain"], d["documents"], d["tokens"], _pct(d["token_share"])) for d in dom["top"]])
        depth = cov.get("path_depth", [])
        out += H.bar_chart([d["depth"] for d in depth], [d["documents"] for d in depth],
                           title="documents per URL path depth")
    else:
        out += '<p class="note">The table has no url column: no domain figures.</p>'
    bins = cov["tokens_per_document_bins"]
    out += H.bar_chart([b["label"] for b in bins], [b["documents"] for b in bins], title="documents per tokens",
                       width=900)
    chars = cov["chars_per_document"]
    out += H.table(["characters per document", *chars["quantiles"], "mean", "max"],
                   [("", *chars["quantiles"].values(), chars["mean"], chars["max"])])
    return out


def _synthetic_html(card: dict[str, Any]) -> str:
    syn = card["synthetic"]
    if "note" in syn:
        return f'<p class="note">{H.esc(syn["note"])}</p>'
    out = H.cards([("synthetic sources", ", ".join(syn["synthetic_sources"]) or "none"),
                   ("synthetic tokens", syn["synthetic_tokens"]), ("share of the corpus", _pct(syn["corpus_share"])),
                   ("share of the training mix", _pct(syn["training_mix_share"])),
                   ("limit", _pct(syn["max_share"]))])
    if syn["synthetic_sources_absent"]:
        out += f'<p class="note">Marked synthetic but absent: {H.esc(", ".join(syn["synthetic_sources_absent"]))}.</p>'
    return out + "".join(f'<p class="note">{H.esc(c)}.</p>' for c in syn["citations"])


def render_html(card: dict[str, Any]) -> str:
    summary = card["summary"]
    sections = [
        ("Scores and the weakest axis", _axes_html(card)),
        ("Warnings", _warnings_html(card)),
        ("Quantity", _quantity_html(card["quantity"])),
        ("Quality", _quality_html(card)),
        ("Coverage", _coverage_html(card)),
        ("Synthetic share", _synthetic_html(card)),
        ("Definitions", H.table(["term", "meaning"], sorted(card["definitions"].items()))),
        ("Stages", H.stages_section(card["stages"])),
    ]
    subtitle = (f"{card['input']} (version {card['input_version']}): {summary['documents']:,} documents, "
                f"{summary['tokens']:,} tokens; run {card['run_id']}, {card['finished_at']}")
    return H.page("corpussieve data card", subtitle, sections)
