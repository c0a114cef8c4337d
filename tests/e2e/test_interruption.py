"""Ctrl+C during startup, delivered as a real SIGINT to a real process: everything done is undone, once.

The project's ``shop`` app starts first; ``blog``'s ``spoc_startup`` then
blocks until the test sends SIGINT. Each step writes a line to ``events.txt``
so the test can read what ran, in order, from outside the process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ProjectFactory, sigint_as_python_sets_it

TOML = """
[spoc]
mode = "production"

[spoc.apps]
production = ["shop", "blog"]

[spoc.schema]
modules = ["models"]
"""


def recorder(label: str) -> str:
    return f"""
import os
from pathlib import Path

import spoc

EVENTS = Path(__file__).resolve().parents[2] / "events.txt"


def record(event):
    with EVENTS.open("a") as stream:
        stream.write(event + "\\n")


def initialize():
    record("init {label}")


def teardown():
    record("teardown {label}")
"""


FILES = {
    "apps/shop/__init__.py": recorder("shop")
    + """
@spoc.hookimpl
def spoc_startup():
    record("start shop")


@spoc.hookimpl
def spoc_shutdown():
    record("stop shop")
""",
    "apps/shop/models.py": recorder("shop.models"),
    "apps/blog/__init__.py": recorder("blog")
    + """
import time


@spoc.hookimpl
def spoc_startup():
    record("start blog")
    if Path("slow").exists():
        Path("ready").write_text(str(os.getpid()))
        time.sleep(60)
    record("blog started")


@spoc.hookimpl
def spoc_shutdown():
    record("stop blog")
""",
    "apps/blog/models.py": recorder("blog.models"),
    "main.py": """
import json
import os
import sys
import threading
from pathlib import Path

import spoc


def state():
    return {
        "threads": threading.active_count(),
        "fds": len(os.listdir("/proc/self/fd")),
        "modules": sorted(name for name in sys.modules if name.startswith("apps.")),
    }


fw = spoc.Framework(Path(__file__).resolve().parent)
before = state()
Path("slow").write_text("")
try:
    fw.startup()
    outcome = "started"
except KeyboardInterrupt:
    outcome = "KeyboardInterrupt"
after = state()
started_after = fw.started
Path("slow").unlink()
with open("events.txt", "a") as stream:
    stream.write("-- again\\n")
fw.startup()
fw.shutdown()
print(json.dumps({"outcome": outcome, "before": before, "after": after, "started_after": started_after}))
""",
}


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the project exited early:\n{process.communicate()[1]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{path.name} never appeared")
        time.sleep(0.02)


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project(FILES, toml=TOML)


def run_and_interrupt(project: Path) -> tuple[dict[str, object], list[str]]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    env.update(SPOC_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1")
    process = subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_as_python_sets_it,  # noqa: PLW1509 - only resets a signal, no thread involved
    )
    wait_for(project / "ready", process)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return json.loads(out), (project / "events.txt").read_text().splitlines()


def test_sigint_in_a_spoc_startup_undoes_every_step_done_in_reverse_then_raises_it(project: Path) -> None:
    report, events = run_and_interrupt(project)

    assert report["outcome"] == "KeyboardInterrupt"
    first_run = events[: events.index("-- again")]
    assert first_run == [
        "init shop.models",
        "init blog.models",
        "start shop",
        "start blog",
        # blog's own startup was cut short: it has nothing to stop; the rest is undone in reverse.
        "stop shop",
        "teardown blog.models",
        "teardown shop.models",
    ]
    assert report["started_after"] is False


def test_after_an_interrupted_startup_nothing_is_left_and_starting_again_runs_each_step_once(project: Path) -> None:
    report, events = run_and_interrupt(project)

    before, after = report["before"], report["after"]
    assert after == before  # threads, open files and app modules as they were after construction
    second_run = events[events.index("-- again") + 1 :]
    assert second_run == [
        "init shop.models",
        "init blog.models",
        "start shop",
        "start blog",
        "blog started",
        "stop blog",
        "stop shop",
        "teardown blog.models",
        "teardown shop.models",
    ]
