"""A process worker's child, seen from its parent: made, asked to stop, forced, watched and reaped.

Nothing the child does can make the parent wait for ever. The parent asks
the child to stop by writing to a pipe (the child's ``stop`` is its read
end, :class:`~spoc.workers.body.PipeStop`), never through a primitive the
child could hold when it dies. The child reports on a second pipe that only
the child writes to, so its death ends every read. The watching thread
reaps the child as soon as it exits, and the exit status says how it ended.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from spoc.errors import WorkerError
from spoc.workers.body import process_main

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from spoc.workers.spec import WorkerSpec

__all__ = ["GRACE", "ChildProcess", "check_process", "exit_signal", "kill_processes"]

STOP_MESSAGE: Final = b"stop"
GRACE: Final = 2.0  # seconds a terminated or killed process gets to end

# Every worker process alive, so that a forced exit can take them along.
_LIVE_PROCESSES: weakref.WeakSet[BaseProcess] = weakref.WeakSet()

# One child is made at a time: a forked child inherits every open descriptor,
# and must not hold the write end of another child's report pipe, whose end
# would then never show when that child dies.
_MAKING = threading.Lock()


def kill_processes() -> None:
    """Kill every worker process still alive (a forced exit leaves none behind)."""
    for process in list(_LIVE_PROCESSES):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # already gone, closed, or not started
            process.kill()


def exit_signal(exitcode: int | None) -> str | None:
    """Return the name of the signal that ended a process, e.g. ``SIGKILL``; ``None`` if it exited.

    ``exitcode`` is ``multiprocessing``'s: the exit status, or minus the signal's number.
    """
    if exitcode is None or exitcode >= 0:
        return None
    try:
        return signal.Signals(-exitcode).name
    except ValueError:  # a real-time or unnamed signal
        return f"signal {-exitcode}"


def _clause(text: object) -> str:
    """Return ``text`` fit to be followed by a period of our own."""
    return str(text).rstrip().rstrip(".")


def check_process(spec: WorkerSpec) -> None:
    """Check, before startup goes on, that the worker's process can be made.

    Raises:
        WorkerError: the start method does not exist here, or the worker
            cannot be sent to a ``spawn``/``forkserver`` process.
    """
    method = spec.start_method
    available = multiprocessing.get_all_start_methods()
    if method not in available:
        raise WorkerError(
            f"{spec.describe()}: start_method={method!r} is not available on this platform; "
            f"available: {', '.join(available)}",
            worker=spec.name,
            site=spec.site,
        )
    if method == "fork":
        return
    try:
        pickle.dumps(spec.target)
    except Exception as exc:
        raise WorkerError(
            f"{spec.describe()} cannot be sent to a {method!r} process: {type(exc).__name__}: {_clause(exc)}. "
            "Define it at the top level of a module, or use start_method='fork'.",
            worker=spec.name,
            site=spec.site,
        ) from exc


class ChildProcess:
    """One run of a process worker: its child, the pipe that asks it to stop, the pipe it reports on.

    Made and watched by the worker's supervisor thread; :meth:`request_stop`
    and :meth:`force` may be called from any thread, at any time, also after
    the run ended. Each run has pipes of its own, so nothing a dead child
    left behind reaches the next run.

    Attributes:
        pid: the child's process id, once started.
        exitcode: ``multiprocessing``'s exit code once the child is reaped:
            its exit status, or minus the number of the signal that killed it.
        forced: whether the parent terminated or killed it.
    """

    def __init__(self, spec: WorkerSpec) -> None:
        context: Any = multiprocessing.get_context(spec.start_method)
        self._stop_reader, self._stop_writer = context.Pipe(duplex=False)
        self._events, self._events_writer = context.Pipe(duplex=False)
        # A forked child inherits the parent's write end of its stop pipe: it closes that copy first.
        parent_end = self._stop_writer if spec.start_method == "fork" else None
        self._process: BaseProcess = context.Process(
            target=process_main,
            args=(spec.target, spec.every, self._stop_reader, self._events_writer, parent_end),
            name=f"spoc-worker:{spec.name}",
            daemon=True,
        )
        self._lock = threading.Lock()
        self._asked = False
        self._closed = False
        self.pid: int | None = None
        self.exitcode: int | None = None
        self.forced = False

    def start(self) -> None:
        """Start the child and set :attr:`pid`."""
        with _MAKING:
            try:
                self._process.start()
            finally:
                self._events_writer.close()  # the child's end: ours would keep the pipe open after its death
        _LIVE_PROCESSES.add(self._process)
        self.pid = self._process.pid

    def request_stop(self) -> None:
        """Ask the child to stop; returns at once (one message into an empty pipe); idempotent."""
        with self._lock:
            if self._asked or self._closed:
                return
            self._asked = True
            # The parent keeps the read end open until the run is over, so the write cannot fail with EPIPE.
            with contextlib.suppress(OSError):
                self._stop_writer.send_bytes(STOP_MESSAGE)

    def force(self, kill: bool = False) -> None:
        """Terminate the child (SIGTERM), or kill it (SIGKILL); a no-op once it is reaped or before it started."""
        with self._lock:
            # Never poll the process here: reaping is the watching thread's, so that it learns the exit code.
            if self._closed or self.pid is None or self.exitcode is not None:
                return
            self.forced = True
            with contextlib.suppress(OSError):  # it ended meanwhile
                if kill:
                    self._process.kill()
                else:
                    self._process.terminate()

    def events(self) -> Iterator[tuple[Any, ...]]:
        """Yield the child's messages until it exits, then reap it and set :attr:`exitcode`.

        Every read ends when the child dies, whatever it was doing: the
        parent does not hold the write end of the report pipe.
        """
        events, sentinel = self._events, self._process.sentinel
        waiting: list[Any] = [events, sentinel]
        while waiting:
            ready = multiprocessing.connection.wait(waiting)
            if events in ready:
                try:
                    yield events.recv()
                except EOFError:  # it closed its end (or died): only its exit is left to wait for
                    waiting.remove(events)
            elif sentinel in ready:
                yield from self._drain()
                waiting = []
        # Blocks only while the child lives on after closing its descriptors; stop() forces it then.
        self._process.join()
        self.exitcode = self._process.exitcode

    def _drain(self) -> Iterator[tuple[Any, ...]]:
        """Yield what the child wrote before it exited."""
        with contextlib.suppress(EOFError, OSError):
            while self._events.poll():
                yield self._events.recv()

    def close(self) -> None:
        """Release the pipes and the process; a child not reaped yet (the watch failed) is killed and reaped first."""
        if self.pid is not None and self.exitcode is None:
            self.force(kill=True)
            self._process.join(GRACE)
            self.exitcode = self._process.exitcode
        with self._lock:
            self._closed = True
            for connection in (self._stop_writer, self._stop_reader, self._events, self._events_writer):
                connection.close()
            if self.pid is None or self.exitcode is not None:
                self._process.close()
                _LIVE_PROCESSES.discard(self._process)
