"""Which tokens of each document are repeated, how often, where from, and the maximal repeated spans.

Inputs are per window (aligned with a :class:`~corpussieve.repetition.windows.WindowBatch`): the window's
corpus-wide **count** (occurrences of its hash anywhere, each position counted, several in one document
included) and its **local count** (occurrences inside its own document). Everything is vectorized over the
whole batch on the global token axis; no Python loop runs per token, window or document.

Definitions (the brute-force reference in :mod:`corpussieve.repetition.reference` implements the same)
-------------------------------------------------------------------------------------------------------
* A window covers its ``L = span_tokens`` tokens. A window is **repeated** when its count is >= 2.
* A token's **count** ``M(t)`` is the largest count among the windows covering it (0 when no window covers
  it, i.e. in a document shorter than L). The token is **repeated** when ``M(t) >= 2``.
* A repeated token is **cross-document** when at least one repeated window covering it also occurs in
  another document (count > local count), and **within-document** otherwise: every repeated window over it
  occurs only inside this document (>= 2 times). Within + cross = repeated.
* **Excess** is what keep-one dedup would save: a repeated token contributes ``1 - 1/M(t)``. For a span of S
  tokens copied exactly c times (each copy in a context that differs), the c copies contribute
  ``c * S * (1 - 1/c) = (c - 1) * S`` tokens: all copies but the first. Where windows of different counts
  overlap, the most repeated one governs, as dedup at the most repeated window would.
* **Maximal spans**: repeated windows of a document chained while each next one starts before the previous
  one ends (they share at least one token); a span runs from the first window's start to the last one's end.
  A span records its windows' minimum and maximum count, its **key hash** (the hash of its most repeated
  window, ties to the smallest hash: the same text gives the same key in every document, so spans can be
  clustered corpus-wide) and whether it is cross-document (some window also occurs in another document).
* **Multiplicity buckets** ``2, 3-9, 10-99, 100-999, 1000-9999, 10000+``: a span falls in the bucket of its
  maximum count; a repeated token's mass falls in the bucket of ``M(t)``, so the masses sum to the repeated
  tokens exactly.
* **Effective repeats** (training view): a window's effective count is the sum, over its occurrences, of
  the passes the training plan makes over each occurrence's source (without a plan every pass is 1 and the
  effective count equals the count). A token's effective repeats ``E(t)`` is the largest effective count of
  a window covering it, and at least its own document's passes (a token no repeated window covers is seen
  once per pass). Each corpus token stands for ``passes`` training tokens, which is its weight in the
  effective-repeat mass table.

Determinism: integer figures and count tables are exact, so merging batches gives the same totals however
the corpus is split. Effective counts and training-token masses are floats: exact for integer or dyadic
passes (1, 2, 0.5, 3.25, ...); for other passes (a plan weight giving 1/3 pass) they can differ in the last
bits with the order in which a distributed sum adds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from corpussieve.repetition.tokenizers import TokenBatch
from corpussieve.repetition.windows import WindowBatch, weighted_counts, window_counts, window_hashes

BUCKET_LABELS: tuple[str, ...] = ("2", "3-9", "10-99", "100-999", "1000-9999", "10000+")
BUCKET_LOWER = np.array([2, 3, 10, 100, 1000, 10000], dtype=np.int64)
"""Smallest count of each multiplicity bucket."""


def multiplicity_bucket(counts: np.ndarray) -> np.ndarray:
    """Bucket index (0..5) of each count >= 2."""
    return np.searchsorted(BUCKET_LOWER, np.asarray(counts), side="right") - 1


@dataclass(frozen=True)
class MassTable:
    """A weighted distribution over values: ``mass[i]`` tokens have ``values[i]`` (sorted, unique).

    Tables from different batches merge exactly (``a + b``), so corpus figures derived from a table do not
    depend on how the corpus was split.
    """

    values: np.ndarray
    mass: np.ndarray

    @classmethod
    def empty(cls) -> MassTable:
        return cls(np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.float64))

    @classmethod
    def from_values(cls, values: np.ndarray, weights: np.ndarray | None = None) -> MassTable:
        """Tabulate ``values`` (each weighing 1, or its entry of ``weights``)."""
        values = np.asarray(values, dtype=np.float64)
        n = values.size
        if n == 0:
            return cls.empty()
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
        # Per-token values come in long runs (a document's unrepeated stretch, a repeated span), so collapse
        # runs before sorting: the sort then sees runs, not tokens.
        change = np.ones(n, dtype=bool)
        change[1:] = (values[1:] != values[:-1]) | (w[1:] != w[:-1])
        starts = np.flatnonzero(change)
        run_mass = w[starts] * np.diff(np.append(starts, n))
        unique, inverse = np.unique(values[starts], return_inverse=True)
        return cls(unique, np.bincount(inverse, weights=run_mass, minlength=unique.size).astype(np.float64))

    def __add__(self, other: MassTable) -> MassTable:
        return MassTable.from_values(
            np.concatenate([self.values, other.values]), np.concatenate([self.mass, other.mass])
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, MassTable)
            and np.array_equal(self.values, other.values)
            and np.array_equal(self.mass, other.mass)
        )

    def __hash__(self) -> int:
        return hash((self.values.tobytes(), self.mass.tobytes()))

    def total(self) -> float:
        return float(self.mass.sum())

    def mass_between(self, low: float, high: float) -> float:
        """Mass of values in the closed interval [low, high]."""
        inside = (self.values >= low) & (self.values <= high)
        return float(self.mass[inside].sum())

    def bucketed(self, edges: np.ndarray) -> np.ndarray:
        """Mass per bucket ``[edges[i], edges[i+1])``; values outside every bucket are dropped."""
        edges = np.asarray(edges, dtype=np.float64)
        index = np.searchsorted(edges, self.values, side="right") - 1
        keep = (index >= 0) & (index < edges.size - 1)
        return np.bincount(index[keep], weights=self.mass[keep], minlength=edges.size - 1)

    def to_dict(self) -> dict[str, list[float]]:
        return {"values": self.values.tolist(), "mass": self.mass.tolist()}


@dataclass(frozen=True)
class SpanBatch:
    """Maximal repeated spans, ordered by document then start (token positions; ``end`` exclusive)."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    windows: np.ndarray
    """Repeated windows chained into the span."""
    min_count: np.ndarray
    max_count: np.ndarray
    key_hash: np.ndarray
    """uint64 hash of the span's most repeated window (ties: smallest hash)."""
    cross_document: np.ndarray
    """bool: some window of the span also occurs in another document."""

    def __len__(self) -> int:
        return self.doc.size

    def lengths(self) -> np.ndarray:
        return self.end - self.start

    def rows(self) -> list[tuple[int, int, int, int, int, int, int, bool]]:
        """(doc, start, end, windows, min_count, max_count, key_hash, cross_document) per span."""
        return [
            (int(d), int(s), int(e), int(w), int(lo), int(hi), int(k), bool(c))
            for d, s, e, w, lo, hi, k, c in zip(
                self.doc,
                self.start,
                self.end,
                self.windows,
                self.min_count,
                self.max_count,
                self.key_hash,
                self.cross_document,
                strict=True,
            )
        ]


@dataclass(frozen=True)
class DocumentFigures:
    """Per-document figures (arrays, one entry per document of the batch)."""

    tokens: np.ndarray
    windows: np.ndarray
    repeated_tokens: np.ndarray
    within_document_tokens: np.ndarray
    cross_document_tokens: np.ndarray
    excess_tokens: np.ndarray
    """float: sum over repeated tokens of 1 - 1/M(t)."""
    max_count: np.ndarray
    """Largest window count in the document (0: no windows)."""
    spans: np.ndarray

    @property
    def unrepeatable(self) -> np.ndarray:
        """Documents shorter than one span: no window, so no repeat can be detected."""
        return self.windows == 0


@dataclass(frozen=True)
class RepetitionFigures:
    """Totals over documents; ``a + b`` merges batches exactly (integers and mass tables)."""

    documents: int = 0
    tokens: int = 0
    windows: int = 0
    unrepeatable_documents: int = 0
    unrepeatable_tokens: int = 0
    repeated_tokens: int = 0
    within_document_tokens: int = 0
    cross_document_tokens: int = 0
    max_count: int = 0
    spans: int = 0
    bucket_spans: tuple[int, ...] = (0,) * len(BUCKET_LABELS)
    bucket_tokens: tuple[int, ...] = (0,) * len(BUCKET_LABELS)
    count_mass: MassTable = field(default_factory=MassTable.empty)
    """Tokens per token count M(t) (1 for tokens no repeated window covers, incl. unrepeatable ones)."""
    effective_mass: MassTable = field(default_factory=MassTable.empty)
    """Training tokens per effective repeat count E(t)."""

    def __add__(self, other: RepetitionFigures) -> RepetitionFigures:
        merged = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "max_count":
                merged[f.name] = max(a, b)
            elif isinstance(a, tuple):
                merged[f.name] = tuple(x + y for x, y in zip(a, b, strict=True))
            else:
                merged[f.name] = a + b
        return RepetitionFigures(**merged)

    @property
    def excess_tokens(self) -> float:
        """Tokens keep-one dedup would remove: sum over repeated tokens of 1 - 1/M(t) (from ``count_mass``)."""
        repeated = self.count_mass.values >= 2
        return float(np.sum(self.count_mass.mass[repeated] * (1.0 - 1.0 / self.count_mass.values[repeated])))

    @property
    def repeated_token_fraction(self) -> float:
        return self.repeated_tokens / self.tokens if self.tokens else 0.0

    @property
    def training_tokens(self) -> float:
        """Corpus tokens weighted by the passes over their source."""
        return self.effective_mass.total()

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, MassTable):
                out[f.name] = value.to_dict()
            elif isinstance(value, tuple):
                out[f.name] = dict(zip(BUCKET_LABELS, value, strict=True))
            else:
                out[f.name] = value
        out["excess_tokens"] = self.excess_tokens
        out["repeated_token_fraction"] = self.repeated_token_fraction
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RepetitionFigures:
        """The inverse of :meth:`to_dict` (derived entries are ignored); floats survive JSON exactly."""
        values: dict[str, object] = {}
        for f in fields(cls):
            value = data[f.name]
            if isinstance(f.default, tuple):
                values[f.name] = tuple(int(value[label]) for label in BUCKET_LABELS)  # type: ignore[index]
            elif f.name in ("count_mass", "effective_mass"):
                values[f.name] = MassTable(
                    np.asarray(value["values"], dtype=np.float64),  # type: ignore[index]
                    np.asarray(value["mass"], dtype=np.float64),  # type: ignore[index]
                )
            else:
                values[f.name] = int(value)  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CoverageResult:
    documents: DocumentFigures
    spans: SpanBatch
    figures: RepetitionFigures


def trailing_max(values: np.ndarray, width: int) -> np.ndarray:
    """``out[k] = max(values[max(0, k-width+1) : k+1])`` for non-negative values (van Herk / Gil-Werman).

    Three vectorized passes whatever the width: per block of ``width`` elements a prefix maximum and a
    suffix maximum; any trailing window spans at most two blocks.
    """
    n = values.size
    if n == 0 or width <= 1:
        return values.copy()
    blocks = -(-n // width)
    padded = np.zeros(blocks * width, dtype=values.dtype)
    padded[:n] = values
    grid = padded.reshape(blocks, width)
    prefix = np.maximum.accumulate(grid, axis=1).ravel()
    suffix = np.maximum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    out = prefix[:n].copy()
    if n >= width:
        out[width - 1 :] = np.maximum(suffix[: n - width + 1], prefix[width - 1 : n])
    return out


def coverage(
    windows: WindowBatch,
    counts: np.ndarray,
    local_counts: np.ndarray,
    *,
    effective_counts: np.ndarray | None = None,
    passes: np.ndarray | None = None,
) -> CoverageResult:
    """Per-document figures, maximal spans and batch totals from each window's corpus and local counts.

    ``windows`` may hold every window of its documents, or only some of them: a window left out counts as
    seen once (count 1, local count 1, effective count = its document's passes). The Spark job passes only
    the repeated windows, so the work here grows with the repeated tokens, not with the batch.

    ``passes`` (per document, default 1) are the plan's passes over each document's source;
    ``effective_counts`` (per window) are the windows' effective repeat counts (see
    :func:`~corpussieve.repetition.windows.weighted_counts`), by default ``counts * passes``, which is exact
    when every copy of a window sits in sources with the same passes.
    """
    span = windows.span_tokens
    counts = np.asarray(counts, dtype=np.int64)
    local = np.asarray(local_counts, dtype=np.int64)
    if counts.shape != windows.hashes.shape or local.shape != windows.hashes.shape:
        raise ValueError("counts and local_counts must have one entry per window")
    if np.any(local < 1) or np.any(counts < local):
        raise ValueError("need 1 <= local_counts <= counts for every window")
    docs = windows.documents
    lengths = np.diff(windows.token_offsets)
    n_tokens = int(windows.token_offsets[-1])
    doc_passes = np.ones(docs) if passes is None else np.asarray(passes, dtype=np.float64)
    if doc_passes.shape != (docs,) or np.any(doc_passes <= 0):
        raise ValueError("passes must hold one positive value per document")
    if effective_counts is None:
        effective = counts * doc_passes[windows.doc]
    else:
        effective = np.asarray(effective_counts, dtype=np.float64)
        if effective.shape != counts.shape:
            raise ValueError("effective_counts must have one entry per window")

    window_per_doc = np.maximum(lengths - span + 1, 0)
    has_windows = window_per_doc > 0
    # Every window a document has counts at least once, listed or not.
    max_count = has_windows.astype(np.int64)
    listed = np.diff(windows.offsets) > 0
    if counts.size:
        max_count[listed] = np.maximum(max_count[listed], np.maximum.reduceat(counts, windows.offsets[:-1][listed]))

    rep = np.flatnonzero(counts >= 2)
    spans, region = _maximal_spans(windows, counts, local, rep)
    token_count, token_cross, token_effective, token_doc = _region_tokens(
        region, span, counts[rep], (counts - local)[rep], effective[rep], doc_passes
    )
    excess_per_token = 1.0 - 1.0 / token_count
    repeated_per_doc = np.bincount(spans.doc, weights=spans.lengths(), minlength=docs).astype(np.int64)
    cross_per_doc = np.bincount(token_doc[token_cross], minlength=docs).astype(np.int64)
    documents = DocumentFigures(
        tokens=lengths.copy(),
        windows=window_per_doc,
        repeated_tokens=repeated_per_doc,
        within_document_tokens=repeated_per_doc - cross_per_doc,
        cross_document_tokens=cross_per_doc,
        excess_tokens=np.bincount(token_doc, weights=excess_per_token, minlength=docs),
        max_count=max_count,
        spans=np.bincount(spans.doc, minlength=docs).astype(np.int64),
    )
    # Tokens no repeated window covers: count 1 (or none), effective repeats = their document's passes.
    plain_per_doc = lengths - repeated_per_doc
    plain_docs = plain_per_doc > 0
    plain_tokens = int(plain_per_doc.sum())
    count_mass = MassTable.from_values(token_count)
    if plain_tokens:
        count_mass = count_mass + MassTable(np.ones(1), np.array([float(plain_tokens)]))
    effective_mass = MassTable.from_values(token_effective, doc_passes[token_doc]) + MassTable.from_values(
        doc_passes[plain_docs], doc_passes[plain_docs] * plain_per_doc[plain_docs]
    )
    unrepeatable = ~has_windows
    figures = RepetitionFigures(
        documents=docs,
        tokens=n_tokens,
        windows=int(window_per_doc.sum()),
        unrepeatable_documents=int(unrepeatable.sum()),
        unrepeatable_tokens=int(lengths[unrepeatable].sum()),
        repeated_tokens=int(repeated_per_doc.sum()),
        within_document_tokens=int(documents.within_document_tokens.sum()),
        cross_document_tokens=int(cross_per_doc.sum()),
        max_count=int(max_count.max()) if docs else 0,
        spans=len(spans),
        bucket_spans=_bucket_tuple(spans.max_count),
        bucket_tokens=_bucket_tuple(token_count),
        count_mass=count_mass,
        effective_mass=effective_mass,
    )
    return CoverageResult(documents, spans, figures)


def _bucket_tuple(counts: np.ndarray) -> tuple[int, ...]:
    hist = np.bincount(multiplicity_bucket(counts), minlength=len(BUCKET_LABELS)) if counts.size else None
    return tuple(int(x) for x in hist) if hist is not None else (0,) * len(BUCKET_LABELS)


@dataclass(frozen=True)
class _Regions:
    """The repeated windows placed on a compact axis: the maximal spans laid end to end, ``span`` apart."""

    window_at: np.ndarray
    """Compact position of each repeated window's first token."""
    token_at: np.ndarray
    """Compact position of each repeated token (spans in order, tokens in order)."""
    token_doc: np.ndarray
    size: int


def _maximal_spans(
    windows: WindowBatch, counts: np.ndarray, local: np.ndarray, picked: np.ndarray
) -> tuple[SpanBatch, _Regions]:
    span = windows.span_tokens
    if picked.size == 0:
        z = np.zeros(0, dtype=np.int64)
        empty = SpanBatch(z, z, z, z, z, z, np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool))
        return empty, _Regions(z, z, z, 0)
    doc = windows.doc[picked]
    pos = windows.pos[picked]
    c = counts[picked]
    h = windows.hashes[picked]
    # Windows are ordered by (doc, pos); a new span starts at a new document or after a gap.
    new = np.ones(picked.size, dtype=bool)
    new[1:] = (doc[1:] != doc[:-1]) | (pos[1:] >= pos[:-1] + span)
    first = np.flatnonzero(new)
    last = np.append(first[1:], picked.size) - 1
    span_id = np.cumsum(new) - 1
    # Key window: highest count, then smallest hash, within each span (two segmented reductions, no sort).
    max_count = np.maximum.reduceat(c, first)
    key_hash = np.minimum.reduceat(np.where(c == max_count[span_id], h, np.uint64(2**64 - 1)), first)
    is_cross = (counts - local)[picked] > 0
    starts, ends = pos[first], pos[last] + span
    spans = SpanBatch(
        doc=doc[first],
        start=starts,
        end=ends,
        windows=(last - first + 1).astype(np.int64),
        min_count=np.minimum.reduceat(c, first),
        max_count=max_count,
        key_hash=key_hash,
        cross_document=np.logical_or.reduceat(is_cross, first),
    )
    # Every token of a span lies under one of its windows, and no window reaches another span, so spans can
    # be laid out apart from each other: a gap of ``span`` keeps a trailing maximum from crossing over.
    lengths = ends - starts
    base = np.zeros(first.size, dtype=np.int64)
    np.cumsum(lengths[:-1] + span, out=base[1:])
    window_at = base[span_id] + (pos - starts[span_id])
    token_at = np.repeat(base - np.append(0, np.cumsum(lengths)[:-1]), lengths) + np.arange(int(lengths.sum()))
    regions = _Regions(window_at, token_at, np.repeat(doc[first], lengths), int(base[-1] + lengths[-1]))
    return spans, regions


def _region_tokens(
    region: _Regions, span: int, counts: np.ndarray, outside: np.ndarray, effective: np.ndarray, passes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per repeated token: its count M(t), whether it is cross-document, its effective repeats E(t), its doc.

    A trailing maximum over ``span`` start positions is exactly "over the windows covering this token".
    """
    axis = np.zeros(region.size, dtype=np.int64)
    axis[region.window_at] = counts
    token_count = trailing_max(axis, span)[region.token_at]
    axis[:] = 0
    axis[region.window_at] = outside
    token_cross = trailing_max(axis, span)[region.token_at] > 0
    del axis
    eff_axis = np.zeros(region.size, dtype=np.float64)
    eff_axis[region.window_at] = effective
    token_effective = np.maximum(trailing_max(eff_axis, span)[region.token_at], passes[region.token_doc])
    return token_count, token_cross, token_effective, region.token_doc


def coverage_of_batch(tokens: TokenBatch, span_tokens: int, passes: np.ndarray | None = None) -> CoverageResult:
    """Single-machine path: the batch is the whole corpus, so counts come from the batch itself.

    The Spark job computes the same counts with a shuffle over the whole corpus instead.
    """
    windows = window_hashes(tokens, span_tokens)
    counts, local = window_counts(windows.hashes, windows.doc)
    effective = None
    if passes is not None:
        effective = weighted_counts(windows.hashes, np.asarray(passes, dtype=np.float64)[windows.doc])
    return coverage(windows, counts, local, effective_counts=effective, passes=passes)
