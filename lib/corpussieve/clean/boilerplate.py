"""Universal boilerplate lines: named patterns that are boilerplate on any site.

Site-specific boilerplate (a site's own footer, its navigation) is found later by counting line
hashes per registered domain; these patterns catch what every site says in its own words: cookie
banners, share and follow prompts, newsletter sign-ups, "related" labels, tag lists, credit and
timestamp lines. Every pattern is anchored on the shape of a whole short line, so a sentence of
prose that merely mentions cookies or newsletters is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Lines longer than this many words are prose, never treated as boilerplate by a pattern.
MAX_BOILERPLATE_WORDS = 40

_SOCIAL = (
    r"(?:facebook|twitter|x|instagram|linkedin|youtube|tiktok|pinterest|whatsapp|reddit|telegram|threads"
    r"|flipboard)"
)


@dataclass(frozen=True)
class BoilerplatePattern:
    """A named regex; ``label`` patterns introduce a block (the lines after them are teasers)."""

    name: str
    regex: re.Pattern[str]
    label: bool = False


def _p(name: str, pattern: str, label: bool = False, case_sensitive: bool = False) -> BoilerplatePattern:
    return BoilerplatePattern(name, re.compile(pattern, 0 if case_sensitive else re.IGNORECASE), label)


PATTERNS: tuple[BoilerplatePattern, ...] = (
    _p(
        "cookie_notice",
        r"\b(?:we|this (?:web)?site|our (?:web)?site|we and our partners) (?:use|uses) cookies\b"
        r"|\b(?:accept|allow|reject|manage) (?:all )?cookies\b|\bcookie (?:policy|settings|preferences|notice)\b"
        r"|\bby (?:continuing|using|browsing)\b.{0,60}\b(?:agree|accept|consent)\b.{0,40}\bcookies?\b",
    ),
    _p(
        "consent_button",
        r"^(?:accept|accept all|i agree|agree|got it|ok|okay|manage (?:settings|preferences)|reject all)[.!]?$",
    ),
    _p("rights_reserved", r"\ball rights reserved\b|^(?:©|\(c\)|copyright\b)\s*(?:\d{4})?"),
    _p(
        "share_prompt",
        rf"^(?:share|share (?:this|the) (?:article|story|post|page|video)|share (?:on|via) {_SOCIAL}|tweet(?: this)?"
        rf"|pin it|email this(?: article)?|print this(?: article| page)?|share this:?)\b[\s:!.|]*(?:{_SOCIAL}[\s,|]*)*$"
        r"|\bshare (?:it|this(?: story| article)?) with (?:a|your) friends?\b|^like this (?:story|article)\?",
    ),
    _p(
        "follow_prompt",
        rf"^(?:please )?(?:follow|like|join) (?:us|me|him|her|them|[\w@.'’ -]{{1,40}}) on {_SOCIAL}\b"
        rf"|^follow (?:us|@\w+)\b|^(?:connect|stay connected) with us\b|^find us on {_SOCIAL}\b"
        r"|^follow\b.{0,100}\b(?:at|on) (?:https?://|www\.)",
    ),
    _p(
        "newsletter_prompt",
        r"\b(?:subscribe|sign up|signup|register)\b.{0,60}\b(?:newsletter|mailing list|inbox|e-?mail updates)\b"
        r"|^(?:get|receive|have) .{0,80}\b(?:delivered|sent) (?:straight |directly )?(?:to|in) your inbox\b"
        r"|^(?:subscribe|sign up|subscribe now|sign up now|newsletter)[.!]?$",
    ),
    _p(
        "related_label",
        r"^(?:related|related (?:articles?|stories|posts?|content|news|links|coverage|reading|topics|videos?)|read more"
        r"|read (?:also|next)|also read|see also|see more|more (?:on this|stories|news|from \w+(?: \w+)?)"
        r"|recommended(?: for you| stories| articles)?|don'?t miss|you (?:may|might) (?:also )?like"
        r"|trending(?: now)?|most (?:read|popular|viewed|shared)|editor'?s picks?|more|top stories)"
        r"\s*(?:[:|>»\-–—]|$)",
        label=True,
    ),
    _p(
        "tags_line",
        r"^(?:tags?|tagged|filed under|topics?|categories|category|posted in|keywords)\s*(?::|$)",
        label=True,
    ),
    _p(
        "comments_prompt",
        r"^(?:\d+\s+)?(?:comments?|replies)$|^(?:leave|post|add|write|submit) a (?:comment|reply)\b"
        r"|^(?:be the first to comment|tell us what you think|join the (?:conversation|discussion))\b"
        r"|^(?:view|show|load|read) (?:all |more )?comments\b",
    ),
    _p(
        "contact_author",
        r"^(?:e-?mail|contact|reach|write to) (?:the )?(?:author|reporter|reporters|writer|editor|[\w.'’ -]{1,40}?)"
        r" (?:at|on|via) .{0,80}(?:@|twitter|\.com\b)",
    ),
    _p(
        "credit_line",
        r"^\(?(?:additional )?(?:reporting|writing|editing) by\b[^.!?]{0,160}\)?\.?$"
        r"|^\((?:additional )?(?:reporting|writing|editing) by\b.*\)$"
        r"|\bcontributed (?:to )?(?:this|the) (?:report|story|article)\.?\)?$",
    ),
    _p("source_line", r"^(?:source|sources|via)\s*:\s*\S.{0,60}$"),
    _p(
        "media_credit",
        r"^(?:photo|image|picture|video|graphic|illustration)s?(?: credit| source| by)?\s*:\s*\S.{0,80}$",
    ),
    _p("click_here", r"\b(?:click|tap) here\b"),
    _p(
        "byline",
        r"^(?:[Bb]y|BY|[Ww]ritten by|[Pp]osted by|[Ww]ords by)\s+(?:[A-Z][\w.'’-]*\s*){1,4}"
        r"(?:(?:,|\||•|·|and|&)\s*(?:[A-Z][\w.'’-]*\s*){1,4})*"
        # an optional date after the names: "By Jane Doe | March 28, 2024"
        r"(?:\s*[|,•·–—-]?\s*(?:[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]{2,8} \d{4}"
        r"|\d{4}-\d{2}-\d{2}))?$",
        case_sensitive=True,
    ),
    _p(
        "date_line",
        r"^(?=.*(?:\b\d{1,2}:\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b))"
        r"(?:\S+\s+){0,11}(?:\S*[^.!?\s]|\S*[ap]\.m\.)$",
    ),
    _p(
        "advertisement",
        r"^(?:advertisement|advertisements|sponsored(?: content)?|ad|ads|paid content|story continues below"
        r"(?: advertisement)?|continue reading(?: below| the main story)?"
        r"|scroll (?:down )?to continue(?: reading)?)[.:]?$",
    ),
    _p(
        "timestamp_line",
        r"^(?:updated|published|posted|last (?:updated|modified)|modified)(?: on| at)?:?\s[\w ,.:/+-]{0,50}\d"
        r"[\w ,.:/+-]{0,30}$|^\d{1,3} min(?:ute)?s? read$|^(?:reading time|read time)\s*:",
    ),
    _p(
        "navigation_line",
        r"^(?:home|menu|search|log ?in|sign ?in|log ?out|register|skip to (?:main )?content|back to top|go to top"
        r"|previous(?: (?:article|post|story))?|next(?: (?:article|post|story))?|close|toggle navigation)$",
    ),
    _p(
        "javascript_notice",
        r"\b(?:please )?(?:enable|turn on|activate) javascript\b|\byour browser does not support\b"
        r"|\bjavascript is (?:disabled|required|not enabled)\b",
    ),
)

PATTERN_NAMES: tuple[str, ...] = tuple(p.name for p in PATTERNS)


def match_boilerplate(line: str) -> BoilerplatePattern | None:
    """The first pattern a line matches, or None. Lines over MAX_BOILERPLATE_WORDS words never match."""
    # "[Related: ...]" and "| caption |" are the same lines inside brackets or table bars
    stripped = line.strip().strip("|[]").strip()
    # at most MAX_BOILERPLATE_WORDS splits tell whether a line has more words than that
    if not stripped or len(stripped.split(None, MAX_BOILERPLATE_WORDS)) > MAX_BOILERPLATE_WORDS:
        return None
    return _first_pattern(stripped)


@lru_cache(maxsize=4096)
def _first_pattern(stripped: str) -> BoilerplatePattern | None:
    """The first pattern a short line matches. Cached (a pure function of the line): every page's
    lines are matched twice, after extraction and again after repair, mostly unchanged, and a
    site repeats its own lines on every page."""
    for pattern in PATTERNS:
        if pattern.regex.search(stripped):
            return pattern
    return None


def _is_teaser(line: str) -> bool:
    """What follows a 'Related' or 'Tags' label: a short headline, or a list of short items ('a, b, c')."""
    stripped = line.strip()
    if re.search(r"[.!?…:]['\"”’)]?$", stripped):
        return False
    if 0 < len(stripped.split()) <= 16:
        return True
    items = [item for item in re.split(r"\s*[,|;•·]\s*", stripped) if item]
    return len(items) >= 3 and all(len(item.split()) <= 6 for item in items)


def drop_boilerplate_lines(lines: list[str]) -> tuple[list[str], dict[str, int]]:
    """Remove pattern lines, and the teaser lines right after a bare label ('Related', 'Tags', 'Don't miss').

    Returns the kept lines and how many lines each pattern removed.
    """
    kept: list[str] = []
    counts: dict[str, int] = {}
    in_label_block = False
    for line in lines:
        if not line.strip():
            kept.append(line)
            continue
        hit = match_boilerplate(line)
        if hit is not None:
            counts[hit.name] = counts.get(hit.name, 0) + 1
            # a label alone on its line ("Related", "DON'T MISS", "Tags") introduces a teaser block
            bare = re.sub(r"[\W_]+$", "", line.strip().strip("|[]").strip())
            in_label_block = hit.label and bool(hit.regex.fullmatch(bare) or hit.regex.match(bare + ":"))
            in_label_block = in_label_block and len(bare.split()) <= 4
            continue
        if in_label_block and _is_teaser(line):
            counts["label_block"] = counts.get("label_block", 0) + 1
            continue
        in_label_block = False
        kept.append(line)
    return kept, counts
