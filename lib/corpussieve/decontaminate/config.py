"""Configuration of benchmark decontamination: the n-gram, the benchmark fields, the mode and the cut rule.

Sources of the defaults
-----------------------
[B20] Brown et al. 2020, "Language Models are Few-Shot Learners" (GPT-3, arXiv 2005.14165), appendix C: 13-gram
      overlap; for each task N is the 5th-percentile item length in words, clamped to 8..13; a colliding 13-gram
      was removed with a 200-character window around it, pieces under 200 characters were dropped, and a
      document split into more than 10 pieces was removed entirely.
[DT]  datatrove's decontamination filter: word 12-grams of benchmark items, lowercased, punctuation removed.
The limit on n-grams shared by many items (``max_items_per_ngram``) is our choice, see its description.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from corpussieve.configbase import StrictModel

DEFAULT_TEXT_FIELDS = ["question", "prompt", "problem", "context", "passage", "query", "choices", "options",
                       "answer", "answers", "canonical_solution", "solution", "text", "target"]


class DecontaminateConfig(StrictModel):
    """``corpussieve decontaminate``: flag, drop or cut documents that share word n-grams with benchmark items."""

    ngram: int = Field(
        13, ge=1, le=64,
        description="Words per n-gram shared with a benchmark item that marks a document contaminated: 13 as "
                    "GPT-3 [Brown et al. 2020] (datatrove uses 12).",
    )
    min_item_words: int = Field(
        8, ge=1, le=64,
        description="An item shorter than ngram words but with at least this many is matched as one n-gram of "
                    "all its words (GPT-3's lower bound, 8; at most ngram); shorter items are skipped and counted in the "
                    "report.",
    )
    max_items_per_ngram: int = Field(
        20, ge=1,
        description="An n-gram found in more than this many distinct benchmark items is template text "
                    "(instructions, licence headers, few-shot preambles), not an item: it is left out of the index "
                    "and counted. 20 keeps a reading passage that a few questions share.",
    )
    mode: Literal["flag", "drop", "cut"] = Field(
        "flag",
        description="flag: every document kept, with the contamination column; drop: contaminated documents "
                    "removed; cut: the overlapping spans removed with cut_margin_chars around them.",
    )
    cut_margin_chars: int = Field(
        200, ge=0, description="cut: characters removed on each side of an overlapping span (GPT-3's 200).")
    min_piece_chars: int = Field(
        200, ge=0,
        description="cut: pieces left shorter than this are dropped too (GPT-3's 200; also clean's length filter "
                    "minimum, so a shorter remainder would be rejected there anyway).",
    )
    max_pieces: int = Field(
        10, ge=1,
        description="cut: a document split into more pieces than this is dropped whole (GPT-3's 10): what is left "
                    "is fragments around many items, not a document.",
    )
    text_fields: list[str] = Field(
        DEFAULT_TEXT_FIELDS, min_length=1,
        description="Benchmark fields whose text is matched, where present, joined with a space in this order "
                    "(lists and nested values: their strings and numbers, in order).",
    )
    id_fields: list[str] = Field(
        ["id", "task_id"],
        description="The first of these fields an item has is its id; without any, its row number in the file.",
    )
    strategy: Literal["auto", "broadcast", "join"] = Field(
        "auto",
        description="auto: the index rides to the workers as a broadcast while it fits broadcast_max_bytes, above "
                    "that a Spark join of the documents' n-gram hashes against the index table.",
    )
    broadcast_max_bytes: int = Field(
        256 * 2**20, ge=0,
        description="Largest index broadcast to every Python worker (20 bytes per indexed n-gram and item).",
    )
    example_spans: int = Field(5, ge=0, le=1000, description="Example spans per benchmark in the report.")
    span_text_chars: int = Field(
        500, ge=0, le=100_000, description="Characters of each overlapping span kept in the contaminated table.")
    partitions: int | None = Field(
        None, ge=1, le=100_000,
        description="Spark partitions the documents are matched in. Unset: the input's own partitions, or 2 per core "
                    "when it has fewer (results never depend on it).",
    )

    @property
    def min_words(self) -> int:
        """The fewest words an item may have to be matched: ``min_item_words``, at most ``ngram``."""
        return min(self.min_item_words, self.ngram)
