"""DOM pre-cleaning before main-text extraction: remove what a reader never sees or never reads.

Three rules, each about how pages are built rather than about any one site:

* hidden elements: the ``hidden`` attribute, ``aria-hidden="true"``, inline ``display:none`` or
  ``visibility:hidden``, and the usual screen-reader-only/hidden utility classes;
* boilerplate blocks: an element whose class or id *names* a boilerplate widget (share buttons,
  related links, newsletter sign-up, cookie banner, tag list, byline, caption, ...). Class names
  are split into words (``article__share-bar`` -> article, share, bar), so ``shareholder`` never
  matches, and CMS taxonomy classes (``tag-amazon``, ``category-news``) are skipped because they
  describe the post, not the widget;
* link lists: a ``ul``/``ol`` whose text is nearly all link text (navigation, "more stories").

A guard makes the rules safe on unseen templates: an element holding a large share of the page's
paragraph text is never removed, whatever its class says (a ``<div class="post comments-on">``
wrapping the whole article keeps its article).
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree
from lxml.html import HtmlElement

_COMPONENT_SPLIT = re.compile(r"[-_\s:.]+|(?<=[a-z])(?=[A-Z])")
_TAXONOMY_CLASS = re.compile(
    r"^(?:tag|tags|category|categories|cat|post|postid|page|pageid|format|type|status|author|single|has|term"
    r"|topic|section)[-_]",
    re.IGNORECASE,
)
BOILERPLATE_CLASS_WORDS = frozenset(
    {
        "cookie", "cookies", "consent", "gdpr", "cmp",
        "newsletter", "subscribe", "subscription", "signup", "paywall", "regwall",
        "share", "sharing", "sharebar", "shares", "social", "socials",
        "related", "recirc", "recirculation", "recommended", "recommendations", "outbrain", "taboola",
        "promo", "promotion", "advert", "advertisement", "ad", "ads", "adslot", "sponsor", "sponsored",
        "breadcrumb", "breadcrumbs", "byline", "bio", "caption", "credit", "credits",
        "comments", "comment", "disqus",
        "popup", "modal", "overlay", "toolbar", "widget", "sidebar", "rail",
        "nav", "navbar", "navigation", "menu", "footer", "masthead",
        "popular", "trending", "tags", "taglist",
    }
)  # fmt: skip
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.IGNORECASE)
_HIDDEN_CLASSES = frozenset(
    {"hidden", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text", "d-none", "is-hidden", "hide"}
)
_PROTECTED_TAGS = frozenset({"html", "body", "main", "article", "head"})
# a paragraph this long counts as article text for the guard
_GUARD_PARAGRAPH_CHARS = 80
# The only elements a rule can apply to (hidden, class or id names, lists), in document order:
# most elements of a page have none of these attributes, and XPath skips them without a Python
# call per element.
_CANDIDATES = etree.XPath(".//*[@hidden or @aria-hidden or @style or @class or @id or self::ul or self::ol]")


def _squeezed_len(text: str) -> int:
    return len(" ".join(text.split()))


def is_hidden(element: HtmlElement) -> bool:
    """Whether a browser would not render the element."""
    if element.get("hidden") is not None or (element.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if _HIDDEN_STYLE.search(element.get("style") or ""):
        return True
    classes = (element.get("class") or "").lower().split()
    return any(name in _HIDDEN_CLASSES for name in classes)


def boilerplate_class(element: HtmlElement, words: frozenset[str] = BOILERPLATE_CLASS_WORDS) -> str | None:
    """The class or id name that marks the element as a boilerplate block, or None."""
    for name in (element.get("class") or "").split() + (element.get("id") or "").split():
        if _TAXONOMY_CLASS.match(name):
            continue
        if any(part.lower() in words for part in _COMPONENT_SPLIT.split(name) if part):
            return name
    return None


def is_link_list(element: HtmlElement, max_density: float) -> bool:
    """A list of at least two items whose visible text is (nearly) all link text."""
    if element.tag not in ("ul", "ol") or len(element.findall("li")) < 2:
        return False
    total = _squeezed_len(element.text_content())
    if total == 0:
        return False
    linked = sum(_squeezed_len(a.text_content()) for a in element.iter("a"))
    return linked / total > max_density


def _paragraph_lengths(root: HtmlElement) -> dict[HtmlElement, int]:
    """Squeezed length of every paragraph long enough to count as article text, measured once per
    page: the guard sums them again for each element about to be removed. (lxml hands out the same
    element object while one is referenced, so the keys are found again by ``iter``.)"""
    return {p: n for p in root.iter("p") if (n := _squeezed_len(p.text_content())) >= _GUARD_PARAGRAPH_CHARS}


def _paragraph_text(element: HtmlElement, paragraph_lengths: dict[HtmlElement, int]) -> int:
    return sum(paragraph_lengths.get(p, 0) for p in element.iter("p"))


def preclean_tree(
    tree: HtmlElement,
    *,
    drop_hidden: bool = True,
    drop_boilerplate_blocks: bool = True,
    drop_link_lists: bool = True,
    max_link_list_density: float = 0.85,
    protect_main_share: float = 0.4,
) -> Counter[str]:
    """Remove hidden elements, boilerplate blocks and link lists in place; returns removals per rule.

    Elements are chosen on the unmodified tree, then removed (tail text is kept), so the result does
    not depend on the order rules are checked in.
    """
    removed: Counter[str] = Counter()
    body = tree.find("body")
    root = body if body is not None else tree
    paragraph_lengths = _paragraph_lengths(root)
    page_paragraphs = sum(paragraph_lengths.values())
    limit = protect_main_share * page_paragraphs
    chosen: dict[HtmlElement, str] = {}
    for element in _CANDIDATES(root):
        if element.tag in _PROTECTED_TAGS:
            continue
        if element.get("itemprop") == "articleBody" or element.get("role") == "main":
            continue
        if drop_hidden and is_hidden(element):
            rule = "hidden"
        elif drop_boilerplate_blocks and boilerplate_class(element):
            rule = "boilerplate_block"
        elif drop_link_lists and is_link_list(element, max_link_list_density):
            rule = "link_list"
        else:
            continue
        if any(ancestor in chosen for ancestor in element.iterancestors()):
            continue
        if page_paragraphs and _paragraph_text(element, paragraph_lengths) > limit:
            removed["protected"] += 1
            continue
        chosen[element] = rule
    for element, rule in chosen.items():
        element.drop_tree()
        removed[rule] += 1
    return removed
