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

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
# Unicode space separators and tabs become one space. Zero-width joiners (U+200C/D) are kept: they
# carry meaning in Persian and Indic scripts.
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


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
    """Repair encoding errors with ftfy (and normalize to ``unicode_form``)."""
    import ftfy

    return ftfy.fix_text(text, _fixer_config(unicode_form))


def normalize_whitespace(text: str, max_blank_lines: int = 1) -> str:
    """One newline style, single spaces, trimmed lines, no control or invisible characters,
    at most ``max_blank_lines`` blank lines in a row, no leading/trailing blank lines."""
    text = _NEWLINES.sub("\n", text)
    text = _CONTROLS.sub("", _INVISIBLE.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
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
