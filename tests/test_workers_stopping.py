"""Workers never hang a shutdown: dead children are reaped, wedged threads cost only their stop timeout.

Also: every run gets a fresh stop event, and an interrupted start leaves no worker behind.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ProjectFactory
from test_workers import SCHEMA, WAIT, Observer, named, waits_for_stop

import spoc
from spoc.errors import ShutdownError, WorkerError, WorkerTimeoutError
from spoc.framework import Framework

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="POSIX signals and /proc")

STOP_TIMEOUT = 1.0
# What stopping may take at most: the stop timeout, then SIGTERM and SIGKILL with a grace each.
STOP_BOUND = STOP_TIMEOUT + 2 * 2.0 + 2.0  # the last term: a loaded machine's slack


def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Wait, bounded, until ``condition()`` holds; return whether it did."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.01)
    return True


def call_bounded(function: Callable[[], Any], seconds: float) -> Any:
    """Call ``function`` on a thread; fail the test if it has not returned after ``seconds``, instead of hanging."""
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["result"] = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=call, name="bounded-call", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{function} has not returned after {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def worker_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("spoc-worker:")]


def is_gone(pid: int) -> bool:
    """Whether the process is gone for good: not running, and not a zombie waiting to be reaped."""
    return not Path(f"/proc/{pid}").exists()


@pytest.fixture
def clean_process() -> Iterator[None]:
    """Fail the test if it leaves a worker thread, a child process or an open descriptor behind."""
    if "spawn" in multiprocessing.get_all_start_methods():
        # spawn starts multiprocessing's resource tracker once per interpreter, with a pipe to it.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    threads, fds = set(threading.enumerate()), open_fds()
    yield
    assert eventually(lambda: set(threading.enumerate()) <= threads), worker_threads()
    assert multiprocessing.active_children() == []
    assert open_fds() == fds


# -- a process worker's child dies while it waits to be stopped ------------------------------

DOOMED = """
import os
import signal
from pathlib import Path

import spoc

OUT = Path(__file__).resolve().parents[2] / "out"


def exit_3(signum, frame):
    os._exit(3)


@spoc.worker(kind="process", start_method="{method}", stop_timeout={stop_timeout}, restart="{restart}", backoff=0)
class Doomed:
    def setup(self):
        signal.signal(signal.SIGUSR1, exit_3)  # lets the test end it with os._exit(3) while it waits

    def main(self, stop):
        (OUT / f"waiting-{{os.getpid()}}").write_text("")
        stop.wait(60)
        (OUT / f"stopped-{{os.getpid()}}").write_text("")
"""


def doomed_project(make_project: ProjectFactory, method: str, restart: str = "never") -> Path:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    source = DOOMED.format(method=method, stop_timeout=STOP_TIMEOUT, restart=restart)
    project = make_project({"apps/jobs/workers.py": source}, apps=["jobs"])
    (project / "out").mkdir()
    return project


def waiting_child(project: Path, worker: spoc.Worker) -> int:
    """Return the pid of the worker's child once it waits in ``stop.wait()``."""
    assert eventually(lambda: worker.pid is not None and (project / "out" / f"waiting-{worker.pid}").exists())
    assert worker.pid is not None
    return worker.pid


@pytest.mark.parametrize(
    ("method", "death", "exitcode", "exit_signal", "told"),
    [
        ("spawn", signal.SIGKILL, -9, "SIGKILL", "was killed by SIGKILL while it ran, a signal SPOC did not send"),
        ("fork", signal.SIGKILL, -9, "SIGKILL", "was killed by SIGKILL while it ran, a signal SPOC did not send"),
        ("spawn", signal.SIGSEGV, -11, "SIGSEGV", "was killed by SIGSEGV while it ran, a signal SPOC did not send"),
        ("spawn", signal.SIGUSR1, 3, None, "exited with status 3 while it ran without reporting an exception"),
    ],
    ids=["SIGKILL-spawn", "SIGKILL-fork", "SIGSEGV", "os._exit(3)"],
)
def test_shutdown_returns_and_reaps_a_child_that_died_while_waiting_to_be_stopped(
    make_project: ProjectFactory,
    clean_process: None,
    caplog: pytest.LogCaptureFixture,
    method: str,
    death: signal.Signals,
    exitcode: int,
    exit_signal: str | None,
    told: str,
) -> None:
    project = doomed_project(make_project, method)
    observer = Observer()
    fw = Framework(project, SCHEMA, plugins=[observer]).startup()
    (worker,) = fw.workers
    pid = waiting_child(project, worker)

    with caplog.at_level(logging.ERROR, logger="spoc.workers"):
        os.kill(pid, death)
        assert eventually(lambda: worker.state == "failed")
        call_bounded(fw.shutdown, STOP_BOUND)

    assert is_gone(pid)
    assert (worker.exitcode, worker.exit_signal) == (exitcode, exit_signal)
    (error,) = observer.errors
    assert isinstance(error, WorkerError)
    assert str(error).startswith(f"worker 'jobs.Doomed' ({project / 'apps' / 'jobs' / 'workers.py'}:")
    assert f": its process {pid} {told}" in str(error)
    assert str(error).endswith(". Declare it with restart='on-failure' to have it restarted.")
    assert caplog.messages == [str(error)]  # one line, no empty traceback under it
    assert observer.events[1:] == [
        "started jobs.Doomed",
        f"error jobs.Doomed: {error}",
        "stopped jobs.Doomed (failed)",
        "spoc_shutdown",
    ]
    assert fw.workers == []


def test_a_child_restarted_after_sigkill_gets_a_fresh_stop_and_stops_when_asked(
    make_project: ProjectFactory, clean_process: None
) -> None:
    project = doomed_project(make_project, "spawn", restart="on-failure")
    observer = Observer()
    fw = Framework(project, SCHEMA, plugins=[observer]).startup()
    (worker,) = fw.workers
    first = waiting_child(project, worker)

    os.kill(first, signal.SIGKILL)
    assert eventually(lambda: worker.restarts == 1 and worker.pid != first)
    second = waiting_child(project, worker)
    call_bounded(fw.shutdown, STOP_BOUND)

    assert (project / "out" / f"stopped-{second}").exists()  # it heard its own stop, and ended cleanly
    assert is_gone(first)
    assert is_gone(second)
    assert (worker.state, worker.exitcode, worker.exit_signal) == ("stopped", 0, None)
    assert "was killed by SIGKILL while it ran" in str(observer.errors[0])
    assert observer.events.count("started jobs.Doomed") == 2


STUBBORN = """
import os
import time
from pathlib import Path

import spoc

OUT = Path(__file__).resolve().parents[2] / "out"


@spoc.worker(kind="process", start_method="spawn", stop_timeout={stop_timeout})
def stubborn(stop):
    (OUT / f"waiting-{{os.getpid()}}").write_text("")
    stop.wait(60)
    time.sleep(60)  # asked to stop, and does not
"""


def test_a_child_that_ignores_stop_is_terminated_after_its_stop_timeout_and_reaped(
    make_project: ProjectFactory, clean_process: None
) -> None:
    project = make_project({"apps/jobs/workers.py": STUBBORN.format(stop_timeout=STOP_TIMEOUT)}, apps=["jobs"])
    (project / "out").mkdir()
    observer = Observer()
    fw = Framework(project, SCHEMA, plugins=[observer]).startup()
    (worker,) = fw.workers
    pid = waiting_child(project, worker)

    with pytest.raises(ShutdownError) as info:
        call_bounded(fw.shutdown, STOP_BOUND)

    (error,) = info.value.exceptions
    assert isinstance(error, WorkerTimeoutError)
    assert "did not stop within 1 s of being asked to; its process was terminated." in str(error)
    assert is_gone(pid)
    assert (worker.exitcode, worker.exit_signal) == (-15, "SIGTERM")
    assert observer.errors == [error]  # terminated by SPOC: reported once, as the timeout
    assert observer.events[-1] == "spoc_shutdown"


# -- threads -----------------------------------------------------------------------------------


def test_a_wedged_thread_costs_shutdown_its_stop_timeout_and_every_other_step_still_runs(
    framework: Callable[..., Framework],
) -> None:
    release = threading.Event()

    def wedged() -> None:
        release.wait(WAIT)  # never looks at stop

    observer = Observer(named(waits_for_stop, "calm"), named(wedged, "wedged", stop_timeout=0.2))
    fw = framework(observer).startup()

    try:
        with pytest.raises(ShutdownError) as info:
            call_bounded(fw.shutdown, 0.2 + 2.0)
        assert worker_threads() == ["spoc-worker:wedged"]  # left running as a daemon, as documented
    finally:
        release.set()

    (error,) = info.value.exceptions
    assert isinstance(error, WorkerTimeoutError)
    assert error.worker == "wedged"
    assert observer.events[-2:] == ["stopped calm (stopped)", "spoc_shutdown"]
    assert eventually(lambda: worker_threads() == [])


@pytest.fixture
def framework(make_project: ProjectFactory) -> Callable[..., Framework]:
    project = make_project(apps=[])

    def build(*plugins: Any) -> Framework:
        return Framework(project, SCHEMA, plugins=list(plugins))

    return build


# -- fresh stop events -------------------------------------------------------------------------


def test_a_restarted_framework_gives_its_workers_a_fresh_stop_event(framework: Callable[..., Framework]) -> None:
    stops: list[threading.Event] = []

    def keeper(stop: threading.Event) -> None:
        stops.append(stop)
        stop.wait(WAIT)

    fw = framework(Observer(named(keeper, "keeper")))
    fw.startup().shutdown().startup()

    try:
        (worker,) = fw.workers
        assert eventually(lambda: len(stops) == 2)
        first, second = stops
        assert first is not second
        assert first.is_set()
        assert not second.is_set()
        assert worker.state == "running"
    finally:
        fw.shutdown()
    assert second.is_set()


def test_each_restart_of_a_worker_gets_a_fresh_stop_event(framework: Callable[..., Framework]) -> None:
    stops: list[threading.Event] = []

    def flaky(stop: threading.Event) -> None:
        stops.append(stop)
        if len(stops) == 1:
            stop.set()  # leaves its own event set, then fails
            raise ConnectionError("lost the broker")
        stop.wait(WAIT)

    with framework(Observer(named(flaky, "flaky", restart="on-failure", backoff=0))) as fw:
        (worker,) = fw.workers
        assert eventually(lambda: len(stops) == 2 and worker.state == "running")
        assert stops[0] is not stops[1]
        assert not stops[1].is_set()  # the first run's event does not stop the second run

    assert worker.state == "stopped"


# -- an interrupted start ----------------------------------------------------------------------


class Interrupted(BaseException):
    """What a signal handler may raise in the main thread (KeyboardInterrupt is one)."""


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signal.Signals(signum).name)


def test_an_interrupted_start_stops_the_worker_lists_nothing_and_can_start_again(
    framework: Callable[..., Framework], caplog: pytest.LogCaptureFixture
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals need the main thread")
    main = threading.main_thread().ident
    assert main is not None
    setups: list[threading.Event] = []

    class Slow:
        def setup(self, stop: threading.Event) -> None:
            setups.append(stop)
            if len(setups) == 1:  # interrupt the first start, while startup waits for this setup
                signal.pthread_kill(main, signal.SIGUSR1)
                stop.wait(WAIT)

        def main(self, stop: threading.Event) -> None:
            stop.wait(WAIT)

    observer = Observer(named(Slow, "slow"))
    fw = framework(observer)
    previous = signal.signal(signal.SIGUSR1, _raise_interrupted)
    try:
        with caplog.at_level(logging.WARNING, logger="spoc.workers"), pytest.raises(Interrupted):
            fw.startup()
    finally:
        signal.signal(signal.SIGUSR1, previous)

    assert fw.workers == []
    assert worker_threads() == []  # stopped before the interruption went on
    assert setups[0].is_set()
    assert "worker 'slow': its start was interrupted; stopping it" in caplog.messages

    fw.startup()
    try:
        assert [(worker.name, worker.state) for worker in fw.workers] == [("slow", "running")]
        assert worker_threads() == ["spoc-worker:slow"]
    finally:
        fw.shutdown()
    assert worker_threads() == []


# -- messages ------------------------------------------------------------------------------------


class Unpicklable:
    """A worker class whose instances cannot be sent to a spawned process, with a message that ends in a period."""

    def __reduce__(self) -> Any:
        raise TypeError("this object cannot be pickled.")

    def __call__(self) -> None: ...


def test_worker_messages_never_put_two_periods_where_clauses_meet(framework: Callable[..., Framework]) -> None:
    fw = framework(Observer(spoc.worker(Unpicklable(), name="odd", kind="process")))

    with pytest.raises(WorkerError) as info:
        fw.startup()

    assert "cannot be sent to a 'spawn' process: TypeError: this object cannot be pickled. Define it" in str(info.value)
    assert ".." not in str(info.value).replace("(name=...)", "")


def test_a_wrong_declaration_in_an_app_module_reads_without_a_double_period(make_project: ProjectFactory) -> None:
    project = make_project(
        {"apps/jobs/workers.py": "import spoc\n\n@spoc.worker(kind='periodic')\ndef poll():\n    pass\n"},
        apps=["jobs"],
    )

    with pytest.raises(spoc.SpocError) as info:
        Framework(project, SCHEMA).startup()

    assert "a periodic worker needs every= a positive number of seconds" in str(info.value)
    assert ".." not in str(info.value)
