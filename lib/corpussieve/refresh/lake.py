"""The lake: its tables under one root folder, the checks a refresh makes before touching them, and the
lock that keeps two refreshes (or a refresh and a forget) from running on one lake at the same time."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import socket
import xxhash
from dataclasses import dataclass

from corpussieve.errors import ConcurrentWriteError, InputError
from corpussieve.refresh.config import LakeTableNames
from corpussieve.tables.base import has_scheme

log = logging.getLogger("corpussieve.refresh")

#: The tables in the order ``why`` and ``forget`` visit them.
TABLES = ("raw", "raw_rejected", "index", "removed", "documents", "rejected", "site_lines", "paragraphs",
          "refresh_log")
#: Tables that hold one row per document id (``forget`` deletes from these; site_lines holds counts only,
#: paragraphs a hash per row with the id of the document that kept it, not the document).
ID_TABLES = ("raw", "raw_rejected", "index", "removed", "documents", "rejected")


@dataclass(frozen=True)
class Lake:
    root: str
    names: LakeTableNames

    def path(self, table: str) -> str:
        if table == "raw_rejected":
            return f"{self.root}/{self.names.raw}_rejected"
        return f"{self.root}/{getattr(self.names, table)}"

    @property
    def reports(self) -> str:
        return f"{self.root}/_reports"

    @property
    def lock_path(self) -> str:
        return f"{self.root}/_refresh.lock"

    @property
    def key(self) -> str:
        """A short stable name of this lake (its root), for Delta transaction ids."""
        return xxhash.xxh3_64_hexdigest(self.root.encode("utf-8"))[:12]

    def app_id(self, step: str) -> str:
        """The Delta ``txn`` application id of one step's commits in this lake; the batch is the version."""
        return f"corpussieve-refresh-{step}-{self.key}"

    def check(self, tables) -> dict[str, bool]:
        """Which lake tables exist; a lake table's folder that is not a Delta table is an error."""
        found = {}
        for table in TABLES:
            path = self.path(table)
            if tables.exists(path):
                found[table] = True
                continue
            if not has_scheme(path) and os.path.exists(path) and not _staged_before_creation(path):
                raise InputError("this folder of the lake is not a Delta table (no readable _delta_log)",
                                 table=path, expected=f"a Delta table named {table} or no folder at all "
                                                      "(a refresh creates it)")
            found[table] = False
        return found


#: The data files the delta-rs backend stages (``tables.delta_rs``: part-<task>-<write id>-<attempt>-<n>).
_STAGED_FILE = re.compile(r"^part-\d{5}-[0-9a-f]{16}-\d+-\d{4}\.\w+\.parquet$")


def _staged_before_creation(path: str) -> bool:
    """A folder holding only data files the delta-rs backend staged for the commit that would have created
    its table (a ``write_all`` writes every output's files before its first commit), or nothing: a refresh
    killed before that commit left it, and its rerun creates the table there."""
    if not os.path.isdir(path):
        return False
    return all(_STAGED_FILE.match(name) for name in os.listdir(path))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LakeLock:
    """An exclusive lock file in the lake's root, created atomically (``O_EXCL``).

    A lock whose process is gone (killed on this host) is taken over, so a rerun after a SIGKILL just
    works; a lock held by a live process is an error naming it. Locks only work on a local or shared POSIX
    file system: on object stores (s3://, gs://, abfss://) a refresh logs that the scheduler must keep to
    one refresh at a time (the Delta ``txn`` commits still never apply one batch twice).
    """

    def __init__(self, lake: Lake, run_id: str, command: str, stale_hours: float) -> None:
        self.lake = lake
        self.path = lake.lock_path
        self.run_id = run_id
        self.command = command
        self.stale_hours = stale_hours
        self.held = False

    def _holder(self) -> dict | None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def _stale(self, holder: dict | None) -> str | None:
        if holder is None:
            return "an unreadable lock file"
        if holder.get("host") == socket.gethostname():
            if not _alive(int(holder.get("pid", -1))):
                return f"process {holder.get('pid')} is gone"
            return None
        started = dt.datetime.fromisoformat(holder.get("started", "1970-01-01T00:00:00+00:00"))
        age = (dt.datetime.now(dt.timezone.utc) - started).total_seconds() / 3600
        if age > self.stale_hours:
            return f"it is {age:.0f} hours old (refresh.stale_lock_after_hours={self.stale_hours:g})"
        return None

    def acquire(self) -> None:
        if has_scheme(self.path) and not self.path.startswith("file:"):
            log.warning("lake %s is not on a local file system: no lock is taken; run one refresh at a time",
                        self.lake.root)
            return
        os.makedirs(self.lake.root, exist_ok=True)
        body = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "run_id": self.run_id,
                           "command": self.command,
                           "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                why = self._stale(holder)
                if why is None:
                    raise ConcurrentWriteError(
                        f"lake {self.lake.root} is busy: {holder.get('command')} (run {holder.get('run_id')}, "
                        f"pid {holder.get('pid')} on {holder.get('host')}) started {holder.get('started')}; "
                        f"nothing was committed. Wait for it, or delete {self.path} if that process is gone"
                    ) from None
                log.warning("taking over the lock of lake %s: %s", self.lake.root, why)
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            self.held = True
            return
        raise ConcurrentWriteError(f"lake {self.lake.root}: could not take the lock {self.path}")

    def release(self) -> None:
        if self.held:
            holder = self._holder()
            if holder and holder.get("run_id") == self.run_id:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path)
            self.held = False

    def __enter__(self) -> LakeLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


__all__ = ["ID_TABLES", "Lake", "LakeLock", "TABLES"]
