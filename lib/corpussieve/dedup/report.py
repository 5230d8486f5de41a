"""The dedup job's report: the sections of report.json and report.html (one self-contained page).

Pure: plain dicts, lists and the banding plan in, JSON-ready values and HTML out (no Spark; the Spark
aggregation behind the largest clusters is ``DedupStages.largest_clusters``)."""

from __future__ import annotations

from typing import Any

from corpussieve import htmlreport as H
from corpussieve.dedup.config import DedupConfig
from corpussieve.dedup.lsh import BandingPlan, candidate_probability

SIZE_BINS = ((1, 1), (2, 2), (3, 4), (5, 8), (9, 16), (17, 64), (65, 256), (257, 1024), (1025, None))

KEEP_RULE_TEXT = {
    "earliest_fetch_time": "the document fetched first (earliest fetch_time; documents without one come last)",
    "longest_text": "the longest text (in characters)",
    "lowest_id": "the lowest id",
    "highest": "the highest value of column {column} (documents without one come last)",
}


def keep_rule_statement(config: DedupConfig, incremental: bool, input_columns: list[str] | None = None) -> str:
    rule = config.keep_rule
    text = KEEP_RULE_TEXT[rule.kind].format(column=rule.column)
    lead = "Each cluster keeps documents already in the index, and otherwise " if incremental else \
        "Each cluster keeps "
    statement = f"{lead}{text}; ties go to the lowest id."
    if rule.kind == "earliest_fetch_time" and input_columns is not None and "fetch_time" not in input_columns:
        statement += " The input has no fetch_time column, so every document ties and the lowest id is kept."
    return statement


def banding_section(plan: BandingPlan, config: DedupConfig) -> dict[str, Any]:
    """The plan with its error probabilities around the threshold, and what the optimizer weighed."""
    t = plan.threshold
    margin_hi, margin_lo = min(t + 0.05, 1.0), max(t - 0.1, 0.0)
    return {
        "bands": plan.bands, "rows": plan.rows, "num_perm": plan.num_perm, "optimized": plan.optimized,
        "threshold": t, "fp_mass": plan.fp_mass, "fn_mass": plan.fn_mass,
        "p_candidate_at_threshold": float(candidate_probability(t, plan.bands, plan.rows)),
        "fn_probability_at_threshold": 1.0 - float(candidate_probability(t, plan.bands, plan.rows)),
        "fn_probability_at_threshold_plus_0.05": 1.0 - float(candidate_probability(margin_hi, plan.bands,
                                                                                    plan.rows)),
        "fp_probability_at_threshold_minus_0.1": float(candidate_probability(margin_lo, plan.bands, plan.rows)),
        "s_curve": {f"{s:g}": round(p, 5) for s, p in plan.candidate_probabilities.items()},
        "describe": plan.describe(),
        "optimizer": {"fn_weight": config.fn_weight, "fp_weight": config.fp_weight,
                      "min_recall": config.min_recall, "recall_margin": config.recall_margin},
    }


def size_histogram(sizes: dict[int, int]) -> list[dict[str, Any]]:
    """Cluster counts in power-of-two bins of cluster size."""
    out = []
    for lo, hi in SIZE_BINS:
        n = sum(c for s, c in sizes.items() if s >= lo and (hi is None or s <= hi))
        label = f"{lo}" if lo == hi else (f"{lo}+" if hi is None else f"{lo}-{hi}")
        out.append({"size": label, "clusters": n})
    while len(out) > 3 and out[-1]["clusters"] == 0:
        out.pop()
    return out


def render_html(report: dict[str, Any]) -> str:
    m = report["metrics"]
    plan = report["banding"]
    seconds = report["seconds"]
    summary = [
        ("documents in", m["documents"]), ("kept", m["kept"]), ("removed: exact", m["removed_exact"]),
        ("removed: near", m["removed_near"]), ("blank (kept as unique)", m["blank_documents"]),
        ("seconds", seconds), ("MB/s of text", m.get("mb_per_second")),
    ]
    sections = [("Summary", H.cards(summary) + f'<p class="note">{H.esc(report["keep_rule"])}</p>')]

    counts = [
        ("read", "documents read, normalized and hashed", m["documents"]),
        ("read", "MinHash signatures computed (exact repeats within a partition skip it)",
         m.get("signatures_computed")),
        ("read", "null text", m["null_text"]),
        ("read", "blank after normalization (never bucketed)", m["blank_documents"]),
        ("exact groups", "groups of identical normalized text", m["exact_groups"]),
        ("exact groups", "groups with more than one document", m["exact_groups_multi"]),
        ("exact groups", "representatives entering LSH", m["signed"]),
        ("lsh", "buckets with 2+ members (distinct member lists)", m["buckets"]),
        ("lsh", "buckets over the all-pairs size (leader scheme)", m["bucket_large"]),
        ("lsh", "signature comparisons", m["bucket_comparisons"]),
        ("lsh", "largest bucket", m["bucket_largest"]),
        ("verify", "candidate edges", m["candidate_edges"]),
        ("verify", "verified edges", m["verified_edges"]),
        ("components", "connected components", m["components"]),
        ("keep", "documents kept", m["kept"]),
        ("keep", "removed as exact duplicates", m["removed_exact"]),
        ("keep", "removed as near duplicates", m["removed_near"]),
    ]
    sections.append(("Counts per stage", H.table(["stage", "what", "count"], counts)))

    curve = plan["s_curve"]
    chart = H.bar_chart(list(curve), list(curve.values()), title="P(candidate pair) by Jaccard similarity",
                        highlight=[float(s) >= plan["threshold"] for s in curve], value_format=lambda v: f"{v:.3f}")
    rows = [
        ("bands x rows", f"{plan['bands']} x {plan['rows']} ({'optimized' if plan['optimized'] else 'configured'})"),
        ("P(candidate) at the threshold", f"{plan['p_candidate_at_threshold']:.4f}"),
        ("FN probability at the threshold", f"{plan['fn_probability_at_threshold']:.4f}"),
        ("FN probability at threshold + 0.05", f"{plan['fn_probability_at_threshold_plus_0.05']:.4f}"),
        ("FP probability at threshold - 0.1", f"{plan['fp_probability_at_threshold_minus_0.1']:.4f}"),
        ("FP mass (integral of P below the threshold)", f"{plan['fp_mass']:.4f}"),
        ("FN mass (integral of 1 - P above the threshold)", f"{plan['fn_mass']:.4f}"),
    ]
    opt = plan["optimizer"]
    why = (f"Missed pairs are lost for good, extra candidates only cost verification: the optimizer weights the "
           f"false-negative mass {opt['fn_weight']:g} against {opt['fp_weight']:g} for false positives and "
           f"requires P(candidate) >= {opt['min_recall']:g} at threshold + {opt['recall_margin']:g}.")
    sections.append(("LSH banding", H.table(["", ""], rows) + chart + f'<p class="note">{H.esc(why)}</p>'))

    hist = report["cluster_size_histogram"]
    sections.append(("Cluster sizes", H.bar_chart([h["size"] for h in hist], [h["clusters"] for h in hist],
                                                  title="clusters by number of documents", log_scale=True)))
    sections.append(("Time per stage", H.stages_section(report["stages"])))

    largest = report["largest_clusters"]
    if largest:
        rows = [(c["cluster_id"], c["size"], c["exact"], c["near"], c["min_similarity"],
                 c["kept_sample"] if c["kept_sample"] is not None else "(indexed document: text not stored)",
                 c["duplicate_sample"] or "") for c in largest]
        sections.append(("Largest clusters", H.table(
            ["kept document", "size", "exact", "near", "min similarity", "kept text", "a duplicate's text"],
            rows, sample_cols=(5, 6))))

    inc = report.get("incremental")
    if inc:
        rows = [(k.replace("_", " "), v) for k, v in inc.items()]
        sections.append(("Incremental index", H.table(["", ""], rows)))
    subtitle = f"{report['inputs'][0]['table']} (version {report['inputs'][0]['version']}), run {report['run_id']}"
    return H.page("corpussieve dedup", subtitle, sections)
