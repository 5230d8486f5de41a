"""The article-extraction benchmark's scoring: token 4-gram multisets, per-page normalisation.

1. Tokens are the regex ``\\w+`` matches, case-sensitive.
2. Each text becomes a multiset of token 4-grams.
3. Per page, tp/fp/fn between the predicted and true multisets are divided by tp+fp+fn, so every
   page weighs the same.
4. Precision is the mean of tp/(tp+fp) over pages where tp+fp > 0 (an empty prediction drops out),
   recall the mean of tp/(tp+fn) over pages where tp+fn > 0; F1 is the harmonic mean of the means.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class ExtractionScore:
    """Benchmark scores over a set of pages."""

    f1: float
    precision: float
    recall: float
    pages: int
    empty: int

    def __str__(self) -> str:
        return (f"F1 {self.f1:.4f}  P {self.precision:.4f}  R {self.recall:.4f}  "
                f"empty {self.empty}/{self.pages}")


def token_ngrams(text: str | None, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of token n-grams of a text (empty for None)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_score(predicted: str | None, truth: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page; None where the benchmark leaves the page out of the mean."""
    pred, true = token_ngrams(predicted), token_ngrams(truth)
    tp = sum((pred & true).values())
    fp = sum(pred.values()) - tp
    fn = sum(true.values()) - tp
    precision = tp / (tp + fp) if tp + fp > 0 else None
    recall = tp / (tp + fn) if tp + fn > 0 else None
    return precision, recall


def score_extractions(predictions: Mapping[str, str | None], truths: Mapping[str, str]) -> ExtractionScore:
    """Score predictions (page key -> text or None) against the true article bodies (same keys)."""
    precisions, recalls, empty = [], [], 0
    for key, truth in truths.items():
        predicted = predictions.get(key)
        if not (predicted or "").strip():
            empty += 1
        precision, recall = page_score(predicted, truth)
        if precision is not None:
            precisions.append(precision)
        if recall is not None:
            recalls.append(recall)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return ExtractionScore(f1, p, r, len(truths), empty)


def load_aeb_dev(folder: str | Path) -> dict[str, dict[str, str]] | None:
    """The aeb-dev pages of ``folder`` (``ground-truth.json`` and ``html/KEY.html.gz``) as
    ``{key: {"html", "truth", "url"}}`` in key order; None when the folder holds no ground truth."""
    folder = Path(folder)
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        return None
    truths = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = {}
    for key in sorted(truths):
        with gzip.open(folder / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as fh:
            pages[key] = {"html": fh.read(), "truth": truths[key]["articleBody"], "url": truths[key].get("url")}
    return pages


_SHORT_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figure", "table", "pre")
#: a paragraph counts as one of the article's when its text (whitespace-squeezed) is this long and found in
#: the true body
_SHORT_MIN_PARAGRAPH = 40


def short_article_page(html: str, truth: str, keep: int) -> tuple[str, str] | None:
    """The page with its article cut, in the DOM, to its first ``keep`` paragraphs, and the new true body:
    what a short news item, a brief or a paywall teaser looks like on the same site, with all of the site's
    chrome left in place. None when the page has fewer than ``keep + 2`` article paragraphs to cut from.

    Article paragraphs are the ``<p>`` whose text is in the true body; after the last kept one, every block
    (paragraph, heading, list item, quote, figure, table, code) whose text is in the true body goes. Used to
    measure extraction on short articles without new pages (the unseen kinds of issue 14).
    """
    import lxml.html

    def squeeze(text: str) -> str:
        return " ".join(text.split())

    body = squeeze(truth)
    tree = lxml.html.fromstring(html)
    paragraphs = [p for p in tree.iter("p")
                  if len(text := squeeze(p.text_content())) >= _SHORT_MIN_PARAGRAPH and text in body]
    if len(paragraphs) < keep + 2:
        return None
    kept = paragraphs[:keep]
    doomed, after = [], False
    for element in tree.iter(*_SHORT_BLOCKS):
        if element is kept[-1]:
            after = True
        elif after and (text := squeeze(element.text_content())) and text in body:
            doomed.append(element)
    chosen = set(doomed)
    for element in doomed:
        if element.getparent() is not None and not any(a in chosen for a in element.iterancestors()):
            element.drop_tree()
    return lxml.html.tostring(tree, encoding="unicode"), "\n".join(squeeze(p.text_content()) for p in kept)
