"""The decontaminate job's report: per benchmark (items, items indexed, skipped, contaminated, documents hit,
example spans), totals, reasons and the rule in words; and a self-contained ``report.html``. Pure."""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H
from corpussieve.decontaminate.config import DecontaminateConfig
from corpussieve.reasons import reason_rows


def rule_statement(cfg: DecontaminateConfig) -> str:
    short = (f"items of {cfg.min_words} to {cfg.ngram - 1} words are one n-gram of all their words; shorter "
             "items are skipped" if cfg.min_words < cfg.ngram else "shorter items are skipped")
    mode = {
        "flag": "every document is kept, with the contamination column",
        "drop": "contaminated documents are removed",
        "cut": (f"each overlapping span is removed with {cfg.cut_margin_chars} characters on either side; pieces "
                f"under {cfg.min_piece_chars} characters go too; a document split into more than {cfg.max_pieces} "
                "pieces, or with nothing left, is removed"),
    }[cfg.mode]
    return (f"A document is contaminated when it shares a word {cfg.ngram}-gram with a benchmark item (words: runs "
            f"of letters, digits and marks, case- and NFKC-folded; punctuation and symbols separate words); "
            f"{short}; n-grams held by more than {cfg.max_items_per_ngram} items are template text and left out. "
            f"Mode {cfg.mode}: {mode}.")


def benchmark_rows(stats: list[dict[str, Any]], figures: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for s in stats:
        f = figures.get(s["benchmark"], {})
        rows.append({**s, "items_contaminated": f.get("items_contaminated", 0),
                     "contaminated_item_share": (f.get("items_contaminated", 0) / s["items"]) if s["items"] else 0.0,
                     "documents_hit": f.get("documents_hit", 0), "examples": f.get("examples", [])})
    return rows


def report_sections(*, input_path: str, input_version: int, output: str, cfg: DecontaminateConfig, strategy: str,
                    index_bytes: int, index_entries: int, index_lengths: list[int], common: dict[str, Any],
                    stats: list[dict[str, Any]], figures: dict[str, dict[str, Any]], totals: dict[str, int],
                    documents_out: int) -> dict[str, Any]:
    reasons: dict[str, int] = totals.pop("reasons", {})
    return {
        "input": input_path, "input_version": input_version, "output": output, "mode": cfg.mode,
        "rule": rule_statement(cfg), "strategy": strategy,
        "index": {"bytes": index_bytes, "entries": index_entries, "ngram_lengths": index_lengths,
                  "common_ngrams_left_out": common.get("ngrams_left_out", 0),
                  "common_examples": common.get("examples", [])},
        "benchmarks": benchmark_rows(stats, figures),
        "totals": {**totals, "documents_out": documents_out},
        "reasons": reason_rows(reasons),
    }


def summary_of(sections: dict[str, Any]) -> dict[str, Any]:
    t = sections["totals"]
    return {"output": sections["output"], "mode": sections["mode"], "strategy": sections["strategy"],
            "documents": t["documents"], "contaminated": t["contaminated"], "documents_out": t["documents_out"],
            "benchmarks": {b["benchmark"]: {"items": b["items"], "items_contaminated": b["items_contaminated"],
                                            "documents_hit": b["documents_hit"]} for b in sections["benchmarks"]},
            "report": f'{sections["output"]}/report.json'}


def render_html(report: dict[str, Any]) -> str:
    t = report["totals"]
    summary = H.cards([("documents", t["documents"]), ("contaminated", t["contaminated"]),
                       ("documents out", t["documents_out"]), ("cut", t.get("cut", 0)),
                       ("rejected", t.get("rejected", 0)), ("benchmarks", len(report["benchmarks"]))])
    bench = H.table(
        ["benchmark", "items", "indexed", "whole-item n-gram", "too short", "empty", "only common", "n-grams",
         "contaminated items", "share", "documents hit"],
        [(b["benchmark"], b["items"], b["indexed_items"], b["short_items_whole"], b["too_short_items"],
          b["empty_items"], b["only_common_items"], b["ngrams"], b["items_contaminated"],
          f'{100 * b["contaminated_item_share"]:.2f}%', b["documents_hit"]) for b in report["benchmarks"]])
    examples = H.table(["benchmark", "document", "item", "n-grams", "span"],
                       [(b["benchmark"], e["id"], e["item_id"], e["ngrams"], e["text"])
                        for b in report["benchmarks"] for e in b["examples"]], sample_cols=[4])
    idx = report["index"]
    common = (f'<p class="note">{idx["common_ngrams_left_out"]:,} n-grams left out as too common.</p>'
              + H.table(["items", "benchmark", "text"], [(c["items"], c["example_benchmark"], c["text"])
                                                         for c in idx["common_examples"]], sample_cols=[2]))
    settings = H.table(["setting", "value"], [
        ("input", f'{report["input"]} (version {report["input_version"]})'), ("mode", report["mode"]),
        ("strategy", report["strategy"]), ("index", f'{idx["entries"]:,} entries, {idx["bytes"]:,} bytes, '
                                                    f'n-gram lengths {idx["ngram_lengths"]}'),
        ("rule", report["rule"])])
    return H.page(
        "corpussieve decontaminate report", f'{report["input"]} · run {report["run_id"]} · {report["finished_at"]}',
        [("Summary", summary), ("Per benchmark", bench), ("Example spans", examples),
         ("Reasons", H.reasons_table(report["reasons"])), ("Too common to count", common), ("Settings", settings),
         ("Stages", H.stages_section(report["stages"]))])
