"""Strip Markdown and HTML residue from plain-text inputs, keeping the content.

``[anchor](url)`` keeps its anchor, images go, emphasis markers and heading hashes go, table rows
become plain lines of cells, HTML tags and entities go. Fenced and indented code blocks are kept
(without their fences) or dropped.

Every rule needs the *shape* of markup, not just its characters, so ordinary text survives:
``a * b`` (spaced asterisks are not emphasis), ``snake_case`` (intraword underscores are not),
``C# and F#`` (a hash is a heading only at a line start, followed by a space), ``2 < 3`` and
``x<y and y>z`` (a tag must be a known HTML element name), ``AT&T`` (not an entity).
"""

from __future__ import annotations

import html
import re
from typing import Literal

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)(.*?)(?:\s+#+)?\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_BLOCKQUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+(?:\s+[\"'(].*[\"')])?\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)+\|?\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_INDENTED = re.compile(r"^(?: {4}|\t)")

_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)|!\[[^\]\n]*\]\[[^\]\n]*\]")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+[\"'][^\"'\n]*[\"'])?\)")
_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+)>", re.IGNORECASE)
_INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_STRONG_EM_STAR = re.compile(r"(?<![\w*\\])(\*{1,3})(?=[^\s*])(.+?)(?<=[^\s*\\])\1(?![\w*])")
_STRONG_EM_UNDERSCORE = re.compile(r"(?<![\w\\])(_{1,3})(?=[^\s_])(.+?)(?<=[^\s_\\])\1(?![\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")

_HTML_ELEMENTS = (
    "a|abbr|address|article|aside|audio|b|bdi|bdo|blockquote|body|br|button|canvas|caption|center|cite|code|col"
    "|colgroup|dd|del|details|dfn|dialog|div|dl|dt|em|embed|fieldset|figcaption|figure|font|footer|form|h[1-6]"
    "|head|header|hr|html|i|iframe|img|input|ins|kbd|label|legend|li|link|main|mark|meta|nav|noscript|object|ol"
    "|optgroup|option|p|picture|pre|q|s|samp|section|select|small|source|span|strike|strong|sub|summary|sup"
    "|svg|table|tbody|td|template|textarea|tfoot|th|thead|time|title|tr|tt|u|ul|var|video|wbr"
)
# A tag: a known element name, then nothing, or attributes of which the first has a value
# ('<b and b>' in prose is not a tag; '<a href="x">' is).
_HTML_TAG = re.compile(
    rf"</?(?:{_HTML_ELEMENTS})(?:\s*/?|\s+[\w:-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+)[^<>]*)>",
    re.IGNORECASE,
)
_HTML_BLOCK_ELEMENT_END = re.compile(r"</(?:p|div|li|h[1-6]|tr|blockquote|section|article)>|<br\s*/?>", re.IGNORECASE)
_HTML_SCRIPT = re.compile(r"<(script|style|noscript)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _inline(line: str) -> str:
    """Inline Markdown of one line of prose (not code)."""
    codes: list[str] = []

    def stash(match: re.Match[str]) -> str:
        codes.append(match.group(2).strip())
        return f"\x00{len(codes) - 1}\x00"

    # inline code is content: protect it from the emphasis and link rules
    line = _INLINE_CODE.sub(stash, line)
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _REF_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    for _ in range(2):  # nested emphasis: ***x***, **_x_**
        line = _STRONG_EM_STAR.sub(r"\2", line)
        line = _STRONG_EM_UNDERSCORE.sub(r"\2", line)
    line = _STRIKE.sub(r"\1", line)
    line = _ESCAPE.sub(r"\1", line)
    return re.sub("\x00(\\d+)\x00", lambda m: codes[int(m.group(1))], line)


def strip_html_residue(text: str) -> str:
    """Remove HTML comments, script/style blocks and tags (block ends become newlines), then entities."""
    if "<" in text:
        text = _HTML_COMMENT.sub("", text)
        text = _HTML_SCRIPT.sub("", text)
        text = _HTML_BLOCK_ELEMENT_END.sub("\n", text)
        text = _HTML_TAG.sub("", text)
    if "&" in text:
        # after tag removal, so an escaped '&lt;b&gt;' stays visible as the literal text '<b>'
        text = html.unescape(text)
    return text


def _table_row(line: str) -> str:
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return " ".join(cell for cell in cells if cell)


def strip_markdown(text: str, code_blocks: Literal["keep", "drop"] = "keep") -> str:
    """Markdown to plain text, line by line (code blocks kept verbatim or dropped)."""
    out: list[str] = []
    lines = text.split("\n")
    fence: str | None = None
    previous_blank = True
    in_indented = False
    for line in lines:
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            elif code_blocks == "keep":
                out.append(line)
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)[0] * 3
            continue
        # an indented block starts after a blank line and runs while lines stay indented (or blank)
        if _INDENTED.match(line) and (previous_blank or in_indented) and line.strip():
            in_indented = True
            previous_blank = False
            if code_blocks == "keep":
                out.append(line.strip())
            continue
        if in_indented and not line.strip():
            previous_blank = True
            continue
        in_indented = False
        previous_blank = not line.strip()
        if _REF_DEFINITION.match(line) or _TABLE_SEPARATOR.match(line) or _RULE.match(line):
            continue
        if _SETEXT_UNDERLINE.match(line) and out and out[-1].strip():
            continue
        heading = _ATX_HEADING.match(line)
        if heading:
            line = heading.group(1)
        elif _TABLE_ROW.match(line):
            line = _table_row(line)
        else:
            line = _BLOCKQUOTE.sub("", line)
        out.append(_inline(line))
    return "\n".join(out)


def strip_markup(text: str | None, code_blocks: Literal["keep", "drop"] = "keep") -> str:
    """HTML residue, then Markdown, stripped from a text input; None becomes an empty string."""
    if not text:
        return ""
    return strip_markdown(strip_html_residue(text), code_blocks)
