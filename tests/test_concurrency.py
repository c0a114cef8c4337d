"""startup/shutdown (and their async twins) from several threads or tasks at once: each step runs once, in order."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ProjectFactory

import spoc
from spoc.errors import SpocError
from spoc.framework import Framework

TOML = '[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["blog"]\n\n[spoc.schema]\nmodules = ["models"]\n'


class Recorder:
    """A plugin that records the lifecycle and makes each start slow enough for callers to overlap."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.lock = threading.Lock()

    def record(self, event: str) -> None:
        with self.lock:
            self.events.append(event)

    @spoc.hookimpl
    def spoc_startup(self) -> None:
        self.record("start")
        time.sleep(0.2)

    @spoc.hookimpl
    def spoc_shutdown(self) -> None:
        self.record("stop")
        time.sleep(0.1)


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project(
        {"apps/blog/__init__.py": "", "apps/blog/models.py": "import spoc\n\n@spoc.component\nclass Post:\n    pass\n"},
        toml=TOML,
    )


def at_once(count: int, action: Callable[[], object]) -> list[BaseException]:
    """Run ``action`` in ``count`` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_startup_from_four_threads_at_once_runs_each_step_once(project: Path) -> None:
    recorder = Recorder()
    fw = Framework(project, plugins=[recorder])

    assert at_once(4, fw.startup) == []

    assert recorder.events == ["start"]
    assert fw.started
    assert list(fw.components.models) == ["blog.Post"]
    fw.shutdown()


def test_shutdown_from_four_threads_at_once_undoes_each_step_once(project: Path) -> None:
    recorder = Recorder()
    fw = Framework(project, plugins=[recorder]).startup()

    assert at_once(4, fw.shutdown) == []

    assert recorder.events == ["start", "stop"]
    assert not fw.started


def test_a_late_caller_waits_for_the_running_startup_and_then_sees_it_started(project: Path) -> None:
    recorder = Recorder()
    fw = Framework(project, plugins=[recorder])
    first = threading.Thread(target=fw.startup)
    first.start()
    while not recorder.events:  # the first caller is inside spoc_startup now
        time.sleep(0.005)

    assert fw.startup() is fw  # waits, then finds it started

    assert fw.started
    first.join()
    assert recorder.events == ["start"]
    fw.shutdown()


def test_startup_and_shutdown_racing_leave_a_consistent_state(project: Path) -> None:
    recorder = Recorder()
    fw = Framework(project, plugins=[recorder])

    errors = at_once(6, lambda: fw.startup() if threading.get_ident() % 2 else fw.shutdown())

    assert errors == []
    # Whatever the order, every stop follows a start, and they alternate.
    assert recorder.events == ["start", "stop"] * (len(recorder.events) // 2) + ["start"] * (len(recorder.events) % 2)
    fw.shutdown()
    assert not fw.started


def test_astartup_from_two_tasks_at_once_runs_each_step_once(project: Path) -> None:
    recorder = Recorder()
    fw = Framework(project, plugins=[recorder])

    async def both() -> None:
        await asyncio.gather(fw.astartup(), fw.astartup())
        await asyncio.gather(fw.ashutdown(), fw.ashutdown())

    asyncio.run(both())

    assert recorder.events == ["start", "stop"]


def test_a_hook_that_starts_the_framework_from_inside_startup_gets_a_clear_error(project: Path) -> None:
    class Reentrant:
        @spoc.hookimpl
        def spoc_startup(self, framework: Framework) -> None:
            framework.startup()

    fw = Framework(project, plugins=[Reentrant()])

    with pytest.raises(SpocError, match=r"startup\(\) was called while startup\(\) runs on this thread"):
        fw.startup()

    assert not fw.started
