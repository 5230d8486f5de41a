"""Text repair: mojibake, Unicode normalization, whitespace and newlines.

ftfy repairs text that was decoded with the wrong codec ("donâ€™t" -> "don’t") and stray C1
controls. Its quote uncurling and character-width folding are turned off: they rewrite correct
text (curly quotes, full-width CJK punctuation), which is not repair.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from corpussieve.clean.config import RepairConfig

# One alternative per character, so the regex engine can skip ahead to the next candidate
# character instead of trying the alternation at every position.
_NEWLINES = re.compile(r"\r\n?|\u2028|\u2029|\x0b|\x0c|\x85")
# Unicode space separators and tabs become one space. Zero-width joiners (U+200C/D) are kept: they
# carry meaning in Persian and Indic scripts.
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_UNUSUAL_SPACE = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Invisible characters and control characters, both removed.
_REMOVED = re.compile(r"[\u200b\u2060\ufeff\u00ad\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Text that ftfy returns unchanged: printable ASCII, tabs and newlines (no mojibake without a
# non-ASCII character, no line break, terminal escape or control character to fix).
_FTFY_UNCHANGED = re.compile(r"[\t\n\x20-\x7e]*")


@lru_cache(maxsize=4)
def _fixer_config(normalization: str | None):  # type: ignore[no-untyped-def]
    import ftfy

    return ftfy.TextFixerConfig(
        unescape_html=False,  # entity handling belongs to markup stripping, which knows the context
        uncurl_quotes=False,
        fix_character_width=False,
        normalization=normalization,  # type: ignore[arg-type]
        explain=False,
    )


def fix_mojibake(text: str, unicode_form: str | None = "NFC") -> str:
    """Repair encoding errors with ftfy (and normalize to ``unicode_form``).

    ``ftfy.fix_text`` fixes each line (with its newline) on its own, so only the lines it could
    change are handed to it, one at a time: the same answer, without its checks on the many
    lines of plain ASCII.
    """
    import ftfy

    config = _fixer_config(unicode_form)
    lines = text.split("\n")
    last = len(lines) - 1
    out = []
    for i, line in enumerate(lines):
        segment = line + "\n" if i < last else line
        out.append(segment if _FTFY_UNCHANGED.fullmatch(segment) else ftfy.fix_text(segment, config))
    return "".join(out)


def normalize_whitespace(text: str, max_blank_lines: int = 1) -> str:
    """One newline style, single spaces, trimmed lines, no control or invisible characters,
    at most ``max_blank_lines`` blank lines in a row, no leading/trailing blank lines."""
    text = _REMOVED.sub("", _NEWLINES.sub("\n", text))
    # Spaces never span a newline, so the whole text is folded at once, and only when some run is
    # not already one " ": usually none is, and the substitution would replace every space by itself.
    if "  " in text or _UNUSUAL_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    out: list[str] = []
    blank = 0
    for line in lines:
        if line:
            blank = 0
            out.append(line)
        else:
            blank += 1
            if out and blank <= max_blank_lines:
                out.append("")
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def repair_text(text: str | None, cfg: RepairConfig | None = None) -> str:
    """Apply the configured repairs; None becomes an empty string."""
    cfg = cfg or RepairConfig()
    if not text:
        return ""
    form = None if cfg.unicode_form == "none" else cfg.unicode_form
    if cfg.fix_mojibake:
        text = fix_mojibake(text, form)
    elif form:
        text = unicodedata.normalize(form, text)
    if cfg.normalize_whitespace:
        text = normalize_whitespace(text, cfg.max_blank_lines)
    return text
