"""What both table backends share: write arguments, results and path handling."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

WriteMode = Literal["append", "overwrite"]

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Txn:
    """Delta's idempotent-write identifier: a batch with version <= the recorded one is skipped."""

    app_id: str
    version: int

    def __post_init__(self) -> None:
        if not self.app_id:
            raise ValueError("Txn.app_id must not be empty")
        if self.version < 0:
            raise ValueError("Txn.version must be >= 0")


@dataclass
class WriteResult:
    """What a write did. ``committed`` is False when an idempotent rerun found its batch already there."""

    path: str
    mode: str
    version: int
    committed: bool
    files: int = 0
    rows: int | None = None
    backend: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "mode": self.mode,
            "version": self.version,
            "committed": self.committed,
            "files": self.files,
            "rows": self.rows,
            "backend": self.backend,
        }


@dataclass
class WriteSpec:
    """One table write of a multi-table output (see ``Tables.write_all``)."""

    df: Any
    path: str
    mode: WriteMode = "overwrite"
    partition_by: list[str] = field(default_factory=list)
    txn: Txn | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class PendingWrite(Protocol):
    """Data staged for one table, not yet visible to readers until ``commit``."""

    path: str

    def commit(self) -> WriteResult: ...

    def abort(self) -> None: ...


def has_scheme(path: str) -> bool:
    return bool(_SCHEME.match(path)) and not re.match(r"^[a-zA-Z]:[\\/]", path)


def normalize_local(path: str) -> str:
    """Absolute local path for scheme-less paths; URIs pass through (``file:`` ones become local paths)."""
    if path.startswith("file://"):
        return path[len("file://") :] or "/"
    if path.startswith("file:"):
        return path[len("file:") :]
    if has_scheme(path):
        return path.rstrip("/")
    return os.path.abspath(os.path.expanduser(path))


def spark_uri(path: str) -> str:
    """The URI Spark should use: local paths get an explicit file:// so a cluster's default FS never applies."""
    return path if has_scheme(path) else "file://" + path
