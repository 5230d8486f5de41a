"""Self-contained HTML reports: inline CSS and SVG charts, no scripts or external assets."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2330;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dde;
padding-bottom:.2rem}.sub{color:#667;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}.card{background:#f4f6fb;border-radius:8px;
padding:.6rem .9rem;min-width:140px}.card .v{font-size:1.35rem;font-weight:600}.card .k{color:#556;font-size:.8rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.5rem 0}th,td{border-bottom:1px solid #e4e6ee;
padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f4f6fb}td.n{text-align:right;
font-variant-numeric:tabular-nums}
.sample{font-family:ui-monospace,Menlo,monospace;font-size:.8rem;white-space:pre-wrap;color:#334;max-width:60ch}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-weight:600;color:#fff}
svg text{font-family:system-ui,sans-serif;font-size:11px;fill:#334}
.note{color:#556;font-size:.85rem}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def fmt_number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return esc(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:
            return "n/a"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}"
        return f"{value:.4f}"
    return esc(value)


def cards(items: Iterable[tuple[str, Any]]) -> str:
    body = "".join(
        f'<div class="card"><div class="v">{fmt_number(v)}</div><div class="k">{esc(k)}</div></div>' for k, v in items
    )
    return f'<div class="cards">{body}</div>'


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], sample_cols: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if i in sample_cols:
                cells.append(f'<td class="sample">{esc(value)}</td>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<td class="n">{fmt_number(value)}</td>')
            else:
                cells.append(f"<td>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str = "",
    log_scale: bool = False,
    color: str = "#4a6fd1",
    highlight: Sequence[bool] | None = None,
    highlight_color: str = "#d1495b",
    value_format=fmt_number,
    width: int = 760,
) -> str:
    """A horizontal-axis bar chart as inline SVG."""
    n = max(1, len(values))
    height = 220
    left, bottom, top = 60, 48, 24
    plot_w = width - left - 10
    plot_h = height - bottom - top
    scaled = [math.log10(1 + max(0.0, v)) if log_scale else max(0.0, float(v)) for v in values]
    peak = max(scaled) if scaled and max(scaled) > 0 else 1.0
    bar_w = plot_w / n
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{esc(title)}">']
    if title:
        parts.append(f'<text x="{left}" y="14" style="font-weight:600">{esc(title)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#99a"/>')
    for i, (label, raw, value) in enumerate(zip(labels, values, scaled)):
        h = plot_h * value / peak
        x = left + i * bar_w + bar_w * 0.1
        y = top + plot_h - h
        fill = highlight_color if highlight and highlight[i] else color
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.8:.1f}" height="{h:.1f}" fill="{fill}">'
            f"<title>{esc(label)}: {value_format(raw)}</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar_w * 0.4:.1f}" y="{y - 3:.1f}" text-anchor="middle">{value_format(raw)}</text>'
        )
        parts.append(
            f'<text x="{x + bar_w * 0.4:.1f}" y="{top + plot_h + 14}" text-anchor="middle">{esc(label)}</text>'
        )
    if log_scale:
        parts.append(f'<text x="{left}" y="{height - 6}" class="note">log scale</text>')
    parts.append("</svg>")
    return "".join(parts)


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<h2>{esc(name)}</h2>{content}" for name, content in sections)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class=\"sub\">{esc(subtitle)}</p>{body}</body></html>"
    )


def stages_section(stages: Sequence[dict[str, Any]]) -> str:
    """The time-per-stage chart and table every job report has."""
    labels = [s["name"] for s in stages]
    seconds = [float(s.get("seconds", 0.0)) for s in stages]
    chart = bar_chart(labels, seconds, title="seconds per stage", value_format=lambda v: f"{v:.1f}s")
    if any("spark_jobs" in s for s in stages):  # Spark jobs: the fixed cost a stage pays per job
        rows = [(s["name"], s.get("seconds"), s.get("rows_in"), s.get("rows_out"), s.get("spark_jobs"))
                for s in stages]
        return chart + table(["stage", "seconds", "rows in", "rows out", "Spark jobs"], rows)
    rows = [(s["name"], s.get("seconds"), s.get("rows_in"), s.get("rows_out")) for s in stages]
    return chart + table(["stage", "seconds", "rows in", "rows out"], rows)


def reasons_table(rows: Sequence[dict[str, Any]], what: str = "documents") -> str:
    """Reason counts with each reason's declared one-line description (``corpussieve.reasons.reason_rows``)."""
    return table(["reason", what, "what it means"],
                 [(r["reason"], r["documents"], r["description"] or "(undeclared)") for r in rows])
