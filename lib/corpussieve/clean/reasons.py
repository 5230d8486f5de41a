"""Every reason the clean job gives for rejecting a document, declared once, and their families.

The filters and the document steps declare their own reasons (``QualityFilter.reasons`` and
``DocumentStep.reasons``, declared when each class is defined); importing this module imports both
registries, so it declares every clean reason
(``corpussieve.reasons.DECLARING_MODULES`` lists it). The steps before the filters declare theirs here,
and emit these codes, never string literals: ``EXTRACT["timeout"] == "extract:timeout"``.

Families say what *kind* of problem a reason names. Reports group reasons by family, and the junk-set
check uses them to verify that each kind of junk page is rejected for the right kind of reason (a code
dump for looking like code, not for being too short by accident).
"""

from __future__ import annotations

from collections.abc import Iterable

from corpussieve.clean.filters import (
    C4,
    FILTERS,
    FineWebQuality,
    GopherQuality,
    GopherRepetition,
    LanguageFilter,
    LengthFilter,
)
from corpussieve.clean.steps import STEP_GUARD
from corpussieve.clean.steps import STEPS as DOCUMENT_STEPS
from corpussieve.reasons import declare, lookup

#: URL blocklists (``corpussieve.clean.blocklist``), checked before extraction: one member per configured list
URL_BLOCKLIST = declare("url_blocklist", {
    "{name}": "the page's URL is on the named blocklist (its domain, a parent domain, the URL or, for the "
              "banned-words rule, a word in it): the page was not read",
})  # fmt: skip
#: HTML to main text (``corpussieve.clean.extract``)
EXTRACT = declare("extract", {
    "empty_input": "the page is empty or only whitespace",
    "too_large": "the page is larger than clean.extraction.max_page_bytes (UTF-8 bytes)",
    "binary": "the page looks binary: control characters or undecodable bytes in more than 5% of its start",
    "not_html": "the page holds no HTML tag near its start or end, or the HTML parser found no document",
    "too_many_nodes": "the parsed page has more elements than clean.extraction.max_tree_nodes",
    "timeout": "extraction took longer than clean.extraction.timeout_seconds",
    "failed": "the HTML parser or the extractor failed on the page (recursion or an internal error)",
    "no_main_text": "no main text was found (after pre-cleaning, title and boilerplate lines)",
})  # fmt: skip
#: the input row before and after extraction or markup stripping (``corpussieve.clean.document``)
INPUT = declare("input", {
    "empty": "no html and no text, or only whitespace",
    "too_large": "the text input is longer than clean.markup.max_text_chars",
    "no_text_left": "nothing was left after repair and the universal boilerplate line patterns",
})  # fmt: skip
#: the prepare stage's guard: one pathological document never fails the stage
PREPARE = declare("prepare", {
    "error": "preparing the document raised an unexpected error (the worker logs it)",
})  # fmt: skip
#: the site-lines stage
SITE_LINES = declare("site_lines", {
    "no_text_left": "nothing was left after removing the site and corpus-wide boilerplate lines",
})  # fmt: skip
#: paragraph dedup across documents (``corpussieve.clean.paragraphs``)
PARAGRAPHS = declare("paragraphs", {
    "no_text_left": "nothing was left after removing the line rules' lines and the paragraphs another document "
                    "keeps (paragraph dedup: the first document by the dedup keep order keeps each)",
})  # fmt: skip
#: the filters stage's guard: one pathological document never fails the stage
FILTER_STACK = declare("filters", {
    "error": "the filter stack raised an unexpected error (the worker logs it)",
})  # fmt: skip

#: span removal after the filters (``corpussieve.clean.spans``)
SPANS = declare("spans", {
    "no_text_left": "nothing was left after removing the token spans seen more than clean.spans.max_copies times "
                    "whose earlier copies other documents (or this one) keep",
    "too_short": "span removal left fewer characters than clean.spans.min_chars_left (by default the length "
                 "filter's min_chars)",
})  # fmt: skip

#: the steps whose reasons the clean job gives: the steps above, then each filter's, then the document steps'
STEPS: tuple[str, ...] = ("url_blocklist", "extract", "input", "prepare", "site_lines", "paragraphs", "filters",
                          *(f.name for f in FILTERS), "spans", "steps", *(s.name for s in DOCUMENT_STEPS if s.reasons))

_GQ, _GR, _C4, _FW = GopherQuality.codes, GopherRepetition.codes, C4.codes, FineWebQuality.codes

#: families of codes (a ``{n}`` family code covers its members)
FAMILIES: dict[str, tuple[str, ...]] = {
    # nothing worth keeping was found or left after boilerplate removal
    "no_content": (
        EXTRACT["no_main_text"], INPUT["no_text_left"], INPUT["empty"], SITE_LINES["no_text_left"],
        PARAGRAPHS["no_text_left"], SPANS["no_text_left"], SPANS["too_short"],
        LengthFilter.codes["too_short"], _GQ["too_few_words"], _C4["too_few_sentences"],
    ),
    # text that is not prose: lists, menus, tables, labels
    "not_prose": (
        _GQ["few_stop_words"], _GQ["non_alpha_words"], _GQ["short_words"], _GQ["long_words"], _GQ["bullet_lines"],
        _FW["line_punct_ratio"], _FW["short_lines"], _FW["list_like"], _C4["too_few_sentences"],
        LanguageFilter.codes["low_score"], LanguageFilter.codes["unknown"],
    ),
    "repetition": (*_GR.values(), _FW["dup_line_chars"]),
    "placeholder": (_C4["lorem_ipsum"],),
    "code": (
        _C4["curly_braces"], _GQ["hash_ratio"], _GQ["few_stop_words"], _GQ["non_alpha_words"], _GQ["long_words"],
        _FW["line_punct_ratio"], _FW["short_lines"], _FW["list_like"],
    ),
    # the page's URL is on a blocklist (adult, malware, phishing, ...): removed unread
    "blocked": (URL_BLOCKLIST["{name}"],),
    "bad_input": (
        *(code for name, code in EXTRACT.items() if name != "no_main_text"), INPUT["empty"], INPUT["too_large"],
        PREPARE["error"], STEP_GUARD["error"],
    ),
}  # fmt: skip

#: the families a junk page of each kind may rightly be rejected for
JUNK_EXPECTED_FAMILIES: dict[str, tuple[str, ...]] = {
    "link_list": ("no_content", "not_prose"),
    "keyword_spam": ("repetition",),
    "lorem_ipsum": ("placeholder",),
    # once the consent prose is dropped, only purpose labels and buttons are left
    "cookie_wall": ("no_content", "not_prose"),
    "navigation_only": ("no_content", "not_prose"),
    "number_table": ("not_prose",),
    "code_dump": ("code",),
}


def in_family(reason: str, family: str) -> bool:
    """Whether a reason ('gopher_repetition:dup_5gram') belongs to a family ('repetition')."""
    codes = FAMILIES[family]
    if reason in codes:
        return True
    declared = lookup(reason)
    return declared is not None and declared.code in codes


def families_of(reasons: Iterable[str]) -> set[str]:
    """The families named by any of the reasons."""
    reasons = list(reasons)
    return {family for family in FAMILIES if any(in_family(r, family) for r in reasons)}
