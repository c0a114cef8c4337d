"""What runs inside a worker: one life (setup, main, teardown), a periodic schedule, a process's body.

Used on a worker's thread and inside a worker's process alike; the
supervision around it (start, stop, restarts, hooks) is
:mod:`spoc.workers.supervisor`, and a process's parent side
:mod:`spoc.workers.process`.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import signal
import time
import traceback
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = [
    "PERIODIC_RUN",
    "PipeStop",
    "Reporter",
    "StopEvent",
    "caller",
    "process_main",
    "run_once",
    "run_periodically",
]

logger = logging.getLogger("spoc.workers")

PERIODIC_RUN: Final = "a periodic run"  # the phase of a failed periodic run, which is not fatal


class StopEvent(Protocol):
    """What a worker's ``stop`` offers: a ``threading.Event``, or in a process a :class:`PipeStop`."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class Reporter(Protocol):
    """Where a running worker says that it started or failed."""

    def started(self) -> None: ...

    def failed(self, phase: str, error: BaseException) -> None: ...


def caller(function: Callable[..., Any], stop: Any) -> Callable[[], Any]:
    """Return ``function`` ready to call: with ``stop`` if it declares a parameter."""
    try:
        takes_stop = len(inspect.signature(function).parameters) > 0
    except (TypeError, ValueError):  # a builtin without a signature
        takes_stop = False
    return partial(function, stop) if takes_stop else function


def run_periodically(
    tick: Callable[[], Any],
    every: float,
    stop: StopEvent,
    report: Reporter,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Call ``tick`` every ``every`` seconds until ``stop`` is set: no drift, no overlap.

    Runs are due at ``start + k * every`` whatever each one takes. When a run
    overruns, the due times it covered are skipped rather than run back to
    back. A run that raises is reported and the schedule goes on.
    """
    due = clock() + every
    while not stop.wait(max(0.0, due - clock())):
        try:
            tick()
        except Exception as exc:  # noqa: BLE001 - one failed run must not end the schedule
            report.failed(PERIODIC_RUN, exc)
        due += every
        late = clock() - due
        if late > 0:
            skipped = int(late // every) + 1
            logger.warning("a periodic run took longer than every=%g s; skipping %d due run(s)", every, skipped)
            due += skipped * every


def run_once(target: Any, stop: Any, every: float | None, report: Reporter) -> bool:
    """Run one life of a synchronous worker: setup, main (or its schedule), teardown.

    ``teardown`` runs whenever ``setup`` succeeded, even if ``main`` failed.

    Returns:
        Whether nothing failed (a failed periodic run does not count).
    """
    try:
        instance = target() if isinstance(target, type) else None
        setup = getattr(instance, "setup", None)
        if callable(setup):
            caller(setup, stop)()
    except BaseException as exc:  # noqa: BLE001 - reported, never lost in a thread
        report.failed("setup", exc)
        return False
    main = target if instance is None else instance.main
    report.started()
    ok = True
    try:
        if every is None:
            caller(main, stop)()
        else:
            run_periodically(caller(main, stop), every, stop, report)
    except BaseException as exc:  # noqa: BLE001 - reported, never lost in a thread
        ok = False
        report.failed("main", exc)
    teardown = getattr(instance, "teardown", None)
    if callable(teardown):
        try:
            caller(teardown, stop)()
        except BaseException as exc:  # noqa: BLE001 - reported, never lost in a thread
            ok = False
            report.failed("teardown", exc)
    return ok


class PipeStop:
    """The ``stop`` of a worker's process: set once the parent writes to the pipe, or is gone.

    The parent asks by writing to a pipe whose read end is this object's,
    instead of setting a shared ``multiprocessing.Event``: a child killed
    while it waits can leave a shared event's lock taken, and then the
    parent's ``set()`` blocks for ever. Writing to a pipe never waits for
    the child. The end of the pipe counts too: a child whose parent died
    (and took the write end with it) stops instead of running on, orphaned.
    Waiting only looks at the pipe, so any number of threads may wait at once.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._set = False

    def is_set(self) -> bool:
        """Return whether the worker was asked to stop."""
        return self.wait(0)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the worker is asked to stop, or ``timeout`` seconds; return whether it was."""
        if not self._set:
            try:
                self._set = self._connection.poll(timeout)
            except (OSError, ValueError):  # closed: nobody is left to say "go on"
                self._set = True
        return self._set


class _PipeReporter:
    """The reporter inside a worker's process: tells the watching thread of the parent."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _send(self, message: tuple[Any, ...]) -> None:
        with contextlib.suppress(OSError):  # the parent is gone; nobody is left to tell
            self._connection.send(message)

    def started(self) -> None:
        self._send(("started",))

    def failed(self, phase: str, error: BaseException) -> None:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self._send(("failed", phase, f"{type(error).__name__}: {error}", text))


def process_main(
    target: Any, every: float | None, stop: Connection, events: Connection, parent_end: Connection | None = None
) -> None:
    """Run a process worker inside its process; exit with status 1 if it failed.

    Args:
        target: the worker's function or class.
        every: a periodic worker's interval, else ``None``.
        stop: the read end of the pipe on which the parent asks it to stop.
        events: where it reports that it started or failed.
        parent_end: with ``fork``, the copy of the parent's write end of
            ``stop`` that the child inherited; closed, so that only the
            parent holds it and the parent's end shows as the pipe's end.
    """
    # Ctrl+C reaches the whole process group: the parent decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked child inherits the parent's handlers; terminate() must end it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if parent_end is not None:
        parent_end.close()
    try:
        ok = run_once(target, PipeStop(stop), every, _PipeReporter(events))
    finally:
        events.close()
    if not ok:
        raise SystemExit(1)
