"""Precision and recall of the PII detector on a labelled set (``tests/clean/data/pii_labelled.txt``).

The set's format: one case a line, ``URL<TAB>TEXT`` (``-`` for no URL), every PII span marked
``<<kind:original>>``; ``## positive KIND`` / ``## negative KIND`` headers group the cases (a negative
case is a hard negative for that kind). A detected span counts as a true positive when its kind and its
exact offsets match a marked span; every other detected span is a false positive, every marked span not
detected a false negative.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from corpussieve.clean.steps.pii import KINDS, Span, find_pii, region_of_url

_MARK = re.compile(r"<<(\w+):(.*?)>>")


@dataclass
class Case:
    section: str  # "positive email", "negative phone", ...
    url: str | None
    text: str
    spans: list[Span] = field(default_factory=list)


def parse_case(section: str, line: str) -> Case:
    url, _, marked = line.partition("\t")
    if not marked:
        raise ValueError(f"labelled PII case without a tab between URL and text: {line!r}")
    parts, spans, pos = [], [], 0
    out_len = 0
    for m in _MARK.finditer(marked):
        kind, original = m.group(1), m.group(2)
        if kind not in KINDS:
            raise ValueError(f"unknown PII kind {kind!r} in {line!r}")
        before = marked[pos:m.start()]
        parts.append(before)
        out_len += len(before)
        spans.append(Span(out_len, out_len + len(original), kind))
        parts.append(original)
        out_len += len(original)
        pos = m.end()
    parts.append(marked[pos:])
    return Case(section, None if url.strip() == "-" else url.strip(), "".join(parts), spans)


def load_labelled(path: str | Path) -> list[Case]:
    cases, section = [], None
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        if raw.startswith("## "):
            section = raw[3:].strip()
        elif raw.strip() and not raw.startswith("#"):
            if section is None:
                raise ValueError(f"labelled PII case before any section header: {raw!r}")
            cases.append(parse_case(section, raw))
    return cases


Detector = Callable[[str, str | None], Sequence[Span]]


def default_detector(text: str, url: str | None) -> list[Span]:
    return find_pii(text, region_of_url(url))


def score(cases: Sequence[Case], detect: Detector = default_detector) -> dict[str, dict[str, float | int]]:
    """Per kind: cases (positive, negative), tp, fp, fn, precision, recall; plus the misses as examples."""
    out: dict[str, dict[str, float | int]] = {
        kind: {"positive_cases": 0, "negative_cases": 0, "tp": 0, "fp": 0, "fn": 0} for kind in KINDS}
    errors: list[dict[str, str]] = []
    for case in cases:
        polarity, _, kind_of_section = case.section.partition(" ")
        out[kind_of_section][f"{polarity}_cases"] += 1
        found = set(detect(case.text, case.url))
        truth = set(case.spans)
        for span in found & truth:
            out[span.kind]["tp"] += 1
        for span in found - truth:
            out[span.kind]["fp"] += 1
            errors.append({"error": "fp", "kind": span.kind, "span": case.text[span.start:span.end], "text": case.text})
        for span in truth - found:
            out[span.kind]["fn"] += 1
            errors.append({"error": "fn", "kind": span.kind, "span": case.text[span.start:span.end], "text": case.text})
    for row in out.values():
        tp, fp, fn = row["tp"], row["fp"], row["fn"]
        row["precision"] = round(tp / (tp + fp), 4) if tp + fp else 1.0
        row["recall"] = round(tp / (tp + fn), 4) if tp + fn else 1.0
    out["errors"] = errors  # type: ignore[assignment]
    return out


__all__ = ["Case", "default_detector", "load_labelled", "parse_case", "score"]
