"""Failpoints for tests: end the process the way a kill would, at a chosen point of a run.

``CORPUSSIEVE_FAILPOINT=after_commit:N`` ends the process right after the N-th table commit it made
(a commit that wrote a version; an idempotent skip is not one), on either backend: ``os._exit(137)``,
so no ``finally`` block, atexit hook or Spark shutdown runs, and the JVM goes with the process as it
would after ``kill -9``. Unset, a commit pays one dictionary lookup.
"""

from __future__ import annotations

import logging
import os
import sys

ENV = "CORPUSSIEVE_FAILPOINT"
KILLED_EXIT_CODE = 137  # 128 + SIGKILL, what a shell reports for a killed process

_commits = 0


def _parse(spec: str) -> int:
    name, _, number = spec.partition(":")
    if name != "after_commit" or not number.isdigit() or int(number) < 1:
        raise ValueError(f"{ENV}={spec!r}: expected after_commit:N with N >= 1")
    return int(number)


def after_commit(path: str) -> None:
    """Count one table commit; die here if the failpoint says so."""
    global _commits
    spec = os.environ.get(ENV)
    if not spec:
        return
    _commits += 1
    if _commits == _parse(spec):
        logging.getLogger("corpussieve.failpoints").error(
            "failpoint %s: ending the process after commit %d (%s)", spec, _commits, path)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(KILLED_EXIT_CODE)


def reset() -> None:
    """Forget the commits counted so far (for tests that run several jobs in one process)."""
    global _commits
    _commits = 0
