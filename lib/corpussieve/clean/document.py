"""The pure, per-document clean pipeline: extraction or markup stripping, repair, universal
boilerplate lines, quality filters.

Three phases, separately callable because the Spark job runs its site-level line boilerplate
stage between the second and the third:

1. ``prepare_text``: HTML -> main text (extraction), or text input -> markup stripped; then repair
   (mojibake, NFC, whitespace) and the universal boilerplate line patterns;
2. (Spark) drop lines frequent within a site or across the corpus;
3. ``filter_text``: C4 line rules, language identification, quality signals and reasons.

``clean_document`` runs 1 and 3 for one document; ``clean_batch`` for a batch. A document's result
never depends on the other documents of its batch. Rejections are the codes declared in
``corpussieve.clean.reasons`` (and by each filter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from corpussieve.clean.boilerplate import drop_boilerplate_lines
from corpussieve.clean.config import CleanConfig
from corpussieve.clean.extract import extract_main_text
from corpussieve.clean.filters import FilterStack
from corpussieve.clean.lines import split_lines
from corpussieve.clean.markup import strip_markup
from corpussieve.clean.reasons import EXTRACT, INPUT
from corpussieve.clean.repair import repair_text


@dataclass
class Prepared:
    """A document after phase 1: its text (None if rejected), reasons, and chars after each step."""

    text: str | None
    reasons: list[str] = field(default_factory=list)
    steps: dict[str, int] = field(default_factory=dict)
    extraction_mode: str | None = None


@dataclass
class CleanResult:
    """The clean pipeline's verdict on one document."""

    text: str | None
    language: str | None
    language_score: float
    signals: dict[str, dict[str, float]]
    reasons: list[str]
    steps: dict[str, int]

    @property
    def kept(self) -> bool:
        return not self.reasons and self.text is not None


def filter_stack(cfg: CleanConfig) -> FilterStack:
    """The filter stack of a config. Built afresh: a stack is one small object per filter (about 10 us,
    a third of what serializing the config to look up a cached one cost), so batches build one per
    task (``arrowfns.remove_and_filter_batches``) and single documents one per call."""
    return FilterStack(cfg.filters)


def prepare_text(html: str | bytes | None, text: str | None, cfg: CleanConfig) -> Prepared:
    """Phase 1. HTML wins when both are given (its structure tells main text from chrome)."""
    steps: dict[str, int] = {}
    mode = None
    if html is not None and (not isinstance(html, str) or html.strip()):
        steps["input"] = len(html)
        extraction = extract_main_text(html, cfg.extraction)
        mode = extraction.mode
        if extraction.text is None:
            return Prepared(None, [extraction.reason or EXTRACT["no_main_text"]], steps, mode)
        body = extraction.text
        steps["extract"] = len(body)
    elif isinstance(text, str) and text.strip():
        steps["input"] = len(text)
        if len(text) > cfg.markup.max_text_chars:
            return Prepared(None, [INPUT["too_large"]], steps)
        body = strip_markup(text, cfg.markup.code_blocks) if cfg.markup.strip_markup else text
        steps["markup"] = len(body)
    else:
        return Prepared(None, [INPUT["empty"]], steps)
    body = repair_text(body, cfg.repair)
    steps["repair"] = len(body)
    if cfg.lines.drop_universal_patterns:
        kept, _ = drop_boilerplate_lines(split_lines(body))
        body = "\n".join(kept).strip()
        steps["boilerplate_lines"] = len(body)
    if not body:
        return Prepared(None, [INPUT["no_text_left"]], steps, mode)
    return Prepared(body, [], steps, mode)


def filter_text(text: str, cfg: CleanConfig) -> CleanResult:
    """Phase 3 on a prepared (and, in Spark, line-deduplicated) text."""
    return run_filters(filter_stack(cfg), text)


def run_filters(stack: FilterStack, text: str) -> CleanResult:
    """``filter_text`` with the stack already built: a batch builds it once, not once per document."""
    outcome = stack.run(text)
    steps = {"filters": len(outcome.text)}
    return CleanResult(
        outcome.text, outcome.language, outcome.language_score, outcome.signals, outcome.reasons, steps
    )


def clean_document(
    html: str | bytes | None = None,
    text: str | None = None,
    url: str | None = None,
    cfg: CleanConfig | None = None,
) -> CleanResult:
    """Phases 1 and 3 for one document; never raises on bad input (it becomes a reason).

    ``url`` is accepted for the Spark stage's benefit (registered domain) and for future
    URL-aware rules; the pure pipeline's output does not depend on it.
    """
    cfg = cfg or CleanConfig()
    prepared = prepare_text(html, text, cfg)
    if prepared.text is None:
        return CleanResult(None, None, 0.0, {}, prepared.reasons, prepared.steps)
    result = filter_text(prepared.text, cfg)
    result.steps = prepared.steps | result.steps
    return result


def clean_batch(
    htmls: Sequence[str | bytes | None] | None = None,
    texts: Sequence[str | None] | None = None,
    urls: Sequence[str | None] | None = None,
    cfg: CleanConfig | None = None,
) -> list[CleanResult]:
    """``clean_document`` over aligned columns (any of them may be None)."""
    cfg = cfg or CleanConfig()
    columns: list[Sequence[Any] | None] = [htmls, texts, urls]
    n = max((len(c) for c in columns if c is not None), default=0)
    if any(c is not None and len(c) != n for c in columns):
        raise ValueError("htmls, texts and urls must have the same length")

    def at(column: Sequence[Any] | None, i: int) -> Any:
        return None if column is None else column[i]

    return [clean_document(at(htmls, i), at(texts, i), at(urls, i), cfg) for i in range(n)]
