import signal
import threading
import time

import pytest

from corpussieve.clean.timelimit import TimeLimitExceeded, time_limit, time_limit_available


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_interrupts_a_busy_python_loop():
    end = 50_000_000  # seconds of work: the limit must stop the loop long before it gets there
    progress = {"steps": 0}
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.5) as enforced:
            assert enforced is True
            while progress["steps"] < end:
                progress["steps"] += 1
    assert 0 < progress["steps"] < end // 2


def test_no_interrupt_when_fast_and_handler_and_timer_restored():
    # pytest-timeout may itself run a SIGALRM timer around each test: it must survive untouched
    before_handler = signal.getsignal(signal.SIGALRM)
    before_timer, _ = signal.getitimer(signal.ITIMER_REAL)
    with time_limit(1.0) as enforced:
        _spin(0.01)
    assert enforced is True
    assert signal.getsignal(signal.SIGALRM) is before_handler
    after_timer, _ = signal.getitimer(signal.ITIMER_REAL)
    if before_timer:
        assert 0 < after_timer <= before_timer
    else:
        assert after_timer == 0.0


def test_outer_timer_survives_an_inner_limit():
    fired = []
    saved_timer = signal.getitimer(signal.ITIMER_REAL)
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with time_limit(5):
            _spin(0.01)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 0.3
        _spin(0.6)
        assert fired == [True]
    finally:
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, *saved_timer)


def test_off_main_thread_degrades_to_no_limit():
    seen = {}

    def worker() -> None:
        seen["available"] = time_limit_available()
        with time_limit(0.01) as enforced:
            _spin(0.05)
        seen["enforced"] = enforced

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {"available": False, "enforced": False}
