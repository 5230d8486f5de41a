"""Brute-force reference of the repetition figures: plain Python, O(tokens x span), for small inputs only.

Windows are compared by their token tuples (not by hash), every token looks at every window covering it,
and spans are chained one window at a time. It implements the definitions of
:mod:`corpussieve.repetition.coverage` independently, so tests can demand equal results.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from corpussieve.repetition.coverage import (
    BUCKET_LABELS,
    BUCKET_LOWER,
    CoverageResult,
    DocumentFigures,
    MassTable,
    RepetitionFigures,
    SpanBatch,
)
from corpussieve.repetition.windows import window_hash_scalar


def _bucket(count: int) -> int:
    index = 0
    for i, low in enumerate(BUCKET_LOWER):
        if count >= low:
            index = i
    return index


def _table(weights: dict[float, float]) -> MassTable:
    keys = sorted(weights)
    return MassTable(np.array(keys, dtype=np.float64), np.array([weights[k] for k in keys], dtype=np.float64))


def reference_coverage(
    documents: Sequence[Sequence[int]], span_tokens: int, passes: Sequence[float] | None = None
) -> CoverageResult:
    """Every figure of :func:`corpussieve.repetition.coverage.coverage`, computed the slow, obvious way."""
    span = span_tokens
    docs = [list(map(int, d)) for d in documents]
    doc_passes = [1.0] * len(docs) if passes is None else [float(p) for p in passes]
    occurrences: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for d, tokens in enumerate(docs):
        for p in range(len(tokens) - span + 1):
            occurrences[tuple(tokens[p : p + span])].append(d)
    count = {w: len(occ) for w, occ in occurrences.items()}
    effective = {w: sum(doc_passes[d] for d in occ) for w, occ in occurrences.items()}

    per_doc: dict[str, list] = defaultdict(list)
    span_rows: list[tuple] = []
    count_mass: Counter = Counter()
    effective_mass: Counter = Counter()
    bucket_tokens = [0] * len(BUCKET_LABELS)
    for d, tokens in enumerate(docs):
        n = len(tokens)
        windows = [tuple(tokens[p : p + span]) for p in range(n - span + 1)]
        local = Counter(windows)
        repeated = within = cross_tokens = 0
        excess = 0.0
        for t in range(n):
            covering = [windows[p] for p in range(max(0, t - span + 1), min(t, len(windows) - 1) + 1)]
            m = max((count[w] for w in covering), default=0)
            e = max([doc_passes[d]] + [effective[w] for w in covering])
            count_mass[float(max(m, 1))] += 1
            effective_mass[e] += doc_passes[d]
            if m >= 2:
                repeated += 1
                excess += 1.0 - 1.0 / m
                bucket_tokens[_bucket(m)] += 1
                if any(count[w] >= 2 and count[w] > local[w] for w in covering):
                    cross_tokens += 1
                else:
                    within += 1
        spans_here = 0
        p = 0
        while p < len(windows):
            if count[windows[p]] < 2:
                p += 1
                continue
            chain = [p]
            q = p + 1
            while q < len(windows) and q < chain[-1] + span:
                if count[windows[q]] >= 2:
                    chain.append(q)
                q += 1
            cs = [count[windows[i]] for i in chain]
            key = min(chain, key=lambda i: (-count[windows[i]], window_hash_scalar(windows[i])))
            is_cross = any(count[windows[i]] > local[windows[i]] for i in chain)
            span_rows.append(
                (
                    d,
                    chain[0],
                    chain[-1] + span,
                    len(chain),
                    min(cs),
                    max(cs),
                    window_hash_scalar(windows[key]),
                    is_cross,
                )
            )
            spans_here += 1
            p = chain[-1] + 1
        per_doc["tokens"].append(n)
        per_doc["windows"].append(len(windows))
        per_doc["repeated_tokens"].append(repeated)
        per_doc["within_document_tokens"].append(within)
        per_doc["cross_document_tokens"].append(cross_tokens)
        per_doc["excess_tokens"].append(excess)
        per_doc["max_count"].append(max((count[w] for w in windows), default=0))
        per_doc["spans"].append(spans_here)

    documents_fig = (
        DocumentFigures(
            **{k: np.array(v, dtype=np.float64 if k == "excess_tokens" else np.int64) for k, v in per_doc.items()}
        )
        if docs
        else _empty_documents()
    )
    rows = span_rows
    spans = SpanBatch(
        doc=np.array([r[0] for r in rows], dtype=np.int64),
        start=np.array([r[1] for r in rows], dtype=np.int64),
        end=np.array([r[2] for r in rows], dtype=np.int64),
        windows=np.array([r[3] for r in rows], dtype=np.int64),
        min_count=np.array([r[4] for r in rows], dtype=np.int64),
        max_count=np.array([r[5] for r in rows], dtype=np.int64),
        key_hash=np.array([r[6] for r in rows], dtype=np.uint64),
        cross_document=np.array([r[7] for r in rows], dtype=bool),
    )
    bucket_spans = [0] * len(BUCKET_LABELS)
    for r in rows:
        bucket_spans[_bucket(r[5])] += 1
    unrepeatable = [i for i, d in enumerate(docs) if len(d) < span]
    figures = RepetitionFigures(
        documents=len(docs),
        tokens=sum(len(d) for d in docs),
        windows=sum(per_doc["windows"]),
        unrepeatable_documents=len(unrepeatable),
        unrepeatable_tokens=sum(len(docs[i]) for i in unrepeatable),
        repeated_tokens=sum(per_doc["repeated_tokens"]),
        within_document_tokens=sum(per_doc["within_document_tokens"]),
        cross_document_tokens=sum(per_doc["cross_document_tokens"]),
        max_count=max(per_doc["max_count"], default=0),
        spans=len(rows),
        bucket_spans=tuple(bucket_spans),
        bucket_tokens=tuple(bucket_tokens),
        count_mass=_table(dict(count_mass)),
        effective_mass=_table(dict(effective_mass)),
    )
    return CoverageResult(documents_fig, spans, figures)


def _empty_documents() -> DocumentFigures:
    z = np.zeros(0, dtype=np.int64)
    return DocumentFigures(z, z, z, z, z, np.zeros(0, dtype=np.float64), z, z)


def reference_strip(
    documents: Sequence[Sequence[int]], span_tokens: int, max_copies: int, ranks: Sequence[int] | None = None
) -> tuple[list[list[int]], list[list[bool]]]:
    """Span removal (:mod:`corpussieve.repetition.strip`) the slow, obvious way: the kept tokens of every
    document and which of its tokens were removed.

    Windows are token tuples; every occurrence of a window seen more than ``max_copies`` times is listed with
    (keep rank of its document, position), the list is sorted, and the tokens of every occurrence after the
    first ``max_copies`` are marked. ``ranks`` default to the document order.
    """
    span = span_tokens
    docs = [list(map(int, d)) for d in documents]
    rank = list(range(len(docs))) if ranks is None else [int(r) for r in ranks]
    occurrences: dict[tuple[int, ...], list[tuple[int, int, int]]] = defaultdict(list)
    for d, tokens in enumerate(docs):
        for p in range(len(tokens) - span + 1):
            occurrences[tuple(tokens[p : p + span])].append((rank[d], p, d))
    removed = [[False] * len(tokens) for tokens in docs]
    for occ in occurrences.values():
        if len(occ) > max_copies:
            for _, p, d in sorted(occ)[max_copies:]:
                for t in range(p, p + span):
                    removed[d][t] = True
    kept = [[t for t, gone in zip(tokens, marks, strict=True) if not gone]
            for tokens, marks in zip(docs, removed, strict=True)]
    return kept, removed


def reference_cut_text(text: str, removed: Sequence[bool], token_bytes: Sequence[int] | None) -> str:
    """The stripped text, character by character: with BPE (``token_bytes``: each token's UTF-8 length) a
    character goes with the token holding its first byte; with ``word`` (None) with the first token that ends
    after it, and characters after the last token stay."""
    out = []
    if token_bytes is not None:
        owner, at = [], 0
        for i, length in enumerate(token_bytes):
            owner += [i] * int(length)
        for ch in text:
            if not removed[owner[at]]:
                out.append(ch)
            at += len(ch.encode("utf-8"))
        return "".join(out)
    from corpussieve.repetition.tokenizers import _WORD_RE

    ends = [m.end() for m in _WORD_RE.finditer(text)]
    for j, ch in enumerate(text):
        owner = next((i for i, e in enumerate(ends) if e > j), None)
        if owner is None or not removed[owner]:
            out.append(ch)
    return "".join(out)
