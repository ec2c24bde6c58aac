"""A session's time limit: no recording or plugin can keep a grading worker busy for good.

The limit (``--timeout``, else :func:`default_limit` of the recording's length) is kept in
two places. In the process that analyses, a timer raises :class:`TimeLimit` wherever
Python code is running: an analyzer over it fails alone (its metrics are unscored, the
others get a short grace to finish), anything else stops the session with an error that
names the stage. A hang the timer cannot reach (inside C code, or a plugin that catches
everything) is ended from outside: the batch's executor stops the worker, and ``analyze``
has a watchdog thread, each a little after the limit (:func:`hard_limit`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: The default limit: a fixed allowance (start-up, model loading, a slow disk) plus this
#: many seconds per second of recording. Analysis runs at ~0.1 × real time on two cores,
#: so the default is ~20 × what a session normally takes: only a hang reaches it.
BASE_S = 300.0
PER_RECORDED_S = 2.0
#: Longest recording the default is scaled for (a header may claim 1e10 s).
LONGEST_S = 12 * 3600.0


class TimeLimit(BaseException):
    """The session ran past its time limit. A BaseException, so that a plugin's ``except
    Exception`` cannot swallow it."""

    def __init__(self, seconds: float, stage: str = ""):
        super().__init__(seconds, stage)
        self.seconds = seconds
        self.stage = stage

    def __str__(self) -> str:
        where = f" while {self.stage}" if self.stage else ""
        return (
            f"stopped after {self.seconds:g} s, the session's time limit{where} "
            "(--timeout sets the limit)"
        )


def default_limit(duration_s: float) -> float:
    """The limit for a recording of ``duration_s`` when ``--timeout`` is not given."""
    return BASE_S + PER_RECORDED_S * min(max(duration_s, 0.0), LONGEST_S)


def hard_limit(limit_s: float) -> float:
    """When a worker that has not stopped at ``limit_s`` is stopped from outside."""
    return limit_s + max(10.0, 0.25 * limit_s)


class Deadline:
    """The running session's limit: what stage it is in, and a grace for the analyzers
    left once one of them has used the time up."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.stage = ""
        self.started = time.monotonic()

    def grace(self) -> None:
        """Give the analyzers still to run a short time of their own."""
        _arm(max(30.0, 0.1 * self.seconds))


_current: Deadline | None = None


def current() -> Deadline | None:
    """The limit of the session being analysed in this process, if one is set."""
    return _current


def _arm(seconds: float) -> None:
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))


@contextmanager
def time_limit(seconds: float | None, watchdog: bool = False) -> Iterator[Deadline | None]:
    """Raise :class:`TimeLimit` in this (main) thread after ``seconds``. ``watchdog``:
    also end the process (exit 2, one line on stderr) at :func:`hard_limit`, for a hang
    the timer cannot reach. No limit for ``None`` or 0, off the main thread (the TUI's
    worker), or where there is no SIGALRM (Windows)."""
    global _current
    usable = (
        bool(seconds)
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and _current is None
    )
    if not usable:
        yield None
        return
    assert seconds is not None
    deadline = Deadline(seconds)

    def expired(signum: int, frame: object) -> None:
        raise TimeLimit(deadline.seconds, deadline.stage)

    previous = signal.signal(signal.SIGALRM, expired)
    stop = threading.Event()
    if watchdog:
        threading.Thread(
            target=_watch, args=(deadline, stop), name="livelab-watchdog", daemon=True
        ).start()
    _current = deadline
    _arm(seconds)
    try:
        yield deadline
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _current = None
        stop.set()


def _watch(deadline: Deadline, stop: threading.Event) -> None:
    if stop.wait(hard_limit(deadline.seconds)):
        return
    where = f" while {deadline.stage}" if deadline.stage else ""
    sys.stderr.write(
        f"error: stopped after {hard_limit(deadline.seconds):g} s{where}: it did not stop "
        f"at the session's time limit of {deadline.seconds:g} s (--timeout sets it)\n"
    )
    sys.stderr.flush()
    os._exit(2)


def tracking(progress: Callable[[str, float | None, str], None] | None, deadline: Deadline | None
             ) -> Callable[[str, float | None, str], None] | None:  # fmt: skip
    """``progress`` that also notes each stage's message as where the session is."""
    if deadline is None:
        return progress

    def report(stage: str, fraction: float | None, message: str) -> None:
        deadline.stage = message or stage
        if progress is not None:
            progress(stage, fraction, message)

    return report
