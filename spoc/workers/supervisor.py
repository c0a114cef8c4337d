"""Supervise workers: start and stop them, report their events, restart them after failures.

Every worker has a supervisor thread that runs it (threads and periodic
schedules directly, asyncio in an event loop of its own, a process through
:mod:`spoc.workers.process`), reports what happens through the worker
hooks, and restarts it as its policy says. Each run gets a ``stop`` of its
own, so nothing an earlier run left behind decides whether the next one
stops. Stopping never waits longer than the worker's ``stop_timeout`` and
a bounded grace: then a process is terminated and killed, an asyncio main
cancelled, and a thread, which Python cannot end, left as a daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from spoc.errors import WorkerError, WorkerTimeoutError
from spoc.workers.body import PERIODIC_RUN, StopEvent, caller, run_once, run_periodically
from spoc.workers.process import GRACE, ChildProcess, check_process, exit_signal, kill_processes

if TYPE_CHECKING:
    from spoc.framework import Framework
    from spoc.workers.spec import WorkerSpec

__all__ = ["StopEvent", "Worker", "kill_processes", "run_once", "run_periodically"]

logger = logging.getLogger("spoc.workers")

_CRASH: Final = "a crash, most often in a C extension"
_SIGNAL_CAUSES: Final = {
    "SIGKILL": "the kernel's out-of-memory killer, or another process",
    "SIGSEGV": _CRASH,
    "SIGBUS": _CRASH,
    "SIGILL": _CRASH,
    "SIGFPE": _CRASH,
    "SIGABRT": _CRASH,
}


async def _maybe_await(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


def _cancel_soon(loop: asyncio.AbstractEventLoop, task: asyncio.Future[Any], kill: bool = False) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the run is over
        loop.call_soon_threadsafe(task.cancel)


def _set_soon(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the run is over
        loop.call_soon_threadsafe(event.set)


class Worker:
    """A worker of the running application: its spec, its state, the thread that supervises it.

    Attributes:
        spec: how it was declared (:class:`~spoc.workers.spec.WorkerSpec`).
        state: ``new``, ``starting``, ``running``, ``restarting``, and at the
            end of a run ``stopped`` (asked to), ``finished`` (main returned
            by itself) or ``failed``.
        restarts: how many times it was restarted.
        error: its last failure, or ``None``.
        pid: the process id of a process worker's current (or last) process.
        exitcode: how a process worker's last process ended: its exit status,
            or minus the number of the signal that killed it (``-9``);
            ``None`` while it runs, and for the other kinds.
        exit_signal: the name of the signal that killed that process, e.g.
            ``SIGKILL``; ``None`` if it exited by itself.
    """

    def __init__(self, spec: WorkerSpec, framework: Framework | None = None) -> None:
        self.spec = spec
        self.framework = framework
        self.state = "new"
        self.restarts = 0
        self.error: BaseException | None = None
        self.pid: int | None = None
        self.exitcode: int | None = None
        self.exit_signal: str | None = None
        self._stop = threading.Event()  # once set, no run of this worker begins
        self._began = threading.Event()  # the supervisor thread runs: it can be joined
        self._settled = threading.Event()  # the first setup is done or failed
        self._lock = threading.Lock()  # guards what the current run shows to stop()
        self._thread: threading.Thread | None = None
        self._stopped = False  # stop() ran
        self._ask: Callable[[], None] | None = None  # asks the current run to stop
        self._force: Callable[[bool], None] | None = None  # ends it: terminate (False) or kill (True)

    @property
    def name(self) -> str:
        """The worker's unique name, e.g. ``blog.Indexer``."""
        return self.spec.name

    @property
    def kind(self) -> str:
        """``thread``, ``process``, ``asyncio`` or ``periodic``."""
        return self.spec.kind

    @property
    def stopping(self) -> bool:
        """Whether the worker was asked to stop."""
        return self._stop.is_set()

    @property
    def alive(self) -> bool:
        """Whether its supervisor thread still runs."""
        return self._thread is not None and self._thread.is_alive()

    # -- start and stop, called by the lifecycle -------------------------------

    def start(self) -> None:
        """Start the worker, then wait (up to ``start_timeout``) until its setup is done or failed.

        Whatever interrupts the wait (Ctrl+C, a signal handler's exception)
        stops the worker again, within its stop timeout, before it goes on.

        Raises:
            WorkerError: it was started before, or its process cannot be made.
        """
        if self._thread is not None:
            raise WorkerError(f"{self.spec.describe()} was started already; a Worker runs once", worker=self.name)
        if self.kind == "process":
            check_process(self.spec)
        self.state = "starting"
        thread = threading.Thread(target=self._supervise, name=f"spoc-worker:{self.name}", daemon=True)
        self._thread = thread
        try:
            try:
                thread.start()
            except Exception:
                self._thread = None  # no thread was made: nothing runs, nothing to stop
                raise
            settled = self._settled.wait(self.spec.start_timeout)
        except BaseException:
            if self._thread is not None:
                self._abandon_start()
            raise
        if not settled:
            logger.warning(
                "worker %r has not finished its setup after %g s (start_timeout); startup goes on",
                self.name,
                self.spec.start_timeout,
            )

    def _abandon_start(self) -> None:
        logger.warning("worker %r: its start was interrupted; stopping it", self.name)
        with contextlib.suppress(WorkerError):  # stop() logged and reported it; the interruption goes on
            self.stop()

    def stop(self) -> None:
        """Ask the worker to stop and wait for it, up to ``stop_timeout``; a no-op when not started or stopped.

        Raises:
            WorkerTimeoutError: it did not stop in time; a process was terminated
                (killed if it resisted), an asyncio main task cancelled, a thread
                left running as a daemon.
        """
        thread = self._thread
        if thread is None or self._stopped:
            return
        self._stopped = True  # a second call (an interrupted start, then its undo) does not wait again
        self._request_stop()
        self._join(thread, self.spec.stop_timeout)
        if not thread.is_alive():
            return
        error = WorkerTimeoutError(self.name, self.kind, self.spec.stop_timeout, self.spec.site)
        self._end_forcibly(thread)
        self.error = error
        logger.error("%s", error)
        self._emit("spoc_on_worker_error", error=error)
        raise error

    def _join(self, thread: threading.Thread, timeout: float) -> None:
        """Wait for the supervisor thread up to ``timeout``, also when it was made but has not begun yet."""
        deadline = time.monotonic() + timeout
        if self._began.wait(timeout):
            thread.join(max(0.0, deadline - time.monotonic()))

    def _request_stop(self) -> None:
        with self._lock:
            self._stop.set()
            if self._ask is not None:
                self._ask()

    def _end_forcibly(self, thread: threading.Thread) -> None:
        with self._lock:
            force = self._force
        if force is None:  # a thread: Python cannot end it
            return
        force(False)
        thread.join(GRACE)
        if thread.is_alive():
            force(True)
            thread.join(GRACE)

    def _expose(self, ask: Callable[[], None], force: Callable[[bool], None] | None = None) -> None:
        """Let stop() reach the run that begins; ask it at once if stopping already."""
        with self._lock:
            self._ask, self._force = ask, force
            if self._stop.is_set():
                ask()

    def _conceal(self) -> None:
        with self._lock:
            self._ask = self._force = None

    # -- the supervisor thread ----------------------------------------------

    def _supervise(self) -> None:
        """Run the worker, then restart it after failures as its policy allows."""
        self._began.set()
        try:
            while not self._stop.is_set():
                ok = self._run()
                self._settled.set()
                if ok or self._stop.is_set() or not self._may_restart():
                    return
                delay = min(self.spec.backoff * 2**self.restarts, self.spec.max_backoff)
                self.state = "restarting"
                logger.warning(
                    "worker %r restarts in %g s (restart %d of %d)",
                    self.name,
                    delay,
                    self.restarts + 1,
                    self.spec.max_restarts,
                )
                if self._stop.wait(delay):
                    self.state = "stopped"
                    return
                self.restarts += 1
        except BaseException as exc:
            self.state = "failed"
            self.error = exc
            logger.exception("the supervisor of worker %r failed", self.name)
        finally:
            self._settled.set()

    def _may_restart(self) -> bool:
        if self.spec.restart == "never":
            return False
        if self.restarts >= self.spec.max_restarts:
            logger.error(
                "worker %r failed after %d restart(s); giving up (max_restarts=%d)",
                self.name,
                self.restarts,
                self.spec.max_restarts,
            )
            return False
        return True

    def _run(self) -> bool:
        """Run the worker once, whatever its kind; report that it stopped; return whether it did not fail."""
        self.state = "starting"
        if self.kind == "asyncio":
            ok = asyncio.run(self._run_async())
        elif self.kind == "process":
            ok = self._run_process()
        else:
            ok = self._run_thread()
        self.state = "stopped" if ok and self._stop.is_set() else "finished" if ok else "failed"
        self._emit("spoc_after_worker_stopped")
        return ok

    def _run_thread(self) -> bool:
        stop = threading.Event()
        self._expose(stop.set)
        try:
            return run_once(self.spec.target, stop, self.spec.every, self)
        finally:
            self._conceal()

    # Reporter: events of the thread and asyncio kinds, and of a process as its watcher hears them.

    def started(self) -> None:
        """Record that setup is done: report it, and let startup go on."""
        self.state = "running"
        self._emit("spoc_after_worker_started")
        self._settled.set()

    def failed(self, phase: str, error: BaseException) -> None:
        """Log a failure with the worker's name and traceback, and report it."""
        self.error = error
        remote = getattr(error, "remote_traceback", "")
        if remote:
            logger.error("worker %r failed in %s:\n%s", self.name, phase, remote.rstrip())
        elif isinstance(error, WorkerError) and error.__traceback__ is None:  # SPOC's own finding: no traceback
            logger.error("%s", error)
        else:
            logger.error(
                "worker %r failed in %s: %s: %s", self.name, phase, type(error).__name__, error, exc_info=error
            )
        self._emit("spoc_on_worker_error", error=error)

    def _emit(self, hook_name: str, **kwargs: Any) -> None:
        """Call a worker hook; an implementation that raises is logged and the worker goes on."""
        if self.framework is None:
            return
        try:
            results = getattr(self.framework.hook, hook_name)(framework=self.framework, worker=self, **kwargs)
        except Exception:
            logger.exception("a %s implementation raised for worker %r; the worker goes on", hook_name, self.name)
            return
        for result in results:
            if inspect.iscoroutine(result):
                result.close()
                logger.error("a %s implementation is async def; worker hooks must be plain functions", hook_name)

    # -- asyncio: setup, main and teardown in one event loop ----------------------

    async def _run_async(self) -> bool:
        stop = asyncio.Event()
        self._expose(partial(_set_soon, asyncio.get_running_loop(), stop))
        try:
            return await self._async_life(stop)
        finally:
            self._conceal()

    async def _async_life(self, stop: asyncio.Event) -> bool:
        target = self.spec.target
        try:
            instance = target() if isinstance(target, type) else None
            setup = getattr(instance, "setup", None)
            if callable(setup):
                await _maybe_await(caller(setup, stop)())
        except Exception as exc:  # noqa: BLE001 - reported through the hooks
            self.failed("setup", exc)
            return False
        self.started()
        ok = True
        task = asyncio.ensure_future(caller(target if instance is None else instance.main, stop)())
        with self._lock:
            self._force = partial(_cancel_soon, asyncio.get_running_loop(), task)
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            logger.warning("worker %r: main was cancelled after its stop timeout", self.name)
        except Exception as exc:  # noqa: BLE001 - reported through the hooks
            ok = False
            self.failed("main", exc)
        teardown = getattr(instance, "teardown", None)
        if callable(teardown):
            try:
                await _maybe_await(caller(teardown, stop)())
            except Exception as exc:  # noqa: BLE001 - reported through the hooks
                ok = False
                self.failed("teardown", exc)
        return ok

    # -- process: the worker runs in a child process, watched from this thread ------

    def _run_process(self) -> bool:
        self.exitcode = self.exit_signal = None
        try:
            child = ChildProcess(self.spec)
        except Exception as exc:  # noqa: BLE001 - e.g. too many open files; reported through the hooks
            self.failed("start", exc)
            return False
        # Exposed before the child exists: a stop asked meanwhile waits in the pipe for it.
        self._expose(child.request_stop, child.force)
        try:
            try:
                child.start()
            except Exception as exc:  # noqa: BLE001 - reported through the hooks
                self.failed("start", exc)
                return False
            self.pid = child.pid
            return self._watch(child)
        finally:
            self._conceal()
            child.close()

    def _watch(self, child: ChildProcess) -> bool:
        """Relay the child's messages until it exits; record how it ended; return whether it did not fail."""
        ok, started = True, False
        for message in child.events():
            if message[0] == "started":
                started = True
                self.started()
            else:
                ok = self._relay(message, child.pid) and ok
        self.exitcode, self.exit_signal = child.exitcode, exit_signal(child.exitcode)
        # Explained: a clean exit, our own terminate/kill, or the status 1 of a failure it reported.
        if child.exitcode in (0, None) or child.forced or (child.exitcode == 1 and not ok):
            return ok
        self.failed("main" if started else "setup", self._death(child, started))
        return False

    def _death(self, child: ChildProcess, started: bool) -> WorkerError:
        """Return the error that says how a child ended without reporting why."""
        when = "while stopping" if self._stop.is_set() else "while it ran" if started else "during its setup"
        if self.exit_signal:
            cause = _SIGNAL_CAUSES.get(self.exit_signal, "another process")
            how = f"was killed by {self.exit_signal} {when}, a signal SPOC did not send ({cause})"
        else:
            how = (
                f"exited with status {child.exitcode} {when} without reporting an exception "
                "(os._exit(), or exit() in a C extension)"
            )
        restart = " Declare it with restart='on-failure' to have it restarted." if self.spec.restart == "never" else ""
        return WorkerError(
            f"{self.spec.describe()}: its process {child.pid} {how}.{restart}",
            worker=self.name,
            site=self.spec.site,
        )

    def _relay(self, message: tuple[Any, ...], pid: int | None) -> bool:
        _, phase, summary, text = message
        self.failed(
            phase,
            WorkerError(
                f"worker {self.name!r} failed in {phase} in its process {pid}: {summary}",
                worker=self.name,
                site=self.spec.site,
                remote_traceback=text,
            ),
        )
        return bool(phase == PERIODIC_RUN)

    def __repr__(self) -> str:
        ended = self.exit_signal or (f"exit status {self.exitcode}" if self.exitcode else "")
        return f"<Worker {self.name} {self.kind} {self.state}{f' ({ended})' if ended else ''}>"
