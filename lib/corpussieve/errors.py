"""Errors a user can act on. The CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from collections.abc import Iterable


class CorpusSieveError(Exception):
    """Base class: a failure with a message meant for the person running the job."""

    exit_code = 1


class ConfigError(CorpusSieveError):
    """The configuration (YAML, --set, flags or a plan file) is invalid."""

    exit_code = 2


class InputError(CorpusSieveError):
    """The input data is not what the job expects. Names the table, the column and the rows."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        row_ids: Iterable[object] | None = None,
        expected: str | None = None,
    ) -> None:
        self.table = table
        self.column = column
        self.row_ids = list(row_ids) if row_ids is not None else []
        self.expected = expected
        parts = []
        if table is not None:
            parts.append(f"table {table}")
        if column is not None:
            parts.append(f"column {column!r}")
        where = ", ".join(parts)
        text = f"{where}: {message}" if where else message
        if self.row_ids:
            shown = ", ".join(repr(r) for r in self.row_ids[:5])
            more = f" (and {len(self.row_ids) - 5} more)" if len(self.row_ids) > 5 else ""
            text += f"; rows with id {shown}{more}"
        if expected:
            text += f"; expected {expected}"
        super().__init__(text)


class TableNotFoundError(InputError):
    """The path holds no Delta table."""


class SchemaMismatchError(CorpusSieveError):
    """An append whose columns or types differ from the table's."""

    exit_code = 3


class UnsupportedTableFeatureError(CorpusSieveError):
    """The table needs a Delta reader feature that the active backend cannot honour."""

    exit_code = 3


class ConcurrentWriteError(CorpusSieveError):
    """Another writer committed a conflicting change to the same table."""

    exit_code = 4
