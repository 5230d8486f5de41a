"""The rows a Delta table gained between two versions, from the add actions of the commits in between.

A scheduled refresh must read only what its input table (the lake's ``raw``) gained since the last refresh
consumed it. Delta records that directly: every commit's JSON file in ``_delta_log`` lists the files it
added and removed, each with ``dataChange`` (false for compaction, which moves rows without changing them).
This reads those files, the same for tables written by either backend, and decides commit by commit:

* an append (adds with ``dataChange`` and no removes) contributes its files: these are the new rows;
* compaction (``dataChange`` false everywhere) contributes nothing: its files hold rows already counted;
* a delete (``corpussieve forget``, ``DELETE``) contributes nothing: its added files are the surviving rows
  of files it rewrote. It is refused when it rewrote a file added within the range (rows nobody consumed
  yet would be lost or read twice), as is compaction of such a file;
* anything else that removes rows (an overwrite, MERGE, UPDATE) is refused: new rows can no longer be told
  from old ones, and only a full rebuild would be honest.

Files with deletion vectors are refused (the Parquet file alone would return deleted rows).
The decisions are pure (``appended_files``), so they are tested without Spark or a table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from corpussieve.errors import InputError

#: Operations whose added files rewrite rows the table already had (they add no new rows).
ROW_DELETING_OPERATIONS = {"DELETE"}


@dataclass
class Commit:
    """One commit's actions, as the JSON lines of ``_delta_log/<version>.json`` hold them."""

    version: int
    operation: str | None = None
    adds: list[dict[str, Any]] = field(default_factory=list)
    removes: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def parse(cls, version: int, text: str) -> Commit:
        commit = cls(version)
        for line in text.splitlines():
            if not line.strip():
                continue
            action = json.loads(line)
            if "add" in action:
                commit.adds.append(action["add"])
            elif "remove" in action:
                commit.removes.append(action["remove"])
            elif "commitInfo" in action:
                commit.operation = action["commitInfo"].get("operation")
        return commit


def appended_files(table: str, commits: list[Commit]) -> list[str]:
    """The relative paths of the files holding the rows appended by ``commits`` (in version order)."""
    pending: dict[str, int] = {}  # path -> the version that added it
    for commit in sorted(commits, key=lambda c: c.version):
        data_removes = [r for r in commit.removes if r.get("dataChange", True)]
        data_adds = [a for a in commit.adds if a.get("dataChange", True)]
        for removed in commit.removes:
            if removed["path"] in pending:
                raise InputError(
                    f"version {commit.version} ({commit.operation or 'unknown operation'}) rewrote a file that "
                    f"version {pending[removed['path']]} appended and no refresh has consumed yet", table=table,
                    expected="run the refresh (or rerun the interrupted one) before compacting or deleting from "
                             "this table",
                )
        if data_removes and commit.operation not in ROW_DELETING_OPERATIONS:
            raise InputError(
                f"version {commit.version} ({commit.operation or 'unknown operation'}) replaced rows; the rows "
                "added since the last refresh can no longer be told apart from the others", table=table,
                expected="an append-only table (appends, compaction and deletes); rebuild the lake from this "
                         "table if it was overwritten on purpose",
            )
        if data_removes:
            continue  # a delete: its added files are the rewritten survivors of files consumed before
        for added in data_adds:
            if added.get("deletionVector"):
                raise InputError(
                    f"version {commit.version} added a file with a deletion vector ({added['path']})", table=table,
                    expected="appended files without deletion vectors",
                )
            pending[added["path"]] = commit.version
    return list(pending)


def commit_log_path(table: str, version: int) -> str:
    return f"{table.rstrip('/')}/_delta_log/{version:020d}.json"


def read_commits(table: str, after: int | None, upto: int, storage_options: dict[str, str] | None = None
                 ) -> list[Commit]:
    """The commits after version ``after`` (None: from version 0) up to ``upto``, read from the log."""
    from corpussieve.tables.base import has_scheme

    first = 0 if after is None else after + 1
    commits = []
    if has_scheme(table) and not table.startswith("file:"):
        import pyarrow.fs as pafs

        fs, inner = pafs.FileSystem.from_uri(table)
        opener = lambda v: fs.open_input_stream(commit_log_path(inner, v))  # noqa: E731
    else:
        opener = lambda v: open(commit_log_path(table, v), "rb")  # noqa: E731
    for version in range(first, upto + 1):
        try:
            with opener(version) as handle:
                text = handle.read().decode("utf-8")
        except (FileNotFoundError, OSError) as exc:
            raise InputError(
                f"the log entry of version {version} is gone ({exc.__class__.__name__}): the table's log was "
                "cleaned up past the last refresh", table=table,
                expected="refreshes more often than delta.logRetentionDuration (30 days by default)",
            ) from None
        commits.append(Commit.parse(version, text))
    return commits


__all__ = ["Commit", "ROW_DELETING_OPERATIONS", "appended_files", "commit_log_path", "read_commits"]
