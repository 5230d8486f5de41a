"""Lines of a document: splitting, rejoining, normalizing for hashing, and 64-bit line hashes.

The Spark boilerplate stage hashes every line of every document, counts each hash per registered
domain and corpus-wide, then drops the frequent ones. Two lines that differ only in case, digits,
punctuation or spacing ("Page 3 of 12" / "page 4 of 9", "© 2019 Foo." / "(c) 2020 foo") are the
same boilerplate, so they are hashed after ``normalize_lines``.

Normalization runs as Arrow compute kernels over a whole batch of lines; hashing calls xxh3 (C)
once per line. Both return arrays aligned with the input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

# RE2 syntax (Arrow): runs of punctuation, symbols and whitespace fold to one space.
_FOLD = r"[\p{P}\p{S}\s]+"
_DIGITS = r"\p{Nd}+"


def split_lines(text: str | None) -> list[str]:
    """The lines of a document (``\\n`` separated; a trailing newline does not add an empty line)."""
    if not text:
        return []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def rejoin(lines: Sequence[str], keep: Sequence[bool] | np.ndarray | None = None) -> str:
    """Join lines back into a document, keeping only ``keep[i]`` lines; no runs of blank lines are left.

    A blank line (paragraph break) survives once between kept lines, never at either end.
    """
    out: list[str] = []
    for i, line in enumerate(lines):
        if keep is not None and not keep[i]:
            continue
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def normalize_lines(lines: Sequence[str] | pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Fold lines for hashing: lower case, each run of digits to '0', punctuation/symbols/space runs
    to one space, trimmed. Vectorized over the batch with Arrow kernels."""
    array = lines if isinstance(lines, (pa.Array, pa.ChunkedArray)) else pa.array(list(lines), type=pa.string())
    array = pc.utf8_lower(array)
    array = pc.replace_substring_regex(array, _DIGITS, "0")
    array = pc.replace_substring_regex(array, _FOLD, " ")
    return pc.utf8_trim_whitespace(array)


def normalize_line(line: str) -> str:
    """``normalize_lines`` for one line."""
    return normalize_lines([line])[0].as_py()


def hash_lines(
    lines: Sequence[str] | pa.Array | pa.ChunkedArray, *, normalized: bool = False, signed: bool = False
) -> np.ndarray:
    """64-bit xxh3 hashes of (normalized) lines, as uint64 (or int64 for Spark's LongType if ``signed``).

    An empty normalized line (punctuation only) hashes to 0, a value no real line can collide into
    in practice; callers treat 0 as "not a countable line".
    """
    folded = lines if normalized else normalize_lines(lines)
    values = folded.to_pylist() if isinstance(folded, (pa.Array, pa.ChunkedArray)) else list(folded)
    hashes = np.fromiter(
        (xxhash.xxh3_64_intdigest(v.encode("utf-8")) if v else 0 for v in values),
        dtype=np.uint64,
        count=len(values),
    )
    return hashes.view(np.int64) if signed else hashes
