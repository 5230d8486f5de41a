"""HTML to main text: trafilatura in precision mode, wrapped in DOM pre-cleaning and line post-cleaning.

One page at a time, with no state carried between pages: trafilatura's ``deduplicate`` cache (a
process-wide LRU, trafilatura issue #778) is never enabled, so a page's text does not depend on
which pages the worker saw before. trafilatura's other ``lru_cache``s (``trim``, ``line_processing``,
``return_printables_and_spaces``, ``is_similar_domain``, the justext stoplist and htmldate caches)
memoize pure functions of their arguments, so they change speed, never output; a test extracts
pages in different orders to hold that.

Two passes at most. The first is trafilatura's precision mode without its comparison against
readability and jusText (``fast``): on pages with a main text that comparison almost never changes
the answer, and it costs about 40% of extraction time. A page whose first pass returns too little
(``fallback_below_chars``) gets the second: balanced mode with the comparison, kept if longer.

Every failure is a reason, never an exception: ``extract:empty_input``, ``extract:too_large``,
``extract:binary``, ``extract:not_html``, ``extract:too_many_nodes``, ``extract:timeout``,
``extract:failed`` and ``extract:no_main_text`` (declared in ``corpussieve.clean.reasons``).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from corpussieve.clean.boilerplate import drop_boilerplate_lines
from corpussieve.clean.config import ExtractionConfig
from corpussieve.clean.domclean import preclean_tree
from corpussieve.clean.reasons import EXTRACT
from corpussieve.clean.timelimit import TimeLimitExceeded, time_limit

LOG = logging.getLogger(__name__)

# Control characters other than tab/newline/CR, plus U+FFFD (what undecodable bytes became).
_BINARY_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
_TAG = re.compile(r"<\s*[a-zA-Z!/?][^>]{0,200}>")
_SNIFF_CHARS = 8192
_MAX_BINARY_SHARE = 0.05
_TITLE_LINES = 3
_TITLE_SUBSTRING_MIN_CHARS = 20


@dataclass
class Extraction:
    """The main text of one page, or why there is none."""

    text: str | None
    reason: str | None = None
    mode: str | None = None
    removed: dict[str, int] = field(default_factory=dict)


_EXTRACTORS: dict[tuple[Any, ...], Any] = {}


def _extractor(*, precision: bool, comments: bool, tables: bool, compare: bool = True) -> Any:
    """trafilatura's options object, built once per worker process and key (it is read-only in use).

    ``compare``: trafilatura checks its extraction against readability and jusText (``fast=False``).
    """
    key = (precision, comments, tables, compare)
    if key not in _EXTRACTORS:
        import trafilatura  # noqa: F401  (the whole package, so extraction itself imports nothing)
        from trafilatura.settings import Extractor

        # a rejected page is reported as a reason; trafilatura's own per-page log lines would flood
        # the worker logs with one warning per page
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        _EXTRACTORS[key] = Extractor(
            output_format="txt", precision=precision, comments=comments, tables=tables, dedup=False, fast=not compare
        )
    return _EXTRACTORS[key]


def _first_pass(cfg: ExtractionConfig) -> Any:
    """The options of the first (precision) pass under ``cfg``."""
    return _extractor(
        precision=cfg.favor_precision,
        comments=cfg.include_comments,
        tables=cfg.include_tables,
        compare=cfg.compare_every_page,
    )


def sniff_page(html: str | bytes | None, max_page_bytes: int) -> tuple[str | None, str | None]:
    """(decoded page, None) if the page is worth parsing, else (None, reason)."""
    if html is None:
        return None, EXTRACT["empty_input"]
    if isinstance(html, (bytes, bytearray, memoryview)):
        raw = bytes(html)
        if len(raw) > max_page_bytes:
            return None, EXTRACT["too_large"]
        html = raw.decode("utf-8", errors="replace")
    if not isinstance(html, str):
        return None, EXTRACT["empty_input"]
    if not html.strip():
        return None, EXTRACT["empty_input"]
    # characters <= bytes, so only a page near the cap needs encoding to be measured
    near_cap = len(html) * 4 > max_page_bytes
    if len(html) > max_page_bytes or (near_cap and len(html.encode("utf-8", "replace")) > max_page_bytes):
        return None, EXTRACT["too_large"]
    head = html[:_SNIFF_CHARS]
    if len(_BINARY_CHARS.findall(head)) > _MAX_BINARY_SHARE * len(head):
        return None, EXTRACT["binary"]
    if not _TAG.search(head) and not _TAG.search(html[-_SNIFF_CHARS:]):
        return None, EXTRACT["not_html"]
    return html, None


def page_titles(tree: Any) -> list[str]:
    """The page's title candidates: <title>, og:title/twitter:title and each <h1>, whitespace-squeezed."""
    found = [tree.findtext(".//title") or ""]
    found += tree.xpath('//meta[@property="og:title" or @name="twitter:title" or @name="title"]/@content')
    found += [h.text_content() for h in tree.iter("h1")]
    return [squeezed for text in found if (squeezed := " ".join(str(text).split()))]


def drop_title_lines(lines: list[str], titles: Sequence[str]) -> tuple[list[str], int]:
    """Remove lines among the first few that repeat a title (whole, or as the start of '<title> | Site')."""
    if not titles:
        return lines, 0
    folded = [t.casefold() for t in titles]
    kept, dropped, seen = [], 0, 0
    for line in lines:
        squeezed = " ".join(line.split()).casefold()
        if squeezed and seen < _TITLE_LINES:
            seen += 1
            if any(squeezed == t or (len(squeezed) >= _TITLE_SUBSTRING_MIN_CHARS and squeezed in t) for t in folded):
                dropped += 1
                continue
        kept.append(line)
    return kept, dropped


def _run_trafilatura(tree: Any, options: Any) -> str:
    from trafilatura import extract

    return extract(tree, options=options) or ""


def _two_passes(tree: Any, cfg: ExtractionConfig) -> tuple[str, str]:
    """The precision pass, then balanced mode with trafilatura's comparison if it returned too little."""
    text, mode = _run_trafilatura(tree, _first_pass(cfg)), "precision" if cfg.favor_precision else "balanced"
    if cfg.recall_fallback and cfg.favor_precision and len(text) < cfg.fallback_below_chars:
        balanced = _run_trafilatura(
            tree, _extractor(precision=False, comments=cfg.include_comments, tables=cfg.include_tables, compare=True)
        )
        if len(balanced) > len(text):
            text, mode = balanced, "balanced_fallback"
    return text, mode


def _extract_tree(html: str, cfg: ExtractionConfig) -> Extraction:
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return Extraction(None, EXTRACT["not_html"])
    nodes = int(tree.xpath("count(//*)"))  # counted by libxml2, without a Python object per element
    if nodes > cfg.max_tree_nodes:
        return Extraction(None, EXTRACT["too_many_nodes"])
    titles = page_titles(tree) if cfg.drop_title else []
    removed: Counter[str] = preclean_tree(
        tree,
        drop_hidden=cfg.drop_hidden,
        drop_boilerplate_blocks=cfg.drop_boilerplate_blocks,
        drop_link_lists=cfg.drop_link_lists,
        max_link_list_density=cfg.max_link_list_density,
        protect_main_share=cfg.protect_main_share,
    )
    text, mode = _two_passes(tree, cfg)
    text = _postclean(text, titles, cfg, removed)
    if cfg.unprecleaned_fallback and not text and sum(removed.values()) > removed["protected"]:
        # Pre-cleaning judged the page by class names and paragraph lengths; on a short article (paragraphs
        # under the guard's 80 characters) a misleading class can take the article with it. It may never turn
        # a page with a main text into one without: extract the page as it came. Only when nothing is left,
        # so it never adds chrome to a page that has a text (on aeb-dev's pages cut to short articles: 1 empty
        # output per fold -> 0, on both folds; README "Generalization: fold by fold").
        raw = load_html(html)
        if raw is not None:
            raw_text, raw_mode = _two_passes(raw, cfg)
            raw_removed: Counter[str] = Counter()
            raw_text = _postclean(raw_text, titles, cfg, raw_removed)
            if raw_text:
                # what was removed is what the post-cleaning removed from this extraction (nothing was pre-cleaned)
                text, mode, removed = raw_text, f"{raw_mode}_unprecleaned", raw_removed
    counts_out = {k: v for k, v in removed.items() if v}
    if not text:
        return Extraction(None, EXTRACT["no_main_text"], mode, counts_out)
    return Extraction(text, None, mode, counts_out)


def _postclean(text: str, titles: Sequence[str], cfg: ExtractionConfig, removed: Counter[str]) -> str:
    """Title lines and the universal boilerplate line patterns dropped from an extraction (counted in
    ``removed``), blank lines squeezed."""
    lines = text.split("\n")
    if cfg.drop_title:
        lines, removed["title_lines"] = drop_title_lines(lines, titles)
    if cfg.drop_boilerplate_lines:
        lines, counts = drop_boilerplate_lines(lines)
        removed["boilerplate_lines"] = sum(counts.values())
    return "\n".join(line for line in lines if line.strip()).strip()


def extract_main_text(html: str | bytes | None, cfg: ExtractionConfig | None = None) -> Extraction:
    """The main text of one HTML page under ``cfg``'s size caps and time limit; never raises."""
    cfg = cfg or ExtractionConfig()
    page, reason = sniff_page(html, cfg.max_page_bytes)
    if page is None:
        return Extraction(None, reason)
    # the first page of a worker imports trafilatura (about a second): never on the page's clock
    _first_pass(cfg)
    try:
        with time_limit(cfg.timeout_seconds):
            return _extract_tree(page, cfg)
    except TimeLimitExceeded:
        return Extraction(None, EXTRACT["timeout"])
    except RecursionError:
        return Extraction(None, EXTRACT["failed"])
    except Exception as exc:  # a parser bug on one page must not fail the stage
        LOG.debug("extraction failed: %s: %s", type(exc).__name__, exc)
        return Extraction(None, EXTRACT["failed"])


def extract_batch(htmls: Sequence[str | bytes | None], cfg: ExtractionConfig | None = None) -> list[Extraction]:
    """``extract_main_text`` over a batch; each page is independent of the others and of the batch."""
    cfg = cfg or ExtractionConfig()
    return [extract_main_text(html, cfg) for html in htmls]
