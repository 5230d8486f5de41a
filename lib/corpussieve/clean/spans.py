"""The spans stage: span removal on the documents the filters kept (``clean.spans``; issue 18).

The definitions are ``repetition --strip K``'s (:mod:`corpussieve.repetition.strip`: windows of ``span_tokens``
tokens, a window over the limit when seen more than K times, its first K occurrences in keep order kept and every
later one removed, the text cut at the removed tokens' bytes or words), and so is the machinery: this module
only arranges the repetition job's stages (:mod:`corpussieve.repetition.stages`) over clean's rows. There is no
second implementation of a window, a count, a cutoff or a cut here.

1. The kept documents (no reason after the filters; rejected ones are never tokenized and their windows never
   count) are sorted by clean's keep order (``clean.stages.keep_order``: ``dedup.keep`` as the paragraphs stage
   reads it, ties to the lowest id, nulls last) and numbered (``repetition.stages.in_keep_order``), then
   tokenized with their rank carried along (``repetition.arrowfns.tokens_map``), and cached. The sort moves the
   kept texts once (the repetition job moves the token ids once instead, joining its ranks to them).
2. The repetition job's count (``repeated_windows``: one shuffle of packed 8-byte window hashes), its over-limit
   windows, optionally its coverage pass (``predict``: the figures before, and ``predicted_removed``), its
   first-copies shuffle and cutoffs (``strip_limits``) and its strip pass (``strip_documents``): each kept
   document's cuts.
3. The cuts of the documents that lost something are joined by id to clean's rows (broadcast while small) and
   one ``mapInArrow`` cuts the texts (``arrowfns.spans_batch``: ``repetition.strip.cut_text``) and runs the
   document steps after it (``arrowfns.spans_and_steps_batches``), so PII offsets and decontamination see the
   text that is written.

The Arrow functions are in :mod:`corpussieve.clean.arrowfns`; this module is Spark code, like
``clean.stages`` (kept apart only because that module is long).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from corpussieve.clean.arrowfns import (
    SPAN_JOINED,
    TOP_WINDOWS_DDL,
    spans_and_steps_batches,
    spans_columns,
    steps_columns,
    top_over_limit_map,
)
from corpussieve.clean.config import CleanConfig


@dataclass
class Spans:
    """What the spans stage found: its statistics (the report's and the run log's), the cuts to join by id (a
    DataFrame of ``id`` and ``SPAN_JOINED``; None when nothing was removed) and the most repeated removed
    windows with their text."""

    stats: dict[str, Any]
    cuts: Any = None
    top: list[dict[str, Any]] = field(default_factory=list)


def spans_settings(config: Any) -> Any:
    """The repetition settings the spans stage runs with, from the assembled ``Config``: the repetition job's
    section with ``clean.spans``' window, tokenizer and K (unset: the repetition job's own), and ``dedup.keep``
    as the keep rule; None when the stage is off. Goes into the run key (clean's and the refresh's)."""
    spans = config.clean.spans
    if not spans.enabled:
        return None
    from corpussieve.repetition.config import StripConfig

    rep = config.repetition
    return rep.model_copy(update={
        "span_tokens": spans.span_tokens or rep.span_tokens,
        "tokenizer": spans.tokenizer or rep.tokenizer,
        "strip": StripConfig(max_copies=spans.max_copies, keep=config.dedup.keep),
    })


def min_chars_left(cfg: CleanConfig) -> int:
    """``clean.spans.min_chars_left``, or the length filter's ``min_chars`` when that filter is on, else 1."""
    if cfg.spans.min_chars_left is not None:
        return cfg.spans.min_chars_left
    length = cfg.filters.length
    return max(1, length.min_chars) if length.enabled else 1


def cut_unit(settings: Any) -> str:
    """'words' for the word tokenizer (cuts in word tokens), 'bytes' for the BPE ones (cuts in UTF-8 bytes)."""
    return "words" if settings.tokenizer == "word" else "bytes"


def find_spans(spark: Any, filtered: Any, cfg: CleanConfig, settings: Any, keep: str, persisted: Any) -> Spans:
    """Steps 1 and 2 of the module doc over ``filtered`` (the filters stage's persisted rows): the cuts of every
    kept document, the counts and, with ``predict``, the figures before."""
    from pyspark.sql import functions as F

    from corpussieve.repetition import stages as R
    from corpussieve.repetition.arrowfns import NO_SOURCE, TOKENS_DDL, tokens_map
    from corpussieve.repetition.strip import predicted_removed

    from corpussieve.clean.stages import keep_order

    k = settings.strip.max_copies
    order = keep_order(filtered, keep)
    kept = filtered.filter(F.col("text").isNotNull() & (F.size("__reasons") == 0))
    columns = [F.col("id"), F.col("text"), F.lit(NO_SOURCE).alias("source")]
    sort = [F.col("id").asc()]
    if order is not None:
        columns.append(order[0].alias("__order"))
        value = F.col("__order")
        sort.insert(0, value.asc_nulls_last() if order[1] else value.desc_nulls_last())
    docs = R.in_keep_order(kept.select(*columns), sort, ["id", "text", "source"])
    tokens = persisted.keep(docs.mapInArrow(tokens_map(settings, carry=("keep_rank",)),
                                            f"{TOKENS_DDL}, keep_rank long"))
    _, totals = R.source_stats(tokens, settings.span_tokens)
    buckets = R.bucket_count(spark, settings, totals["windows"])
    repeated = persisted.keep(R.repeated_windows(tokens, settings, buckets, None, None))
    repeated_hashes, repeated_bytes = R.repeated_size(repeated)
    over = R.over_limit_hashes(repeated, k)
    stats: dict[str, Any] = {
        "max_copies": k, "span_tokens": settings.span_tokens, "tokenizer": settings.tokenizer, "keep": keep,
        "documents": totals["documents"], "tokens_before": totals["tokens"], "windows": totals["windows"],
        "repeated_windows": repeated_hashes, "over_limit_windows": int(over.size),
        "broadcast_max_bytes": settings.broadcast_max_bytes,
    }
    if cfg.spans.predict:
        passes = {NO_SOURCE: 1.0}
        if R.choose_lookup(settings, repeated_bytes) == "broadcast":
            result = R.broadcast_coverage(spark, tokens, repeated, settings, passes, persisted)
        else:
            result = R.shuffle_coverage(tokens, repeated, settings, buckets, passes)
        before, _ = R.sum_figures(result)
        stats.update(predicted_tokens_removed=round(predicted_removed(before.count_mass, k), 1),
                     repeated_token_fraction_before=round(before.repeated_token_fraction, 6),
                     excess_token_fraction_before=round(before.excess_tokens / before.tokens, 6) if before.tokens
                     else 0.0)
    limits, shuffle = R.strip_limits(spark, tokens, settings, buckets, over, persisted)
    stripped = persisted.keep(R.strip_documents(spark, tokens, settings, limits, persisted))
    removal = R.strip_counts(stripped)
    stats.update(tokens_removed=removal["tokens_removed"], documents_changed=removal["documents_changed"],
                 first_copy_candidates=shuffle["first_copy_candidates"])
    if "predicted_tokens_removed" in stats:
        predicted = stats["predicted_tokens_removed"]
        stats["removed_over_predicted"] = round(removal["tokens_removed"] / predicted, 4) if predicted else None
    found = Spans(stats)
    if removal["documents_changed"]:
        found.stats["broadcast"] = removal["documents_changed"] <= cfg.spans.broadcast_max_rows
        cuts = stripped.filter(F.col("tokens_removed") > 0).select(
            "id", *(F.col(source).alias(name) for source, name in
                    zip(("text_units", "cuts", "tokens_removed"), SPAN_JOINED, strict=True)))
        found.cuts = F.broadcast(cuts) if found.stats["broadcast"] else cuts
    if cfg.spans.top_spans and over.size:
        found.top = top_removed(repeated, limits, tokens, filtered, settings, cfg.spans.top_spans)
    return found


def top_removed(repeated: Any, limits: Any, tokens: Any, filtered: Any, settings: Any, limit: int) -> list[dict]:
    """The ``limit`` most counted over-limit windows: their text (read from the document holding the last kept
    copy, the cutoff), count, copies removed (count - K: every later occurrence is a removed one) and that
    document's id."""
    import numpy as np
    from pyspark.sql import functions as F

    from corpussieve.repetition.tokenizers import get_tokenizer

    k = settings.strip.max_copies
    rows = repeated.mapInArrow(top_over_limit_map(k, limit), TOP_WINDOWS_DDL).collect()
    rows = sorted(rows, key=lambda r: (-r["count"], r["hash"]))[:limit]
    if not rows:
        return []
    hashes = np.array([r["hash"] for r in rows], dtype=np.int64).view(np.uint64)
    picked, ranks, positions = limits.lookup(hashes)
    where = {int(i): (int(r), int(p)) for i, r, p in zip(picked, ranks, positions, strict=True)}
    ids = {r["keep_rank"]: r["id"] for r in tokens.filter(F.col("keep_rank").isin(sorted({r for r, _ in
                                                                                          where.values()})))
           .select("id", "keep_rank").collect()}
    texts = {r["id"]: r["text"] for r in filtered.filter(F.col("id").isin(sorted(set(ids.values()))))
             .select("id", "text").collect()}
    tokenizer = get_tokenizer(settings.tokenizer)
    out = []
    for i, row in enumerate(rows):
        rank, pos = where.get(i, (None, 0))
        doc_id = ids.get(rank)
        out.append({"text": tokenizer.span_text(texts.get(doc_id), pos, pos + settings.span_tokens),
                    "count": int(row["count"]), "copies_removed": int(row["count"]) - k, "kept_in": doc_id})
    return out


def apply_spans(filtered: Any, found: Spans, cfg: CleanConfig, settings: Any) -> Any:
    """Step 3 of the module doc: ``filtered`` with its texts cut, the spans reasons, ``span_tokens_removed``, and
    the document steps' columns (the steps run here when the stage is on, not in the filters pass)."""
    from pyspark.sql import functions as F

    from corpussieve.clean.stages import spark_schema
    from corpussieve.clean.steps import step_payloads

    if found.cuts is not None:
        staged = filtered.join(found.cuts, "id", "left")
    else:  # nothing removed: no join, nothing to cut
        staged = filtered.select("*", F.lit(None).cast("long").alias(SPAN_JOINED[0]),
                                 F.lit(None).cast("binary").alias(SPAN_JOINED[1]),
                                 F.lit(None).cast("long").alias(SPAN_JOINED[2]))
    cut = spark_schema(staged.schema, *spans_columns())
    schema = spark_schema(cut, steps_columns(cfg))
    payloads = step_payloads(cfg.steps, filtered.sparkSession)
    return staged.mapInArrow(spans_and_steps_batches(cfg, cut_unit(settings), min_chars_left(cfg), payloads), schema)


__all__ = ["Spans", "apply_spans", "cut_unit", "find_spans", "min_chars_left", "spans_settings", "top_removed"]
