"""The inspect job's Python stage as an Arrow batch function: what ``mapInArrow`` runs over the documents.

:func:`partial_figures` turns one Arrow batch of (text, source, language, url) into a few rows of partial sums
(``PARTIALS_DDL``): documents, empty documents, characters and tokens per (source, language), per registered
domain, per URL path depth and per power-of-two bin of tokens and of characters. Spark then sums the partials of
every batch (:mod:`corpussieve.inspect.stages`): nothing per document leaves the worker, and a batch of 10,000
documents becomes at most a few dozen rows plus one per distinct domain.

The tokenizer is loaded once per task (:func:`partials_map`); counting is the repetition job's tokenizer, so the
card's tokens are the tokens repetition and the training plan speak of.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from corpussieve.arrowutil import column
from corpussieve.clean.domain import registered_domain
from corpussieve.inspect.figures import length_bins, path_depth
from corpussieve.repetition.tokenizers import Tokenizer, get_tokenizer

if TYPE_CHECKING:
    from corpussieve.inspect.config import InspectConfig

Batches = Iterator[pa.RecordBatch]

NO_SOURCE = "(no source)"
"""The source of documents whose table has no ``source`` column, or whose source is null."""
NO_LANGUAGE = "(unknown)"
"""The language of documents whose table has no ``language`` column (clean sets it), or whose language is null."""
NO_DOMAIN = "(no domain)"
"""The domain of documents with no url, or a url with no usable host."""
NO_URL = "(no url)"
"""The path depth of documents with no url, or one that does not parse."""

KINDS = ("group", "domain", "depth", "token_bins", "char_bins")
"""What a partial row sums over: (source, language), registered domain, URL path depth, tokens bin, chars bin."""
SUMS = ("documents", "empty", "chars", "tokens")

PARTIALS_DDL = (
    "kind string, source string, language string, key string, documents long, empty long, chars long, "
    "tokens long, __sec_tokenize double, __sec_urls double"
)


def _strings(values: pa.Array | None, n: int, default: str) -> np.ndarray:
    if values is None:
        return np.full(n, default, dtype=object)
    out = np.array(values.cast(pa.string()).to_pylist(), dtype=object)
    out[pd.isna(out)] = default
    return out


def partial_figures(batch: pa.RecordBatch, tokenizer: Tokenizer) -> pa.RecordBatch:
    """The partial sums of one batch (``PARTIALS_DDL``). ``url``, ``source`` and ``language`` are optional
    columns; ``text`` is required. An empty document's text is null, empty or only whitespace (its whitespace
    still counts as characters and tokens)."""
    n = batch.num_rows
    texts = column(batch, "text")
    started = time.perf_counter()
    tokens = tokenizer.encode_batch(texts.to_pylist()).lengths()
    tokenize_seconds = time.perf_counter() - started
    chars = pc.fill_null(pc.utf8_length(texts), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    stripped = pc.fill_null(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0)
    empty = (stripped.to_numpy(zero_copy_only=False) == 0).astype(np.int64)
    frame = pd.DataFrame({
        "source": _strings(column(batch, "source"), n, NO_SOURCE),
        "language": _strings(column(batch, "language"), n, NO_LANGUAGE),
        "documents": np.ones(n, dtype=np.int64), "empty": empty,
        "chars": chars, "tokens": tokens,
    })
    started = time.perf_counter()
    urls = column(batch, "url")
    if urls is not None:
        url_list = urls.cast(pa.string()).to_pylist()
        frame["domain"] = [registered_domain(u) or NO_DOMAIN for u in url_list]
        depths = [path_depth(u) for u in url_list]
        frame["depth"] = [NO_URL if d is None else str(d) for d in depths]
    url_seconds = time.perf_counter() - started
    frame["token_bins"] = length_bins(tokens).astype(str)
    frame["char_bins"] = length_bins(chars).astype(str)

    parts = []
    group = frame.groupby(["source", "language"], sort=False)[list(SUMS)].sum().reset_index()
    group["kind"], group["key"] = "group", None
    parts.append(group)
    for kind in ("domain", "depth", "token_bins", "char_bins"):
        if kind not in frame:
            continue
        sums = frame.groupby(kind, sort=False)[list(SUMS)].sum().reset_index().rename(columns={kind: "key"})
        sums["kind"], sums["source"], sums["language"] = kind, None, None
        parts.append(sums)
    out = pd.concat(parts, ignore_index=True)
    # the batch's worker seconds ride on its first row: summed over rows they are the task's
    seconds = np.zeros((len(out), 2))
    if len(out):
        seconds[0] = (tokenize_seconds, url_seconds)
    return pa.RecordBatch.from_arrays(
        [pa.array(out["kind"], pa.string()), pa.array(out["source"], pa.string()),
         pa.array(out["language"], pa.string()), pa.array(out["key"], pa.string()),
         *[pa.array(out[name].to_numpy(np.int64), pa.int64()) for name in SUMS],
         pa.array(seconds[:, 0], pa.float64()), pa.array(seconds[:, 1], pa.float64())],
        names=["kind", "source", "language", "key", *SUMS, "__sec_tokenize", "__sec_urls"])


def partials_map(config: InspectConfig) -> Callable[[Batches], Batches]:
    """mapInArrow over (text[, source][, language][, url]): rows of ``PARTIALS_DDL``, the tokenizer loaded once
    per task."""
    name = config.tokenizer

    def run(batches: Batches) -> Batches:
        tokenizer = get_tokenizer(name)
        for batch in batches:
            if batch.num_rows:
                yield partial_figures(batch, tokenizer)

    return run
