"""The reasons decontamination gives for removing a document (the decontaminate job's drop and cut modes, and
clean's decontaminate step, whose reason prefix is the same)."""

from __future__ import annotations

from corpussieve.reasons import declare

#: what each reason means (the clean step declares the same mapping under the same step name)
REASONS = {
    "contaminated": "shares a word n-gram with a benchmark item (mode drop)",
    "cut_too_fragmented": "cutting the benchmark overlaps split it into more than max_pieces pieces (mode cut)",
    "cut_nothing_left": "no piece of at least min_piece_chars is left once the benchmark overlaps are cut (mode cut)",
}
DECONTAMINATE = declare("decontaminate", REASONS)
