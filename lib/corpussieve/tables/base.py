"""What both table backends share: write arguments, results and path handling."""

from __future__ import annotations

import json
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
    #: ``df`` only filters and projects frames this run has persisted and computed already (clean's
    #: per-document frame): nothing is left to fail while computing it, so delta-spark writes it without
    #: staging a cached copy first (``DeltaSparkPendingWrite``). Leave False for anything else.
    computed: bool = False
    #: The first output of a ``write_all`` only: written straight from its plan as the first commit, without
    #: staging. A failure computing it still commits nothing anywhere (nothing is committed before it, and
    #: the other outputs are staged first), but the data files its failed tasks wrote stay in the table's
    #: folder uncommitted, as after any failed Delta write, until a VACUUM (``corpussieve maintain``). For a
    #: large output whose staged copy costs more than that is worth: dedup's documents table at 1M
    #: documents (2.9 GB of text) took 45.7 s to stage and write, 20.5 s to write.
    stream: bool = False


@dataclass(frozen=True)
class RunIdentity:
    """What makes a rerun recognise its own commits: a key derived from the command's meaning (job, inputs
    and their versions, outputs, config; see ``corpussieve.runlog.run_key``), and the versions of the tables
    the run read that it also writes (an index it appends to, the table ingest checks ids against), so a
    rerun that completes a half-written run reads them as the first attempt did."""

    key: str
    pinned: dict[str, int | None] = field(default_factory=dict)

    def commit_metadata(self) -> dict[str, Any]:
        return {"run_key": self.key, "pinned": dict(self.pinned)}


@dataclass(frozen=True)
class Output:
    """One table a run writes, described before it is computed (``Tables.recover``)."""

    path: str
    mode: WriteMode = "overwrite"
    txn: Txn | None = None


@dataclass
class Recovery:
    """Which outputs of a run already carry its commit, and the versions that run pinned.

    Nothing landed: a fresh run. Some landed: the previous attempt died between two commits; the rerun
    computes with ``pinned`` and commits only ``missing``. All landed: the run is complete.
    """

    key: str
    landed: list[str]
    missing: list[str]
    pinned: dict[str, int | None]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def partial(self) -> bool:
        return bool(self.landed) and bool(self.missing)

    def as_dict(self) -> dict[str, Any]:
        return {"run_key": self.key, "landed_before": self.landed, "missing_before": self.missing,
                "pinned": self.pinned}


class PendingWrite(Protocol):
    """Data staged for one table, not yet visible to readers until ``commit``."""

    path: str

    def commit(self) -> WriteResult: ...

    def abort(self) -> None: ...


class SkippedWrite:
    """A write that commits nothing: its batch or its run's commit is in the table already."""

    def __init__(self, path: str, mode: str, version: int, backend: str, why: str) -> None:
        self.path = path
        self.mode = mode
        self.version = version
        self.backend = backend
        self.why = why

    def commit(self) -> WriteResult:
        import logging

        logging.getLogger("corpussieve.tables").info("skipped %s: %s (version %d)", self.path, self.why, self.version)
        return WriteResult(self.path, self.mode, self.version, False, 0, 0, self.backend)

    def abort(self) -> None:
        return None


def commit_metadata_json(metadata: dict[str, Any]) -> str:
    """A commit's corpussieve metadata (job, run id, run key, pinned versions) as stored in userMetadata."""
    return json.dumps(metadata, default=str, sort_keys=True)


def parse_commit_metadata(value: Any) -> dict[str, Any] | None:
    """The metadata dict from a commit's userMetadata, or None when the commit has none of ours."""
    if not value:
        return None
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


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


def not_found_reason(path: str) -> str:
    """Why there is no Delta table at ``path``, in the words both backends use."""
    import os

    if not has_scheme(path):
        if not os.path.exists(path):
            return "no such table (the path does not exist)"
        if os.path.isdir(path) and not os.path.isdir(os.path.join(path, "_delta_log")):
            return "the path exists but is not a Delta table (no _delta_log folder)"
    return "not a Delta table"


def rows_in_log(path: str, storage_options: dict[str, str] | None = None) -> int | None:
    """The rows of a Delta table's latest version, summed from its log's per-file statistics (``numRecords``),
    without Spark: for choices made before a session starts. None when the table cannot be opened or a file
    has no statistics."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        from deltalake import DeltaTable

        table = DeltaTable(normalize_local(path), storage_options=storage_options or None)
        counts = pa.table(table.get_add_actions(flatten=True)).column("num_records")
    except Exception:  # the job reports a missing or unreadable table itself, with the table's name
        return None
    if counts.null_count:
        return None
    return int(pc.sum(counts).as_py() or 0)
