"""The format job's report: ``report.json`` (planned against actual per source, the shards, the stream's
repetition risk) and a self-contained ``report.html``. Pure: plain values in, sections out."""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H
from corpussieve.format.megatron import dtype_code
from corpussieve.format.mixing import SourceMix, plan_shares
from corpussieve.format.vocab import Vocabulary
from corpussieve.repetition.plan import ResolvedPlan, TrainingPlan
from corpussieve.repetition.report import plan_section, risk_section
from corpussieve.repetition.risk import RiskAssessment
from corpussieve.repetition.tokenizers import Tokenizer

RISK_MEASURES = (
    "The risk of the stream itself, at the level of whole documents: every document's tokens count as read as "
    "many times as its text (token ids compared exactly) appears in the shards, i.e. its copies in the corpus "
    "times the passes the mix makes over each copy's source, added up. Repeats of spans inside otherwise "
    "different documents are not counted here (the repetition job measures those); end-of-document tokens "
    "are left out."
)

DEFINITIONS = {
    "stream tokens": "a document's tokens plus the end-of-document token appended to it: what the shards hold "
                     "and what shares are computed over.",
    "passes": "the plan's epochs for the source, or weight x training_tokens / the source's stream tokens.",
    "plan_share": "the source's share of the stream as the plan states it: passes x stream tokens over the "
                  "total (before rounding to whole documents).",
    "planned": "what the mix puts in the shards: every document floor(passes) times, plus the seeded subset of "
               "documents closest to the fractional part's tokens.",
    "share": "the source's share of the tokens actually written, summed from the shards.",
}


def source_rows(mixes: dict[str, SourceMix], stats: dict[str, dict[str, int]], planned: dict[str, dict[str, int]],
                written: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    ideal = plan_shares(mixes)
    planned_total = sum(p["tokens"] for p in planned.values()) or 1
    written_total = sum(w["tokens"] for w in written.values()) or 1
    out = {}
    for name, mix in mixes.items():
        w = written.get(name, {"documents": 0, "tokens": 0, "shards": 0})
        share = w["tokens"] / written_total
        out[name] = {
            "corpus_documents": mix.documents, "corpus_tokens": mix.tokens,
            "text_tokens": stats[name]["text_tokens"], "empty_documents": stats[name]["empty"],
            "weight": mix.weight, "passes": mix.passes, "whole_epochs": mix.whole_epochs,
            "fraction": mix.fraction, "plan_share": ideal[name],
            "planned_documents": planned[name]["documents"], "planned_tokens": planned[name]["tokens"],
            "planned_share": planned[name]["tokens"] / planned_total,
            "documents": w["documents"], "tokens": w["tokens"], "share": share,
            "share_minus_plan_pt": 100 * (share - ideal[name]), "shards": w["shards"],
        }
    return out


def written_by_source(shards: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Documents, tokens and shards per source, summed over the shards' rows."""
    out: dict[str, dict[str, int]] = {}
    for shard in shards:
        for name, docs, tokens in zip(shard["sources"], shard["source_documents"], shard["source_tokens"],
                                      strict=True):
            entry = out.setdefault(name, {"documents": 0, "tokens": 0, "shards": 0})
            entry["documents"] += docs
            entry["tokens"] += tokens
            entry["shards"] += 1
    return out


def report_sections(*, input_path: str, input_version: int, output: str, manifest: str, shard_dir: str,
                    tokenizer: Tokenizer, vocab: Vocabulary, shard_format: str, seed: int, shard_tokens: int,
                    mixes: dict[str, SourceMix], stats: dict[str, dict[str, int]],
                    planned: dict[str, dict[str, int]], shards: list[dict[str, Any]], risk: RiskAssessment,
                    resolved: ResolvedPlan, plan: TrainingPlan | None, plan_path: str | None,
                    files_moved: int) -> dict[str, Any]:
    """The job's own sections of report.json, in order (``JobRun.finish`` adds the run's bookkeeping)."""
    written = written_by_source(shards)
    return dict(
        input=input_path, input_version=input_version, output=output, manifest=manifest, shard_dir=shard_dir,
        shard_format=shard_format,
        tokenizer={"name": tokenizer.name, "engine": tokenizer.engine, "vocab_sha256": tokenizer.vocab_sha256,
                   "end_of_document": vocab.eod, "dtype": vocab.dtype.name if shard_format == "megatron" else None,
                   "idx_dtype_code": dtype_code(vocab.dtype) if shard_format == "megatron" else None},
        seed=seed, shard_tokens=shard_tokens,
        stream={"shards": len(shards), "documents": sum(s["documents"] for s in shards),
                "tokens": sum(s["tokens"] for s in shards), "bytes": sum(s["bytes"] for s in shards),
                "distinct_documents": sum(p["distinct_documents"] for p in planned.values()),
                "files_moved": files_moved},
        corpus={"documents": sum(s["documents"] for s in stats.values()),
                "text_tokens": sum(s["text_tokens"] for s in stats.values()),
                "empty_documents": sum(s["empty"] for s in stats.values())},
        per_source=source_rows(mixes, stats, planned, written),
        shards=[{k: s[k] for k in ("shard", "documents", "tokens", "bytes", "sha256", "idx_sha256", "sources")}
                for s in shards],
        risk={**risk_section(risk), "measures": RISK_MEASURES},
        plan=plan_section(resolved, plan, plan_path), plan_note=resolved.note,
        definitions=DEFINITIONS,
    )


def run_metrics(sections: dict[str, Any], seconds: float) -> dict[str, Any]:
    stream, corpus = sections["stream"], sections["corpus"]
    return {"stream_tokens_per_second": round(stream["tokens"] / seconds) if seconds else None,
            "corpus_tokens_per_second": round(corpus["text_tokens"] / seconds) if seconds else None,
            "stream_tokens": stream["tokens"], "corpus_text_tokens": corpus["text_tokens"]}


def summary_of(sections: dict[str, Any], output: str) -> dict[str, Any]:
    stream = sections["stream"]
    return {"output": output, "manifest": sections["manifest"], "shards": stream["shards"],
            "documents": stream["documents"], "tokens": stream["tokens"], "bytes": stream["bytes"],
            "shares": {name: round(s["share"], 6) for name, s in sections["per_source"].items()},
            "grade": sections["risk"]["grade"], "report": f"{output}/report.json", "html": f"{output}/report.html"}


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def render_html(report: dict[str, Any]) -> str:
    stream, risk, tok = report["stream"], report["risk"], report["tokenizer"]
    summary = H.cards([
        ("shards", stream["shards"]), ("documents written", stream["documents"]), ("tokens written", stream["tokens"]),
        ("bytes", stream["bytes"]), ("tokens/s", report["metrics"].get("stream_tokens_per_second")),
        ("risk grade", risk["grade"]),
    ])
    source_table = H.table(
        ["source", "corpus docs", "corpus tokens", "weight", "passes", "plan share", "planned tokens",
         "tokens written", "share", "diff (pt)", "documents written", "shards"],
        [(name, s["corpus_documents"], s["corpus_tokens"], "" if s["weight"] is None else s["weight"], s["passes"],
          _pct(s["plan_share"]), s["planned_tokens"], s["tokens"], _pct(s["share"]), round(s["share_minus_plan_pt"], 3),
          s["documents"], s["shards"]) for name, s in report["per_source"].items()])
    shards_table = H.table(["shard", "documents", "tokens", "bytes", "sha256", "sources"],
                           [(s["shard"], s["documents"], s["tokens"], s["bytes"], s["sha256"][:16] + "…",
                             ", ".join(s["sources"])) for s in report["shards"][:200]])
    buckets = risk["chart"]["buckets"]
    last = max([i for i, b in enumerate(buckets) if b["training_tokens"] > 0 or b["overlaps_band"]], default=0)
    shown = buckets[: last + 1]
    chart = H.bar_chart([b["label"] for b in shown], [b["training_tokens"] for b in shown],
                        title="stream tokens by how often training reads them (harmful band highlighted)",
                        log_scale=True, highlight=[b["overlaps_band"] for b in shown], width=max(760, 34 * len(shown)))
    risk_html = (f'<p><b>{H.esc(risk["grade"])}</b>: {_pct(risk["share_in_band"])} of the stream\'s tokens in the '
                 f'harmful band.</p><p class="note">{H.esc(risk["measures"])}</p>' + chart
                 + f'<p class="sample" style="max-width:none">{H.esc(risk["explanation"])}</p>')
    settings = H.table(["setting", "value"], [
        ("input", f'{report["input"]} (version {report["input_version"]})'), ("manifest", report["manifest"]),
        ("shard format", report["shard_format"]), ("tokenizer", f'{tok["name"]} ({tok["engine"]})'),
        ("end-of-document token", tok["end_of_document"]),
        ("token type", f'{tok["dtype"]} (idx dtype code {tok["idx_dtype_code"]})' if tok["dtype"] else "text"),
        ("seed", report["seed"]), ("tokens per shard", report["shard_tokens"]), ("plan", report["plan_note"]),
    ])
    definitions = "".join(f"<li><b>{H.esc(k)}</b>: {H.esc(v)}</li>" for k, v in report["definitions"].items())
    return H.page(
        "corpussieve format report", f'{report["input"]} · run {report["run_id"]} · {report["finished_at"]}',
        [("Summary", summary), ("Mix: planned against written", source_table), ("Repetition risk of the stream",
                                                                                 risk_html),
         ("Shards", shards_table), ("Settings", settings), ("Definitions", f'<ul class="note">{definitions}</ul>'),
         ("Stages", H.stages_section(report["stages"]))],
    )
