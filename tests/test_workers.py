"""Workers: declared, started after spoc_startup, stopped before spoc_shutdown, supervised."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ProjectFactory

import spoc
from spoc.errors import ShutdownError, WorkerError, WorkerTimeoutError
from spoc.framework import Framework, Schema
from spoc.workers.supervisor import Worker, run_periodically

SCHEMA = Schema(modules=["workers"])
WAIT = 10.0  # the bound of every wait in these tests; none should come near it


class Observer:
    """A plugin that contributes workers and records the lifecycle as it sees it."""

    def __init__(self, *workers: Any) -> None:
        self.workers = list(workers)
        self.events: list[str] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()

    def _record(self, event: str) -> None:
        with self._lock:
            self.events.append(event)

    @spoc.hookimpl
    def spoc_register_workers(self) -> list[Any]:
        return self.workers

    @spoc.hookimpl
    def spoc_startup(self) -> None:
        self._record("spoc_startup")

    @spoc.hookimpl
    def spoc_shutdown(self) -> None:
        self._record("spoc_shutdown")

    @spoc.hookimpl
    def spoc_after_worker_started(self, worker: Worker) -> None:
        self._record(f"started {worker.name}")

    @spoc.hookimpl
    def spoc_after_worker_stopped(self, worker: Worker) -> None:
        self._record(f"stopped {worker.name} ({worker.state})")

    @spoc.hookimpl
    def spoc_on_worker_error(self, worker: Worker, error: BaseException) -> None:
        self.errors.append(error)
        self._record(f"error {worker.name}: {error}")


@pytest.fixture
def framework(make_project: ProjectFactory) -> Callable[..., Framework]:
    """Return ``build(*plugins)``: a framework of an empty project with those plugins."""
    project = make_project(apps=[])

    def build(*plugins: Any) -> Framework:
        return Framework(project, SCHEMA, plugins=list(plugins))

    return build


def waits_for_stop(stop: Any) -> None:
    stop.wait(WAIT)


def named(target: Any, name: str, **options: Any) -> Any:
    """Declare a worker on a copy of ``target``: a function or class is one worker, tagged once."""
    if isinstance(target, type):
        copy: Any = type(target.__name__, (target,), {})
    else:
        copy = types.FunctionType(target.__code__, target.__globals__, target.__name__, None, target.__closure__)
    return spoc.worker(copy, name=name, **options)


# -- lifecycle order ------------------------------------------------------------------


def test_a_worker_starts_after_spoc_startup_and_stops_before_spoc_shutdown(framework: Any) -> None:
    observer = Observer(named(waits_for_stop, "poller"))
    fw = framework(observer)

    with fw:
        assert [worker.name for worker in fw.workers] == ["poller"]
        assert fw.workers[0].state == "running"

    assert observer.events == ["spoc_startup", "started poller", "stopped poller (stopped)", "spoc_shutdown"]
    assert fw.workers == []


def test_workers_stop_in_reverse_start_order(framework: Any) -> None:
    observer = Observer(*(named(waits_for_stop, name) for name in ("a", "b", "c")))

    with framework(observer):
        pass

    stopped = [event.split()[1] for event in observer.events if event.startswith("stopped")]
    assert stopped == ["c", "b", "a"]


def test_a_worker_declared_in_an_app_module_is_a_component_and_runs(make_project: ProjectFactory) -> None:
    project = make_project(
        {
            "apps/jobs/workers.py": """
                import spoc

                @spoc.worker
                def poll(stop):
                    stop.wait(10)
            """
        },
        apps=["jobs"],
    )
    observer = Observer()

    with Framework(project, SCHEMA, plugins=[observer]) as fw:
        assert callable(fw.components.workers["jobs.poll"])
        assert [(worker.name, worker.kind) for worker in fw.workers] == [("jobs.poll", "thread")]

    assert observer.events[1:3] == ["started jobs.poll", "stopped jobs.poll (stopped)"]


def test_a_plain_function_from_spoc_register_workers_is_a_thread_worker_named_after_the_plugin(
    framework: Any,
) -> None:
    def listen(stop: Any) -> None:
        stop.wait(WAIT)

    with framework(Observer(listen)) as fw:
        assert [(worker.name, worker.kind) for worker in fw.workers] == [("plugin-0.listen", "thread")]


def test_a_project_without_workers_never_imports_the_worker_machinery(make_project: ProjectFactory) -> None:
    import subprocess
    import sys

    project = make_project(apps=[])
    script = (
        "import sys, spoc\n"
        f"fw = spoc.Framework({str(project)!r}, spoc.Schema(modules=['workers'])).startup().shutdown()\n"
        "heavy = ('spoc.workers.supervisor', 'spoc.workers.runner', 'multiprocessing')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- kinds ----------------------------------------------------------------------------------


class Phases:
    """A class worker: setup, main and teardown, each recording its thread."""

    seen: list[tuple[str, str]] = []

    def setup(self) -> None:
        Phases.seen.append(("setup", threading.current_thread().name))

    def main(self, stop: Any) -> None:
        Phases.seen.append(("main", threading.current_thread().name))
        stop.wait(WAIT)

    def teardown(self) -> None:
        Phases.seen.append(("teardown", threading.current_thread().name))


def test_a_class_worker_runs_setup_main_and_teardown_on_its_own_thread(framework: Any) -> None:
    Phases.seen = []

    with framework(Observer(named(Phases, "phases"))):
        pass

    assert Phases.seen == [
        ("setup", "spoc-worker:phases"),
        ("main", "spoc-worker:phases"),
        ("teardown", "spoc-worker:phases"),
    ]


class Consumer:
    """An asyncio worker whose setup makes a task that main uses: one event loop for all three."""

    loops: list[int] = []
    consumed: list[int] = []

    async def setup(self) -> None:
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._produce())
        Consumer.loops.append(id(asyncio.get_running_loop()))

    async def _produce(self) -> None:
        for number in range(3):
            await self.queue.put(number)

    async def main(self, stop: asyncio.Event) -> None:
        Consumer.loops.append(id(asyncio.get_running_loop()))
        while len(Consumer.consumed) < 3:
            Consumer.consumed.append(await self.queue.get())
        await asyncio.wait_for(stop.wait(), WAIT)

    async def teardown(self) -> None:
        Consumer.loops.append(id(asyncio.get_running_loop()))
        assert self.task.done()


def test_an_asyncio_worker_runs_setup_main_and_teardown_in_one_event_loop(framework: Any) -> None:
    Consumer.loops, Consumer.consumed = [], []
    observer = Observer(named(Consumer, "consumer"))

    with framework(observer) as fw:
        assert fw.workers[0].kind == "asyncio"

    assert Consumer.consumed == [0, 1, 2]
    assert len(Consumer.loops) == 3
    assert len(set(Consumer.loops)) == 1
    assert observer.errors == []


def test_an_async_function_is_an_asyncio_worker_that_awaits_its_stop_event(framework: Any) -> None:
    async def serve(stop: asyncio.Event) -> None:
        await asyncio.wait_for(stop.wait(), WAIT)

    observer = Observer(named(serve, "serve"))
    with framework(observer) as fw:
        assert fw.workers[0].kind == "asyncio"

    assert observer.events[-2] == "stopped serve (stopped)"


def test_a_periodic_worker_runs_every_interval_until_stopped(framework: Any) -> None:
    ran = threading.Event()
    runs: list[int] = []

    def tick() -> None:
        runs.append(1)
        if len(runs) == 3:
            ran.set()

    with framework(Observer(named(tick, "tick", every=0.01))) as fw:
        assert fw.workers[0].kind == "periodic"
        assert ran.wait(WAIT)

    count = len(runs)
    assert count >= 3
    assert len(runs) == count  # nothing runs after shutdown


class FakeTime:
    """A clock and a stop event in one: waiting advances the clock, so schedules are exact."""

    def __init__(self, stop_after: float) -> None:
        self.now = 100.0
        self.stop_after = stop_after
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def is_set(self) -> bool:
        return self.now >= self.stop_after

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None and timeout >= 0
        self.waits.append(round(timeout, 6))
        self.now += timeout
        return self.is_set()


class Quiet:
    """A reporter that keeps failures."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, BaseException]] = []

    def started(self) -> None:
        pass

    def failed(self, phase: str, error: BaseException) -> None:
        self.failures.append((phase, error))


def test_a_periodic_schedule_does_not_drift_when_runs_take_time() -> None:
    time = FakeTime(stop_after=100.0 + 10.5)
    starts: list[float] = []

    def tick() -> None:
        starts.append(time.now)
        time.now += 0.3  # each run takes 30% of the interval

    run_periodically(tick, 1.0, time, Quiet(), clock=time.clock)

    assert starts == pytest.approx([101.0 + k for k in range(10)])
    assert time.waits[1:-1] == [0.7] * 9


def test_a_periodic_run_that_overruns_skips_the_runs_it_covered_instead_of_overlapping() -> None:
    time = FakeTime(stop_after=100.0 + 10.5)
    starts: list[float] = []

    def tick() -> None:
        starts.append(time.now)
        if len(starts) == 1:
            time.now += 2.5  # covers the runs due at 102 and 103

    run_periodically(tick, 1.0, time, Quiet(), clock=time.clock)

    assert starts == pytest.approx([101.0, 104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0])


def test_a_failed_periodic_run_is_reported_and_the_schedule_goes_on() -> None:
    time = FakeTime(stop_after=100.0 + 3.5)
    report = Quiet()
    starts: list[float] = []

    def tick() -> None:
        starts.append(time.now)
        if len(starts) == 2:
            raise ValueError("feed unreachable")

    run_periodically(tick, 1.0, time, report, clock=time.clock)

    assert starts == [101.0, 102.0, 103.0]
    assert [(phase, str(error)) for phase, error in report.failures] == [("a periodic run", "feed unreachable")]


# -- failures and restarts -------------------------------------------------------------------


def test_a_crash_is_logged_with_the_worker_name_and_traceback_and_the_application_goes_on(
    framework: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def crash() -> None:
        raise RuntimeError("the queue is gone")

    observer = Observer(named(crash, "crasher"))

    with caplog.at_level(logging.ERROR, logger="spoc.workers"), framework(observer) as fw:
        assert fw.started
        (worker,) = fw.workers
        assert _eventually(lambda: worker.state == "failed")
        assert isinstance(worker.error, RuntimeError)

    (record,) = [record for record in caplog.records if record.name == "spoc.workers"]
    assert record.getMessage() == "worker 'crasher' failed in main: RuntimeError: the queue is gone"
    assert record.exc_info is not None
    assert "raise RuntimeError" in caplog.text  # the traceback
    assert observer.events == [
        "spoc_startup",
        "started crasher",
        "error crasher: the queue is gone",
        "stopped crasher (failed)",
        "spoc_shutdown",
    ]


def test_on_failure_restarts_with_exponential_backoff_until_it_works(
    framework: Any, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []
    healthy = threading.Event()

    def flaky(stop: Any) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError(f"attempt {len(attempts)}")
        healthy.set()
        stop.wait(WAIT)

    observer = Observer(named(flaky, "flaky", restart="on-failure", backoff=0.01, max_restarts=5))

    with caplog.at_level(logging.WARNING, logger="spoc.workers"), framework(observer) as fw:
        assert healthy.wait(WAIT)
        assert fw.workers[0].restarts == 2

    restarts = [record.getMessage() for record in caplog.records if "restarts in" in record.getMessage()]
    assert restarts == [
        "worker 'flaky' restarts in 0.01 s (restart 1 of 5)",
        "worker 'flaky' restarts in 0.02 s (restart 2 of 5)",
    ]
    assert observer.events.count("started flaky") == 3


def test_on_failure_gives_up_after_max_restarts(framework: Any, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise OSError("disk full")

    observer = Observer(named(broken, "broken", restart="on-failure", backoff=0, max_restarts=2))

    with caplog.at_level(logging.ERROR, logger="spoc.workers"), framework(observer) as fw:
        (worker,) = fw.workers
        assert _eventually(lambda: not worker.alive)
        assert worker.state == "failed"
        assert worker.restarts == 2

    assert "worker 'broken' failed after 2 restart(s); giving up (max_restarts=2)" in caplog.text
    assert observer.events.count("stopped broken (failed)") == 3


def _eventually(condition: Callable[[], bool]) -> bool:
    done = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return True
        done.wait(0.01)
    return condition()


class FailingSetup:
    def setup(self) -> None:
        raise KeyError("no credentials")

    def main(self) -> None:
        raise AssertionError("main must not run after a failed setup")


class FailingTeardown:
    def main(self, stop: Any) -> None:
        stop.wait(WAIT)

    def teardown(self) -> None:
        raise ValueError("cannot flush")


def test_a_failing_setup_reports_failed_and_stopped_but_not_started(framework: Any) -> None:
    observer = Observer(named(FailingSetup, "fs"))

    with framework(observer):
        pass

    assert observer.events[1:3] == ["error fs: 'no credentials'", "stopped fs (failed)"]


def test_a_failing_teardown_still_reports_stopped(framework: Any) -> None:
    observer = Observer(named(FailingTeardown, "ft"))

    with framework(observer):
        pass

    assert observer.events[1:4] == ["started ft", "error ft: cannot flush", "stopped ft (failed)"]


def test_a_worker_hook_that_raises_is_logged_and_the_worker_goes_on(
    framework: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Grumpy:
        @spoc.hookimpl
        def spoc_after_worker_started(self) -> None:
            raise RuntimeError("observer bug")

    observer = Observer(named(waits_for_stop, "steady"))

    with caplog.at_level(logging.ERROR, logger="spoc.workers"), framework(observer, Grumpy()) as fw:
        assert fw.workers[0].state == "running"

    assert "a spoc_after_worker_started implementation raised for worker 'steady'; the worker goes on" in caplog.text


# -- stop timeouts ----------------------------------------------------------------------------


def test_a_thread_that_ignores_stop_is_reported_after_its_stop_timeout(framework: Any) -> None:
    release = threading.Event()

    def stubborn() -> None:
        release.wait(WAIT)

    observer = Observer(named(stubborn, "stubborn", stop_timeout=0.05))
    fw = framework(observer).startup()

    try:
        with pytest.raises(ShutdownError) as info:
            fw.shutdown()
    finally:
        release.set()

    (error,) = info.value.exceptions
    assert isinstance(error, WorkerTimeoutError)
    assert error.worker == "stubborn"
    assert str(error).startswith("worker 'stubborn' (")
    assert "did not stop within 0.05 s of being asked to; its thread is left running as a daemon." in str(error)
    assert "@spoc.worker(stop_timeout=...)" in str(error)
    assert observer.events[-1] == "spoc_shutdown"  # the rest of shutdown still ran
    assert _eventually(lambda: not any(t.name == "spoc-worker:stubborn" for t in threading.enumerate()))


def test_an_asyncio_main_that_ignores_stop_is_cancelled_after_its_stop_timeout(framework: Any) -> None:
    async def deaf() -> None:
        await asyncio.sleep(WAIT)

    fw = framework(Observer(named(deaf, "deaf", stop_timeout=0.05))).startup()

    with pytest.raises(ShutdownError) as info:
        fw.shutdown()

    assert "its main task was cancelled" in str(info.value.exceptions[0])
    assert not any(thread.name == "spoc-worker:deaf" for thread in threading.enumerate())


# -- declaration errors ---------------------------------------------------------------------


def job() -> None:
    """A plain function to declare."""


async def ajob() -> None:
    """A coroutine function to declare."""


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        (job, {"kind": "thred"}, "kind='thred' is not valid (did you mean 'thread'?); choose one of 'thread', "),
        (job, {"kind": "periodic"}, "a periodic worker needs every= a positive number of seconds, not None"),
        (job, {"every": 0}, "a periodic worker needs every= a positive number of seconds, not 0, e.g. every=60.0"),
        (job, {"kind": "thread", "every": 5}, "every= is only for periodic workers, and this one is kind='thread'"),
        (ajob, {"kind": "thread"}, "its main is an async def function, which needs kind='asyncio' (not 'thread')"),
        (job, {"kind": "asyncio"}, "an asyncio worker's main must be an async def function"),
        (job, {"restart": "always"}, "restart='always' is not valid; choose one of 'never', 'on-failure'"),
        (job, {"stop_timeout": 0}, "stop_timeout=0 must be a positive number of seconds"),
        (job, {"max_restarts": -1}, "max_restarts=-1 must be a whole number, 0 or more"),
        (job, {"max_backoff": "30s"}, "max_backoff='30s' must be a number of seconds, 0 or more"),
        (job, {"stop_timeout": True}, "stop_timeout=True must be a positive number of seconds"),
        (job, {"start_method": "fork-exec"}, "start_method='fork-exec' is not valid"),
        (type("NoMain", (), {}), {}, "its class has no main() method"),
    ],
)
def test_a_wrong_declaration_is_an_error_naming_the_worker_and_where_it_is(
    target: Any, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(WorkerError) as info:
        spoc.worker(target, name="blog.job", **options)

    assert str(info.value).startswith("worker 'blog.job' (")
    assert "is declared wrongly: " in str(info.value)
    assert message in str(info.value)
    assert str(info.value).endswith("See docs/workers.md.")


def test_an_unknown_option_is_an_error_with_a_hint() -> None:
    with pytest.raises(WorkerError) as info:
        spoc.worker(evry=5)

    assert str(info.value) == (
        "@spoc.worker got unknown option(s) 'evry' (did you mean 'every'?); options: kind, every, restart, "
        "max_restarts, backoff, max_backoff, start_timeout, stop_timeout, start_method, name"
    )


def test_two_workers_with_one_name_are_an_error_naming_both_sites(framework: Any) -> None:
    def first() -> None: ...

    def second() -> None: ...

    fw = framework(Observer(named(first, "same"), named(second, "same")))

    with pytest.raises(WorkerError, match=r"two workers are named 'same': at .*test_workers.py:\d+ and at .*"):
        fw.startup()
    assert not fw.started


def test_spoc_register_workers_must_return_a_list(framework: Any) -> None:
    class Wrong:
        @spoc.hookimpl
        def spoc_register_workers(self) -> Any:
            return job

    with pytest.raises(WorkerError, match=r"returned <function job at .*>; return a list of workers, e\.g\. \["):
        framework(Wrong()).startup()


def test_a_process_worker_that_cannot_be_pickled_for_spawn_is_an_error_at_startup(framework: Any) -> None:
    def local(stop: Any) -> None: ...

    fw = framework(Observer(named(local, "local", kind="process")))

    with pytest.raises(WorkerError) as info:
        fw.startup()

    assert "worker 'local' (" in str(info.value)
    assert "cannot be sent to a 'spawn' process: " in str(info.value)
    assert str(info.value).endswith("Define it at the top level of a module, or use start_method='fork'.")
    assert fw.workers == []


# -- processes --------------------------------------------------------------------------------

PROCESS_WORKERS = """
import os
from pathlib import Path

import spoc

OUT = Path(__file__).resolve().parents[2] / "out"


@spoc.worker(kind="process", start_method="{method}")
class Crunch:
    def setup(self):
        (OUT / "pid").write_text(str(os.getpid()))

    def main(self, stop):
        stop.wait(10)

    def teardown(self):
        (OUT / "teardown").write_text("done")
"""


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_a_process_worker_runs_in_its_own_process_and_stops_cleanly(make_project: ProjectFactory, method: str) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    project = make_project({"apps/jobs/workers.py": PROCESS_WORKERS.replace("{method}", method)}, apps=["jobs"])
    (project / "out").mkdir()
    observer = Observer()

    with Framework(project, SCHEMA, plugins=[observer]) as fw:
        (worker,) = fw.workers
        assert worker.state == "running"
        assert worker.pid is not None
        assert worker.pid != os.getpid()
        assert (project / "out" / "pid").read_text() == str(worker.pid)

    assert (project / "out" / "teardown").read_text() == "done"
    assert observer.events == ["spoc_startup", "started jobs.Crunch", "stopped jobs.Crunch (stopped)", "spoc_shutdown"]
    assert multiprocessing.active_children() == []


CRASHING_PROCESS = """
import spoc


@spoc.worker(kind="process", start_method="fork")
def explode(stop):
    raise ValueError("bad input file")


@spoc.worker(kind="process", start_method="fork", stop_timeout=0.1)
def deaf(stop):
    import time
    time.sleep(10)
"""


def test_a_crash_in_a_process_is_reported_with_its_traceback_and_a_deaf_one_is_terminated(
    make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("fork is not available here")
    project = make_project({"apps/jobs/workers.py": CRASHING_PROCESS}, apps=["jobs"])
    observer = Observer()
    fw = Framework(project, SCHEMA, plugins=[observer])

    with caplog.at_level(logging.ERROR, logger="spoc.workers"):
        fw.startup()
        with pytest.raises(ShutdownError) as info:
            fw.shutdown()

    crash = observer.errors[0]
    assert isinstance(crash, WorkerError)
    assert str(crash).startswith("worker 'jobs.explode' failed in main in its process ")
    assert str(crash).endswith(": ValueError: bad input file")
    assert 'raise ValueError("bad input file")' in crash.remote_traceback
    assert "worker 'jobs.explode' failed in main:\nTraceback (most recent call last):" in caplog.text
    (timeout,) = info.value.exceptions
    assert "worker 'jobs.deaf' (" in str(timeout)
    assert "did not stop within 0.1 s of being asked to; its process was terminated." in str(timeout)
    assert multiprocessing.active_children() == []


# -- many workers, many times ---------------------------------------------------------------


def test_fifty_workers_start_and_stop_twenty_times_without_leaking_threads_or_processes(framework: Any) -> None:
    threads_before = set(threading.enumerate())
    processes_before = multiprocessing.active_children()
    observer = Observer(*(named(waits_for_stop, f"w{index}") for index in range(50)))
    fw = framework(observer)

    for _ in range(20):
        fw.startup()
        assert len(fw.workers) == 50
        assert sum(thread.name.startswith("spoc-worker:") for thread in threading.enumerate()) == 50
        fw.shutdown()

    assert set(threading.enumerate()) == threads_before
    assert multiprocessing.active_children() == processes_before
    assert observer.events.count("spoc_startup") == 20
    assert len([event for event in observer.events if event.startswith("stopped")]) == 1000


# -- fw.run() ---------------------------------------------------------------------------------


def test_run_off_the_main_thread_blocks_until_request_stop(framework: Any) -> None:
    observer = Observer(named(waits_for_stop, "poller"))
    fw = framework(observer)
    handler = signal.getsignal(signal.SIGTERM)
    runner = threading.Thread(target=fw.run)
    runner.start()

    assert _eventually(lambda: fw.started)
    assert signal.getsignal(signal.SIGTERM) is handler  # no handlers off the main thread
    fw.request_stop()
    runner.join(WAIT)

    assert not runner.is_alive()
    assert not fw.started
    assert observer.events[-1] == "spoc_shutdown"


def test_run_on_the_main_thread_stops_cleanly_on_sigterm_and_restores_the_handler(framework: Any) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals need the main thread")

    def signal_myself(stop: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        stop.wait(WAIT)

    observer = Observer(named(signal_myself, "signaller"))
    handler = signal.getsignal(signal.SIGTERM)

    framework(observer).run()

    assert observer.events[-2:] == ["stopped signaller (stopped)", "spoc_shutdown"]
    assert signal.getsignal(signal.SIGTERM) is handler


def test_request_stop_starts_nothing_when_not_running(framework: Any, tmp_path: Path) -> None:
    fw = framework()

    fw.request_stop()

    assert not fw.started


def test_a_stop_requested_before_run_began_is_not_lost(framework: Any) -> None:
    observer = Observer(named(waits_for_stop, "poller"))
    fw = framework(observer)
    runner = threading.Thread(target=fw.run)

    fw.request_stop()  # the thread that will run it has not started yet
    runner.start()
    runner.join(WAIT)

    assert not runner.is_alive()
    assert "spoc_startup" in observer.events
    assert observer.events[-1] == "spoc_shutdown"
