"""Supervise workers: start and stop them, report their events, restart them after failures.

Every worker has a supervisor thread that runs it (threads and periodic
schedules directly, asyncio in an event loop of its own, a process from a
watching thread), reports what happens through the worker hooks, and
restarts it as its policy says. What runs inside a worker is
:mod:`spoc.worker_body`. Only these modules and :mod:`spoc.runner` import
threading, multiprocessing and asyncio, and only for projects with workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import multiprocessing
import multiprocessing.connection
import pickle
import threading
import weakref
from typing import TYPE_CHECKING, Any, Final

from spoc.errors import WorkerError, WorkerTimeoutError
from spoc.workers.body import PERIODIC_RUN, StopEvent, caller, process_main, run_once, run_periodically
from spoc.workers.spec import WorkerSpec

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from spoc.framework import Framework

__all__ = ["StopEvent", "Worker", "kill_processes", "run_once", "run_periodically"]

logger = logging.getLogger("spoc.workers")

GRACE: Final = 2.0  # seconds a terminated process or a cancelled task gets to end
POLL: Final = 0.5  # how often the watcher of a silent process looks again

# Every worker process alive, so that a forced exit can take them along.
_LIVE_PROCESSES: weakref.WeakSet[BaseProcess] = weakref.WeakSet()


def kill_processes() -> None:
    """Kill every worker process still alive (a forced exit leaves none behind)."""
    for process in list(_LIVE_PROCESSES):
        with contextlib.suppress(OSError, ValueError):  # already gone, or closed
            process.kill()


async def _maybe_await(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


class Worker:
    """A worker of the running application: its spec, its state, the thread that supervises it.

    Attributes:
        spec: how it was declared (:class:`~spoc.worker_spec.WorkerSpec`).
        state: ``new``, ``starting``, ``running``, ``restarting``, and at the
            end of a run ``stopped`` (asked to), ``finished`` (main returned
            by itself) or ``failed``.
        restarts: how many times it was restarted.
        error: its last failure, or ``None``.
        pid: the process id of a process worker's current (or last) process.
    """

    def __init__(self, spec: WorkerSpec, framework: Framework | None = None) -> None:
        self.spec = spec
        self.framework = framework
        self.state = "new"
        self.restarts = 0
        self.error: BaseException | None = None
        self.pid: int | None = None
        self._stop = threading.Event()
        self._settled = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._process: BaseProcess | None = None
        self._process_stop: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_stop: asyncio.Event | None = None
        self._main_task: asyncio.Future[Any] | None = None

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

        Raises:
            WorkerError: it was started before, or its process cannot be made.
        """
        if self._thread is not None:
            raise WorkerError(f"{self.spec.describe()} was started already; a Worker runs once", worker=self.name)
        if self.kind == "process":
            self._prepare_process()
        self.state = "starting"
        self._thread = threading.Thread(target=self._supervise, name=f"spoc-worker:{self.name}", daemon=True)
        self._thread.start()
        if not self._settled.wait(self.spec.start_timeout):
            logger.warning(
                "worker %r has not finished its setup after %g s (start_timeout); startup goes on",
                self.name,
                self.spec.start_timeout,
            )

    def stop(self) -> None:
        """Ask the worker to stop and wait for it, up to ``stop_timeout``; a no-op when not started.

        Raises:
            WorkerTimeoutError: it did not stop in time; a process was terminated,
                an asyncio main task cancelled, a thread left running as a daemon.
        """
        thread = self._thread
        if thread is None:
            return
        self._request_stop()
        thread.join(self.spec.stop_timeout)
        if not thread.is_alive():
            return
        error = WorkerTimeoutError(self.name, self.kind, self.spec.stop_timeout, self.spec.site)
        self._end_forcibly(thread)
        self.error = error
        logger.error("%s", error)
        self._emit("spoc_on_worker_error", error=error)
        raise error

    def _request_stop(self) -> None:
        self._stop.set()
        with self._lock:
            if self._process_stop is not None:
                self._process_stop.set()
            loop, event = self._loop, self._async_stop
            if loop is not None and event is not None:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the run is over
                    loop.call_soon_threadsafe(event.set)

    def _end_forcibly(self, thread: threading.Thread) -> None:
        with self._lock:
            process, loop, task = self._process, self._loop, self._main_task
        if process is not None:
            process.terminate()
            thread.join(GRACE)
            if thread.is_alive():
                process.kill()
                thread.join(GRACE)
        elif loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(task.cancel)
            thread.join(GRACE)

    # -- the supervisor thread ----------------------------------------------

    def _supervise(self) -> None:
        """Run the worker, then restart it after failures as its policy allows."""
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
            ok = run_once(self.spec.target, self._stop, self.spec.every, self)
        self.state = "stopped" if ok and self._stop.is_set() else "finished" if ok else "failed"
        self._emit("spoc_after_worker_stopped")
        return ok

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
        with self._lock:
            self._loop, self._async_stop = asyncio.get_running_loop(), stop
        if self._stop.is_set():
            stop.set()
        try:
            return await self._async_life(stop)
        finally:
            with self._lock:
                self._loop = self._async_stop = self._main_task = None

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
            self._main_task = task
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

    def _prepare_process(self) -> None:
        method = self.spec.start_method
        available = multiprocessing.get_all_start_methods()
        if method not in available:
            raise WorkerError(
                f"{self.spec.describe()}: start_method={method!r} is not available on this platform; "
                f"available: {', '.join(available)}",
                worker=self.name,
                site=self.spec.site,
            )
        if method != "fork":
            try:
                pickle.dumps(self.spec.target)
            except Exception as exc:
                raise WorkerError(
                    f"{self.spec.describe()} cannot be sent to a {method!r} process: {type(exc).__name__}: {exc}. "
                    "Define it at the top level of a module, or use start_method='fork'.",
                    worker=self.name,
                    site=self.spec.site,
                ) from exc
        self._process_stop = multiprocessing.get_context(method).Event()

    def _run_process(self) -> bool:
        context: Any = multiprocessing.get_context(self.spec.start_method)
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(
            target=process_main,
            args=(self.spec.target, self.spec.every, self._process_stop, writer),
            name=f"spoc-worker:{self.name}",
            daemon=True,
        )
        try:
            with self._lock:
                if self._stop.is_set():
                    return True
                process.start()
                self._process, self.pid = process, process.pid
            _LIVE_PROCESSES.add(process)
        except Exception as exc:  # noqa: BLE001 - reported through the hooks
            self.failed("start", exc)
            return False
        finally:
            writer.close()
        try:
            return self._watch(process, reader)
        finally:
            with self._lock:
                self._process = None
            reader.close()
            _LIVE_PROCESSES.discard(process)

    def _watch(self, process: BaseProcess, reader: Connection) -> bool:
        """Relay the process's messages until it exits; return whether it did not fail."""
        ok = True
        waiting: list[Any] = [reader, process.sentinel]
        while waiting:
            ready = multiprocessing.connection.wait(waiting, timeout=POLL)
            if reader in ready:
                try:
                    ok = self._relay(reader.recv(), process) and ok
                except EOFError:  # the process closed its end: only its exit is left to wait for
                    waiting = [process.sentinel]
            elif process.sentinel in ready:
                while reader in waiting and reader.poll():
                    try:
                        ok = self._relay(reader.recv(), process) and ok
                    except EOFError:
                        break
                waiting = []
        process.join(GRACE)
        code = process.exitcode
        if ok and code not in (0, None) and not (self._stop.is_set() and code < 0):
            reason = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            error = WorkerError(f"worker {self.name!r}: its process {process.pid} {reason}", worker=self.name)
            self.failed("main", error)
            ok = False
        return ok

    def _relay(self, message: tuple[Any, ...], process: BaseProcess) -> bool:
        if message[0] == "started":
            self.started()
            return True
        _, phase, summary, text = message
        self.failed(
            phase,
            WorkerError(
                f"worker {self.name!r} failed in {phase} in its process {process.pid}: {summary}",
                worker=self.name,
                site=self.spec.site,
                remote_traceback=text,
            ),
        )
        return bool(phase == PERIODIC_RUN)

    def __repr__(self) -> str:
        return f"<Worker {self.name} {self.kind} {self.state}>"
