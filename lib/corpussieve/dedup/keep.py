"""Keep rules: which document of a duplicate cluster survives.

A rule is a total order on a cluster's rows; the first row is kept. Every rule ends with the lowest id, so
ties are broken the same way everywhere. :func:`keep_ordering` returns that order as (column, ascending)
pairs for a Spark window; :func:`choose_kept` is the pure reference the Spark version is tested against.
Nulls always sort last, whatever the direction (Spark: ``asc_nulls_last`` / ``desc_nulls_last``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

KEEP_RULE_FORMS = ("earliest_fetch_time", "longest_text", "lowest_id", "highest:<column>")
_COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TEXT_LENGTH_COLUMN = "text_length"
"""Column the ordering of ``longest_text`` refers to; the Spark layer derives it as ``F.length(text)``."""


@dataclass(frozen=True)
class KeepRule:
    """A parsed keep rule. ``column`` is set only for ``highest``."""

    kind: Literal["earliest_fetch_time", "longest_text", "lowest_id", "highest"]
    column: str | None = None

    def __str__(self) -> str:
        return f"highest:{self.column}" if self.kind == "highest" else self.kind


def parse_keep_rule(text: str) -> KeepRule:
    """Parse ``earliest_fetch_time``, ``longest_text``, ``lowest_id`` or ``highest:<column>``.

    Raises ValueError naming the accepted forms; the column must be a plain identifier.
    """
    value = text.strip()
    if value in ("earliest_fetch_time", "longest_text", "lowest_id"):
        return KeepRule(value)  # type: ignore[arg-type]
    if value.startswith("highest:"):
        column = value[len("highest:") :].strip()
        if not _COLUMN_NAME.match(column):
            raise ValueError(f"keep rule {text!r}: 'highest:' must be followed by a column name like 'quality_score'")
        return KeepRule("highest", column)
    raise ValueError(f"unknown keep rule {text!r}; expected one of {', '.join(KEEP_RULE_FORMS)}")


def keep_ordering(
    rule: KeepRule | str,
    *,
    id_column: str = "id",
    fetch_time_column: str = "fetch_time",
    text_length_column: str = TEXT_LENGTH_COLUMN,
) -> list[tuple[str, bool]]:
    """The rule as an ordering spec: (column, ascending) pairs, most significant first, ending with the id.

    The first row in this order is kept. Nulls sort last in every position.
    """
    rule = parse_keep_rule(rule) if isinstance(rule, str) else rule
    if rule.kind == "earliest_fetch_time":
        primary = [(fetch_time_column, True)]
    elif rule.kind == "longest_text":
        primary = [(text_length_column, False)]
    elif rule.kind == "highest":
        assert rule.column is not None
        primary = [(rule.column, False)]
    else:
        primary = []
    return [*primary, (id_column, True)]


class _Descending:
    """Wraps a value so that sorting ascending orders the wrapped values descending."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value


def choose_kept(
    rows: Sequence[Mapping[str, Any]],
    rule: KeepRule | str,
    *,
    id_column: str = "id",
    text_column: str = "text",
    fetch_time_column: str = "fetch_time",
) -> Any:
    """The id of the row a cluster keeps under ``rule`` (pure reference of the Spark window version).

    ``longest_text`` compares ``len(row[text_column])`` (characters; a None text has no length and sorts last).
    Ids must be non-null and comparable with each other; they make the order total.
    """
    if not rows:
        raise ValueError("a cluster has at least one row")
    rule = parse_keep_rule(rule) if isinstance(rule, str) else rule
    order = keep_ordering(rule, id_column=id_column, fetch_time_column=fetch_time_column)

    def value_of(row: Mapping[str, Any], column: str) -> Any:
        if rule.kind == "longest_text" and column == TEXT_LENGTH_COLUMN:
            if text_column not in row:
                raise KeyError(f"keep rule {rule} needs column {text_column!r}, which the cluster rows lack")
            text = row[text_column]
            return None if text is None else len(text)
        if column not in row:
            raise KeyError(f"keep rule {rule} needs column {column!r}, which the cluster rows lack")
        return row[column]

    def sort_key(row: Mapping[str, Any]) -> tuple:
        key = []
        for column, ascending in order:
            value = value_of(row, column)
            if value is None:
                if column == id_column:
                    raise ValueError("rows of a cluster must have a non-null id")
                key.append((1, 0))  # nulls last in both directions
            else:
                key.append((0, value if ascending else _Descending(value)))
        return tuple(key)

    best = min(rows, key=sort_key)
    return best[id_column]
