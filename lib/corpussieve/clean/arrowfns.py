"""The clean job's Python stages as Arrow batch functions (what ``mapInArrow`` runs), each with the
columns it outputs, and the factories that close over the config. Pure pyarrow/numpy: importable and
testable without Spark.

Each takes a ``pa.RecordBatch`` and returns one: the input's other columns pass through
untouched, ``text`` is replaced, and bookkeeping columns (named ``__*``) are added for the next
stage and the report.

* ``blocklist_batch``: the URL blocklists (``corpussieve.clean.blocklist``): the reasons of each blocked row
  (``__url_reasons``) and how each URL came out of the check; ``prepare_batch`` then never reads a blocked
  page.
* ``prepare_batch``: HTML extraction or markup stripping, repair, universal boilerplate lines; the
  site of each document; the hash of each line (aligned) and each document's distinct line keys.
* ``remove_batch``: drop the lines that are boilerplate for the document's site or corpus-wide, and the
  paragraphs another document keeps (paragraph dedup, ``corpussieve.clean.paragraphs``).
* ``filter_batch``: C4 line rules, language identification, signals and reasons.
* ``steps_batch``: the document steps (``corpussieve.clean.steps``) on the documents the filters kept: new
  text, each step's audit columns, reasons, counters (``__n_<step>_<counter>``), characters and seconds.
* ``spans_batch`` (span removal, ``clean.spans``; the Spark side is ``corpussieve.clean.spans``): cut each kept
  document's text by the cuts the repetition job's strip stage computed, with ``repetition.strip.cut_text``;
  ``spans_and_steps_batches`` runs it and then the document steps, which wait for it when it is on.
  ``top_over_limit_rows``: the report's most repeated removed windows from the repetition job's count table.

``prepare_columns``, ``REMOVE_COLUMNS``, ``filter_columns`` and ``steps_columns`` say which columns each sets (replaced in
place or appended, in order) and drops, so the Spark stages derive their output schemas from them
(``output_schema`` here, ``corpussieve.clean.stages`` for Spark types). ``prepare_batches`` and
``remove_and_filter_batches`` are the ``mapInArrow`` functions: they take the ``CleanConfig`` itself
(the closure pickles it) and build the filter stack once per task.

A document's result depends only on its own columns (and, for ``remove_batch``, on the corpus-wide
line counts), never on which batch or partition it travels in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from corpussieve.arrowutil import column, excerpt, with_columns
from corpussieve.clean.blocklist import Blocklist
from corpussieve.clean.config import CleanConfig
from corpussieve.clean.document import filter_stack, prepare_text, run_filters
from corpussieve.clean.domain import registered_domain
from corpussieve.clean.filters import FilterStack
from corpussieve.clean.lines import split_lines
from corpussieve.clean.paragraphs import paragraph_keys
from corpussieve.clean.reasons import FILTER_STACK, PARAGRAPHS, PREPARE, SITE_LINES, URL_BLOCKLIST
from corpussieve.clean.steps import StepRunner, enabled_steps
from corpussieve.clean.sitelines import (
    BatchLines,
    distinct_per_document,
    drop_lines,
    hash_batch_lines,
    list_parts,
    pair_member,
)

LOG = logging.getLogger(__name__)

#: the per-step character counts, in pipeline order (null: the step did not run for that document)
STEPS: tuple[str, ...] = ("input", "extract", "markup", "repair", "boilerplate_lines", "site_lines", "filters")
#: where the Python stages' time goes, summed per document (each enabled document step adds ``step_<name>``)
TIMERS: tuple[str, ...] = ("prepare", "lines", "filters")


def char_steps(cfg: CleanConfig) -> tuple[str, ...]:
    """``STEPS``, ``spans`` when span removal is on, then every enabled document step: the ``__chars_<step>``
    columns, in pipeline order."""
    return (*STEPS, *(["spans"] if cfg.spans.enabled else []), *(step.name for step, _ in enabled_steps(cfg.steps)))


def timers(cfg: CleanConfig) -> tuple[str, ...]:
    """``TIMERS``, ``spans`` (cutting the texts) when span removal is on, then ``step_<name>`` per enabled
    document step: the ``__sec_<timer>`` columns."""
    return (*TIMERS, *(["spans"] if cfg.spans.enabled else []),
            *(f"step_{step.name}" for step, _ in enabled_steps(cfg.steps)))


def step_counter_columns(cfg: CleanConfig) -> list[tuple[str, str, str]]:
    """(step, counter, column) of every enabled document step's counters: ``__n_<step>_<counter>``."""
    return [(step.name, counter, f"__n_{step.name}_{counter}")
            for step, _ in enabled_steps(cfg.steps) for counter in step.counters]

LINE_KEY = pa.struct([pa.field("hash", pa.int64()), pa.field("short", pa.bool_())])
SAMPLE_LINE = pa.struct([pa.field("hash", pa.int64()), pa.field("line", pa.string())])
EXCERPT_CHARS = 300


def _strings(values: pa.Array | None, n: int) -> list[Any]:
    return [None] * n if values is None else values.to_pylist()


def output_schema(schema: pa.Schema, columns: Sequence[pa.Field], drop: Sequence[str] = ()) -> pa.Schema:
    """The schema ``with_columns`` gives a batch of ``schema``: ``columns`` replace same-named fields in
    place or are appended in order, ``drop`` is removed."""
    new = {f.name: f for f in columns}
    fields = [new.pop(f.name, f) for f in schema if f.name not in drop]
    return pa.schema([*fields, *new.values()])


#: the columns ``blocklist_batch`` sets: the reasons of a blocked row (``prepare_batch`` takes and drops them),
#: how the URL came out (clear, blocked, missing, invalid) and the seconds per row
BLOCKLIST_COLUMNS: tuple[pa.Field, ...] = (
    pa.field("__url_reasons", pa.list_(pa.string())), pa.field("__url_check", pa.string()),
    pa.field("__sec_url_blocklist", pa.float64()),
)  # fmt: skip


def blocklist_batch(batch: pa.RecordBatch, blocklist: Blocklist) -> pa.RecordBatch:
    """Mark the rows whose ``url`` a list blocks: ``__url_reasons`` (``url_blocklist:<list>`` for every list
    that blocks it, in the configured order; empty when none), ``__url_check`` and ``__sec_url_blocklist``.
    Only the url column is read. A row without a url is never blocked (its check says ``missing``)."""
    n = batch.num_rows
    started = time.perf_counter()
    urls = _strings(column(batch, "url"), n)
    blocked, status = blocklist.match_many(urls)
    reasons = [[URL_BLOCKLIST.member("{name}", name) for name in names] for names in blocked]
    seconds = (time.perf_counter() - started) / max(n, 1)
    return with_columns(batch, {
        "__url_reasons": pa.array(reasons, pa.list_(pa.string())),
        "__url_check": pa.array(status, pa.string()),
        "__sec_url_blocklist": pa.array(np.full(n, seconds), pa.float64()),
    })


def blocklist_batches(shared: Any) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The url_blocklist step alone as a ``mapInArrow`` function (``shared``: a Spark broadcast of the
    ``Blocklist``, or the ``Blocklist`` itself)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        blocklist = _value(shared)
        for batch in batches:
            yield blocklist_batch(batch, blocklist)

    return run


def _value(shared: Any) -> Any:
    return shared.value if hasattr(shared, "value") else shared


def prepare_columns(cfg: CleanConfig) -> tuple[list[pa.Field], list[str]]:
    """The columns ``prepare_batch`` sets, and the ones it drops (``__url_reasons``: taken into
    ``__reasons``)."""
    fields = [
        pa.field("text", pa.string()), pa.field("__site", pa.string()), pa.field("__reasons", pa.list_(pa.string())),
        pa.field("__mode", pa.string()), pa.field("__excerpt", pa.string()),
        pa.field("__line_hashes", pa.list_(pa.int64())), pa.field("__line_keys", pa.list_(LINE_KEY)),
        pa.field("__sec_prepare", pa.float64()), *[pa.field(f"__chars_{step}", pa.int64()) for step in STEPS],
    ]  # fmt: skip
    if cfg.paragraphs.enabled:
        fields.append(pa.field("__paragraphs", pa.list_(pa.int64())))
    return fields, ["__url_reasons", *([] if cfg.job.keep_html else ["html"])]


def prepare_batch(batch: pa.RecordBatch, cfg: CleanConfig) -> pa.RecordBatch:
    """Phase 1 of every document, then the site and line hashes of the prepared texts. A row that
    ``blocklist_batch`` marked (``__url_reasons`` not empty) is not read at all: no text, no excerpt, its
    blocklist reasons."""
    n = batch.num_rows
    blocked_by = column(batch, "__url_reasons")
    blocked = blocked_by.to_pylist() if blocked_by is not None else [None] * n
    # only the unblocked rows' pages are turned into Python strings
    read = [not b for b in blocked]
    htmls = _strings(_unless_blocked(column(batch, "html"), blocked_by), n)
    texts = _strings(_unless_blocked(column(batch, "text"), blocked_by), n)
    urls = _strings(column(batch, "url"), n)
    out_text: list[str | None] = []
    reasons: list[list[str]] = []
    chars: dict[str, list[int | None]] = {step: [None] * n for step in STEPS}
    seconds = np.zeros(n)
    modes: list[str | None] = []
    excerpts: list[str | None] = []
    for i in range(n):
        if not read[i]:
            out_text.append(None)
            reasons.append(list(blocked[i]))
            modes.append(None)
            excerpts.append(None)
            continue
        started = time.perf_counter()
        html, text = htmls[i], texts[i]
        if text is not None and not isinstance(text, str):
            text = None
        try:
            prepared = prepare_text(html, text, cfg)
            body, why, steps, mode = prepared.text, prepared.reasons, prepared.steps, prepared.extraction_mode
        except Exception as exc:  # one pathological document must never fail the stage
            LOG.warning("prepare failed on a document: %s: %s", type(exc).__name__, exc)
            body, why, steps, mode = None, [PREPARE["error"]], {}, None
        seconds[i] = time.perf_counter() - started
        out_text.append(body)
        reasons.append(list(why))
        modes.append(mode)
        excerpts.append(None if body is not None else excerpt(html if html is not None else text, EXCERPT_CHARS))
        for step, value in steps.items():
            chars[step][i] = value
    sites = [registered_domain(url) if isinstance(url, str) else None for url in urls]

    started = time.perf_counter()
    documents = [split_lines(body) for body in out_text]
    lines = hash_batch_lines(documents, cfg.lines)
    hashes = _list_array(lines.offsets, lines.hashes, pa.int64(), [body is None for body in out_text])
    key_offsets, picked = distinct_per_document(lines)
    keys = pa.StructArray.from_arrays(
        [pa.array(lines.hashes[picked], pa.int64()), pa.array(lines.short[picked], pa.bool_())],
        fields=list(LINE_KEY),
    )
    line_keys = _list_array(key_offsets, keys, LINE_KEY, [body is None for body in out_text])
    if cfg.paragraphs.enabled:  # each document's distinct long lines, from the same hashes
        paragraph_offsets, paragraph_hashes = paragraph_keys(lines, cfg.paragraphs.min_chars)
        paragraphs = _list_array(paragraph_offsets, paragraph_hashes, pa.int64(), [body is None for body in out_text])
    # the line hashing's time goes to the documents that were read (a blocked page costs nothing)
    read_rows = np.array(read, dtype=bool)
    seconds[read_rows] += (time.perf_counter() - started) / max(int(read_rows.sum()), 1)

    columns: dict[str, pa.Array] = {
        "text": pa.array(out_text, pa.string()),
        "__site": pa.array(sites, pa.string()),
        "__reasons": pa.array(reasons, pa.list_(pa.string())),
        "__mode": pa.array(modes, pa.string()),
        "__excerpt": pa.array(excerpts, pa.string()),
        "__line_hashes": hashes,
        "__line_keys": line_keys,
        "__sec_prepare": pa.array(seconds, pa.float64()),
    }
    for step in STEPS:
        columns[f"__chars_{step}"] = pa.array(chars[step], pa.int64())
    if cfg.paragraphs.enabled:
        columns["__paragraphs"] = paragraphs
    return with_columns(batch, columns, drop=prepare_columns(cfg)[1])


def _unless_blocked(values: pa.Array | None, blocked_by: pa.Array | None) -> pa.Array | None:
    """``values`` with the blocked rows' entries null (so a blocked page is never decoded into Python)."""
    if values is None or blocked_by is None:
        return values
    import pyarrow.compute as pc

    is_blocked = pc.fill_null(pc.greater(pc.list_value_length(blocked_by), 0), False)
    if not pc.any(is_blocked).as_py():
        return values
    return pc.if_else(is_blocked, pa.nulls(len(values), values.type), values)


def _list_array(offsets: np.ndarray, values: Any, value_type: pa.DataType, nulls: Sequence[bool]) -> pa.Array:
    values = values if isinstance(values, pa.Array) else pa.array(values, value_type)
    return pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), values, mask=pa.array(nulls, pa.bool_()), type=pa.list_(value_type)
    )


#: the columns ``remove_batch`` sets, and the ones it drops
REMOVE_COLUMNS: tuple[tuple[pa.Field, ...], tuple[str, ...]] = (
    (pa.field("text", pa.string()), pa.field("__reasons", pa.list_(pa.string())),
     pa.field("__chars_site_lines", pa.int64()), pa.field("__lines_site", pa.int64()),
     pa.field("__lines_corpus", pa.int64()), pa.field("__lines_paragraph", pa.int64()),
     pa.field("__chars_paragraph", pa.int64()), pa.field("__sample_lines", pa.list_(SAMPLE_LINE)),
     pa.field("__sec_lines", pa.float64())),
    ("__line_hashes", "__line_keys", "__site_lines", "__paragraphs", "__paragraph_drop"),
)


def remove_batch(
    batch: pa.RecordBatch,
    corpus_hashes: np.ndarray,
    sample_hashes: np.ndarray | None = None,
) -> pa.RecordBatch:
    """Drop the lines whose hash is boilerplate for the document's site (``__site_lines``, a
    list<int64> per row, joined by site) or for the whole corpus (``corpus_hashes``), and the paragraphs
    another document keeps (``__paragraph_drop``, a list<int64> per row, joined by id).

    A line matched by several rules counts for the first of site, corpus-wide, paragraph. Counts what each
    rule dropped (and the characters of the dropped paragraphs), and keeps the text of dropped lines whose
    hash is in ``sample_hashes`` (the report's examples).
    """
    n = batch.num_rows
    texts = column(batch, "text").to_pylist()
    started = time.perf_counter()
    rows, hashes = list_parts(column(batch, "__line_hashes"))
    site_column = column(batch, "__site_lines")
    if site_column is not None:
        set_rows, set_values = list_parts(site_column)
        by_site = pair_member(rows, hashes, set_rows, set_values)
    else:
        by_site = np.zeros(len(hashes), dtype=bool)
    countable = hashes != 0
    by_site &= countable
    by_corpus = countable & ~by_site & np.isin(hashes, corpus_hashes) if len(corpus_hashes) else np.zeros_like(by_site)
    paragraph_column = column(batch, "__paragraph_drop")
    if paragraph_column is not None:
        by_paragraph = countable & ~(by_site | by_corpus) & pair_member(rows, hashes, *list_parts(paragraph_column))
    else:
        by_paragraph = np.zeros_like(by_site)
    drop = by_site | by_corpus | by_paragraph
    site_removed = np.bincount(rows[by_site], minlength=n)
    corpus_removed = np.bincount(rows[by_corpus], minlength=n)
    paragraph_removed = np.bincount(rows[by_paragraph], minlength=n)
    paragraph_chars = np.zeros(n, dtype=np.int64)
    sampled = drop & np.isin(hashes, sample_hashes) if sample_hashes is not None and len(sample_hashes) else None
    starts = np.searchsorted(rows, np.arange(n + 1))
    reasons = column(batch, "__reasons").to_pylist()
    out_text: list[str | None] = []
    chars: list[int | None] = []
    samples: list[list[dict[str, Any]] | None] = []
    for i in range(n):
        text = texts[i]
        if text is None:
            out_text.append(None)
            chars.append(None)
            samples.append(None)
            continue
        lo, hi = starts[i], starts[i + 1]
        lines = split_lines(text)
        if hi - lo != len(lines):
            raise ValueError(f"row {i}: {hi - lo} line hashes for {len(lines)} lines")
        doc_drop = drop[lo:hi]
        if doc_drop.any():
            text = drop_lines(lines, doc_drop)
            doc_paragraphs = np.flatnonzero(by_paragraph[lo:hi])
            paragraph_chars[i] = sum(len(lines[j]) for j in doc_paragraphs)
            if not text.strip():
                emptied = PARAGRAPHS["no_text_left"] if len(doc_paragraphs) else SITE_LINES["no_text_left"]
                reasons[i] = [*reasons[i], emptied]
        out_text.append(text)
        chars.append(len(text))
        found: list[dict[str, Any]] | None = None
        if sampled is not None and sampled[lo:hi].any():
            found, seen = [], set()
            for j in np.flatnonzero(sampled[lo:hi]):
                h = int(hashes[lo + j])
                if h not in seen:
                    seen.add(h)
                    found.append({"hash": h, "line": lines[j][:EXCERPT_CHARS]})
        samples.append(found)
    seconds = (time.perf_counter() - started) / max(n, 1)
    columns = {
        "text": pa.array(out_text, pa.string()),
        "__reasons": pa.array(reasons, pa.list_(pa.string())),
        "__chars_site_lines": pa.array(chars, pa.int64()),
        "__lines_site": pa.array(site_removed, pa.int64()),
        "__lines_corpus": pa.array(corpus_removed, pa.int64()),
        "__lines_paragraph": pa.array(paragraph_removed, pa.int64()),
        "__chars_paragraph": pa.array(paragraph_chars, pa.int64()),
        "__sample_lines": pa.array(samples, pa.list_(SAMPLE_LINE)),
        "__sec_lines": pa.array(np.full(n, seconds), pa.float64()),
    }
    return with_columns(batch, columns, drop=REMOVE_COLUMNS[1])


def filter_columns(stack: FilterStack) -> list[pa.Field]:
    """The columns ``filter_batch`` sets (with ``stack``'s signals in ``quality``)."""
    return [
        pa.field("text", pa.string()), pa.field("language", pa.string()), pa.field("language_score", pa.float64()),
        pa.field("quality", stack.signal_schema()), pa.field("__reasons", pa.list_(pa.string())),
        pa.field("__chars_filters", pa.int64()), pa.field("__sec_filters", pa.float64()),
    ]  # fmt: skip


def filter_batch(batch: pa.RecordBatch, cfg: CleanConfig, stack: FilterStack | None = None) -> pa.RecordBatch:
    """Phase 3 on every document that still has text and no reason yet (``stack``: ``cfg``'s, built once
    by the caller that runs many batches)."""
    n = batch.num_rows
    texts = column(batch, "text").to_pylist()
    reasons = column(batch, "__reasons").to_pylist()
    stack = stack if stack is not None else filter_stack(cfg)
    quality_type = stack.signal_schema()
    out_text: list[str | None] = []
    languages: list[str | None] = []
    scores: list[float | None] = []
    signals: list[dict[str, dict[str, float]] | None] = []
    chars: list[int | None] = []
    seconds = np.zeros(n)
    for i in range(n):
        text = texts[i]
        if text is None or reasons[i]:
            out_text.append(text)
            languages.append(None)
            scores.append(None)
            signals.append(None)
            chars.append(None)
            continue
        started = time.perf_counter()
        try:
            result = run_filters(stack, text)
            out_text.append(result.text)
            languages.append(result.language)
            scores.append(result.language_score)
            signals.append(result.signals)
            chars.append(len(result.text))
            reasons[i] = [*reasons[i], *result.reasons]
        except Exception as exc:  # never fail the stage on one document
            LOG.warning("filters failed on a document: %s: %s", type(exc).__name__, exc)
            out_text.append(text)
            languages.append(None)
            scores.append(None)
            signals.append(None)
            chars.append(None)
            reasons[i] = [*reasons[i], FILTER_STACK["error"]]
        seconds[i] = time.perf_counter() - started
    columns = {
        "text": pa.array(out_text, pa.string()),
        "language": pa.array(languages, pa.string()),
        "language_score": pa.array(scores, pa.float64()),
        "quality": pa.array(signals, quality_type),
        "__reasons": pa.array(reasons, pa.list_(pa.string())),
        "__chars_filters": pa.array(chars, pa.int64()),
        "__sec_filters": pa.array(seconds, pa.float64()),
    }
    return with_columns(batch, columns)


def steps_columns(cfg: CleanConfig) -> list[pa.Field]:
    """The columns ``steps_batch`` sets: ``text`` and ``__reasons`` in place, then every enabled step's audit
    columns (the outputs keep them), then its counters, characters and seconds (bookkeeping)."""
    fields = [pa.field("text", pa.string()), pa.field("__reasons", pa.list_(pa.string()))]
    enabled = enabled_steps(cfg.steps)
    for step, step_cfg in enabled:
        fields += step.columns(step_cfg)
    fields += [pa.field(column, pa.int64()) for _, _, column in step_counter_columns(cfg)]
    for step, _ in enabled:
        fields += [pa.field(f"__chars_{step.name}", pa.int64()), pa.field(f"__sec_step_{step.name}", pa.float64())]
    return fields


def audit_columns(cfg: CleanConfig) -> list[str]:
    """The names of the enabled document steps' audit columns (what the output tables gain)."""
    return [f.name for step, step_cfg in enabled_steps(cfg.steps) for f in step.columns(step_cfg)]


def steps_batch(batch: pa.RecordBatch, cfg: CleanConfig, runner: StepRunner | None = None) -> pa.RecordBatch:
    """The enabled document steps, in registry order, over the documents that have text and no reason
    (``runner``: ``cfg``'s, built once per task by the caller that runs many batches)."""
    runner = runner if runner is not None else StepRunner(cfg.steps)
    n = batch.num_rows
    urls = column(batch, "url")
    result = runner.run(column(batch, "id").to_pylist(), _strings(urls, n), column(batch, "text").to_pylist(),
                        column(batch, "__reasons").to_pylist())
    columns: dict[str, pa.Array] = {"text": pa.array(result.texts, pa.string()),
                                    "__reasons": pa.array(result.reasons, pa.list_(pa.string()))}
    enabled = enabled_steps(cfg.steps)
    for step, step_cfg in enabled:
        outcome = result.outcomes[step.name]
        for f in step.columns(step_cfg):
            columns[f.name] = pa.array(outcome.columns[f.name], f.type)
    for name, counter, col in step_counter_columns(cfg):
        columns[col] = pa.array(result.outcomes[name].counters[counter], pa.int64())
    for step, _ in enabled:
        outcome = result.outcomes[step.name]
        columns[f"__chars_{step.name}"] = pa.array(outcome.chars, pa.int64())
        columns[f"__sec_step_{step.name}"] = pa.array(outcome.seconds, pa.float64())
    return with_columns(batch, columns)


def remove_and_filter_batch(
    batch: pa.RecordBatch,
    corpus_hashes: np.ndarray,
    sample_hashes: np.ndarray | None,
    cfg: CleanConfig,
    stack: FilterStack | None = None,
    runner: StepRunner | None = None,
) -> pa.RecordBatch:
    """``remove_batch``, ``filter_batch`` and ``steps_batch`` in one Python pass (two Arrow round trips fewer).
    With span removal on, the document steps wait for it (``spans_and_steps_batches``): ``runner`` None."""
    filtered = filter_batch(remove_batch(batch, corpus_hashes, sample_hashes), cfg, stack)
    return filtered if cfg.spans.enabled else steps_batch(filtered, cfg, runner)


# -- span removal (``corpussieve.clean.spans``) ---------------------------------------------------------------
#: what the spans stage joins to each document it changed (by id): its text's length in the cut unit, its cuts
#: (flat int64 (start, end) pairs, ``repetition.arrowfns.STRIPPED_DDL``'s) and the tokens removed
SPAN_JOINED: tuple[str, ...] = ("__span_units", "__span_cuts", "__span_removed")
#: the audit column: tokens span removal took from the document (null where it did not run: rejected rows)
SPAN_AUDIT = pa.field("span_tokens_removed", pa.int64())


def spans_columns() -> tuple[list[pa.Field], tuple[str, ...]]:
    """The columns ``spans_batch`` sets (``text`` and ``__reasons`` in place, the audit column, characters and
    seconds), and the joined ones it drops."""
    return ([pa.field("text", pa.string()), pa.field("__reasons", pa.list_(pa.string())), SPAN_AUDIT,
             pa.field("__chars_spans", pa.int64()), pa.field("__sec_spans", pa.float64())], SPAN_JOINED)


def spans_batch(batch: pa.RecordBatch, unit: str, min_chars_left: int) -> pa.RecordBatch:
    """Cut the texts of the documents the filters kept by their joined cuts (``SPAN_JOINED``, null for a
    document that lost nothing); ``unit``: 'bytes' (BPE tokenizers) or 'words'. A document left with nothing
    but whitespace is rejected ``spans:no_text_left``, one left with fewer than ``min_chars_left`` characters
    (whitespace stripped) ``spans:too_short``; documents span removal did not touch are never judged again."""
    # imported here: a clean worker loads the repetition job's strip core only when the stage is on
    from corpussieve.repetition.arrowfns import binary_values
    from corpussieve.repetition.strip import cut_text

    from corpussieve.clean.reasons import SPANS

    n = batch.num_rows
    started = time.perf_counter()
    texts = column(batch, "text").to_pylist()
    reasons = column(batch, "__reasons").to_pylist()
    units = column(batch, "__span_units").to_pylist()
    removed_in = column(batch, "__span_removed").to_pylist()
    pairs, offsets = binary_values(column(batch, "__span_cuts"), np.int64)
    out_text: list[str | None] = []
    removed: list[int | None] = []
    chars: list[int | None] = []
    for i in range(n):
        text = texts[i]
        if text is None or reasons[i]:
            out_text.append(text)
            removed.append(None)
            chars.append(None)
            continue
        lost = int(removed_in[i] or 0)
        lo, hi = int(offsets[i]), int(offsets[i + 1])
        if hi > lo:
            text = cut_text(text, pairs[lo:hi], unit, units[i])
            left = len(text.strip())
            if not left:
                reasons[i] = [SPANS["no_text_left"]]
            elif left < min_chars_left:
                reasons[i] = [SPANS["too_short"]]
        out_text.append(text)
        removed.append(lost)
        chars.append(len(text))
    seconds = (time.perf_counter() - started) / max(n, 1)
    return with_columns(batch, {
        "text": pa.array(out_text, pa.string()),
        "__reasons": pa.array(reasons, pa.list_(pa.string())),
        SPAN_AUDIT.name: pa.array(removed, pa.int64()),
        "__chars_spans": pa.array(chars, pa.int64()),
        "__sec_spans": pa.array(np.full(n, seconds), pa.float64()),
    }, drop=SPAN_JOINED)


def spans_and_steps_batches(
    cfg: CleanConfig, unit: str, min_chars_left: int, step_payloads: dict[str, Any] | None = None,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The last pass with span removal on: ``spans_batch`` then ``steps_batch`` (the document steps run on the
    text span removal left, so the PII spans' offsets and what decontamination cuts are the output text's)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        runner = StepRunner(cfg.steps, step_payloads)
        for batch in batches:
            yield steps_batch(spans_batch(batch, unit, min_chars_left), cfg, runner)

    return run


TOP_WINDOWS_DDL = "hash long, count long"


def top_over_limit_rows(batch: pa.RecordBatch, max_copies: int, limit: int) -> pa.RecordBatch:
    """The ``limit`` most counted windows over ``max_copies`` of a batch of the repetition job's repeated-window
    rows (``REPEATED_DDL``: packed hashes and counts per bucket), as (hash, count) rows: the report's most
    repeated spans removed, gathered without unpacking the table in Spark."""
    from corpussieve.repetition.arrowfns import binary_values

    hashes, _ = binary_values(column(batch, "hashes"), np.uint64)
    counts, _ = binary_values(column(batch, "counts"), np.int64)
    over = np.flatnonzero(counts > max_copies)
    top = over[np.lexsort((hashes[over], -counts[over]))[:limit]]
    return pa.record_batch({"hash": pa.array(hashes[top].view(np.int64), pa.int64()),
                            "count": pa.array(counts[top], pa.int64())})


def top_over_limit_map(max_copies: int, limit: int) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield top_over_limit_rows(batch, max_copies, limit)

    return run


def prepare_batches(
    cfg: CleanConfig, blocklist: Any = None
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The prepare stage's ``mapInArrow`` function; with ``blocklist`` (a Spark broadcast of a ``Blocklist``)
    each batch is checked against the URL blocklists first, in the same Python pass, so a blocked page's
    html crosses from the JVM once and is never read."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        lists = _value(blocklist) if blocklist is not None else None
        for batch in batches:
            yield prepare_batch(blocklist_batch(batch, lists) if lists is not None else batch, cfg)

    return run


def remove_and_filter_batches(
    cfg: CleanConfig, corpus_hashes: np.ndarray, sample_hashes: np.ndarray | None,
    step_payloads: dict[str, Any] | None = None,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The filters stage's ``mapInArrow`` function: the corpus-wide boilerplate hashes, the report's
    sampled hashes and the document steps' payloads ride in the closure; the filter stack and the steps
    are built once per task."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        stack = filter_stack(cfg)
        runner = None if cfg.spans.enabled else StepRunner(cfg.steps, step_payloads)
        for batch in batches:
            yield remove_and_filter_batch(batch, corpus_hashes, sample_hashes, cfg, stack, runner)

    return run


__all__ = [
    "BLOCKLIST_COLUMNS", "BatchLines", "LINE_KEY", "REMOVE_COLUMNS", "SAMPLE_LINE", "SPAN_AUDIT", "SPAN_JOINED", "STEPS",
    "TIMERS", "TOP_WINDOWS_DDL", "audit_columns",
    "blocklist_batch", "blocklist_batches", "char_steps", "filter_batch", "filter_columns", "output_schema",
    "prepare_batch", "prepare_batches", "prepare_columns", "remove_and_filter_batch", "remove_and_filter_batches",
    "remove_batch", "spans_and_steps_batches", "spans_batch", "spans_columns", "step_counter_columns", "steps_batch",
    "steps_columns", "timers", "top_over_limit_map", "top_over_limit_rows",
]  # fmt: skip
