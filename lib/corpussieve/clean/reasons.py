"""Families of rejection reasons: what *kind* of problem a reason names.

Reports group reasons by family, and the junk-set check uses the families to verify that each
kind of junk page is rejected for the right kind of reason (a code dump for looking like code,
not for being too short by accident).
"""

from __future__ import annotations

from collections.abc import Iterable

FAMILIES: dict[str, tuple[str, ...]] = {
    # nothing worth keeping was found or left after boilerplate removal
    "no_content": (
        "extract:no_main_text", "input:no_text_left", "input:empty", "site_lines:no_text_left",
        "length:too_short", "gopher_quality:too_few_words", "c4:too_few_sentences",
    ),
    # text that is not prose: lists, menus, tables, labels
    "not_prose": (
        "gopher_quality:few_stop_words", "gopher_quality:non_alpha_words", "gopher_quality:short_words",
        "gopher_quality:long_words", "gopher_quality:bullet_lines", "fineweb:line_punct_ratio",
        "fineweb:short_lines", "fineweb:list_like", "c4:too_few_sentences", "language:low_score",
        "language:unknown",
    ),
    "repetition": ("gopher_repetition:", "fineweb:dup_line_chars"),
    "placeholder": ("c4:lorem_ipsum",),
    "code": (
        "c4:curly_braces", "gopher_quality:hash_ratio", "gopher_quality:few_stop_words",
        "gopher_quality:non_alpha_words", "gopher_quality:long_words", "fineweb:line_punct_ratio",
        "fineweb:short_lines", "fineweb:list_like",
    ),
    "bad_input": (
        "extract:empty_input", "extract:too_large", "extract:binary", "extract:not_html",
        "extract:too_many_nodes", "extract:timeout", "extract:failed", "input:empty", "input:too_large",
        "input:bad_type", "prepare:error",
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
    return any(reason == r or (r.endswith(":") and reason.startswith(r)) for r in FAMILIES[family])


def families_of(reasons: Iterable[str]) -> set[str]:
    """The families named by any of the reasons."""
    reasons = list(reasons)
    return {family for family in FAMILIES if any(in_family(r, family) for r in reasons)}
