"""A per-call wall-clock limit that can interrupt a stuck HTML parse or extraction.

Why a signal timer: a thread-based timeout cannot stop lxml or trafilatura (Python cannot kill a
thread), and a subprocess per page costs more than the extraction itself. ``setitimer(ITIMER_REAL)``
delivers SIGALRM to the process; CPython runs the handler in the main thread at the next bytecode,
so a long extraction (Python-level loops over the tree, with C calls in between) is interrupted
within one C call. The size and node caps applied before parsing keep any single C call short.

Spark's Python workers run UDF code in the worker process's main thread, so this works there.
Off the main thread (a thread pool) signals cannot be used; the limit then degrades to no time
limit (the size caps still bound the work) and ``time_limit_available()`` says so.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(Exception):
    """Raised inside the guarded block when its time limit expires."""


def time_limit_available() -> bool:
    """True when a hard limit can be enforced here (main thread of a POSIX process)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _raise_timeout(signum: int, frame: object) -> None:
    raise TimeLimitExceeded()


@contextmanager
def time_limit(seconds: float) -> Iterator[bool]:
    """Run the block under a wall-clock limit; yields whether the limit is enforced.

    The previous SIGALRM handler and any outer timer are restored afterwards, and an outer timer
    that would have fired during the block is re-armed with a minimal delay rather than lost.
    """
    if seconds <= 0 or not time_limit_available():
        yield False
        return
    previous_handler = signal.signal(signal.SIGALRM, _raise_timeout)
    outer_remaining, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    left = 0.0
    try:
        yield True
    finally:
        # nested so the handler is restored even if the alarm fires while it is being disarmed
        try:
            left, _ = signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous_handler)
        if outer_remaining > 0:
            used = seconds - left
            signal.setitimer(signal.ITIMER_REAL, max(outer_remaining - used, 1e-3), outer_interval)
