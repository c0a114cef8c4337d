"""Ctrl+C while startup waits for a worker's setup: a real SIGINT to a real script leaves no worker behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import ProjectFactory, sigint_as_python_sets_it

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="POSIX signals and /proc")

TOML = """
[spoc]
mode = "production"

[spoc.apps]
production = ["jobs"]

[spoc.schema]
modules = ["workers"]
"""

WORKERS = """
import os
import time
from pathlib import Path

import spoc

OUT = Path(__file__).resolve().parents[2] / "out"


@spoc.worker
def calm(stop):
    stop.wait(60)


@spoc.worker(kind="{kind}", start_timeout=60, stop_timeout=1.0)
class Slow:
    def setup(self, stop):
        (OUT / "setup.pid").write_text(str(os.getpid()))
        if "{setup}" == "waits":
            stop.wait(60)  # returns when asked to stop
        else:
            time.sleep(60)  # does not listen: its process is terminated after the stop timeout

    def main(self, stop):
        stop.wait(60)
"""

MAIN = """
import json
import multiprocessing
import os
import threading
from pathlib import Path

import spoc

if __name__ == "__main__":
    fw = spoc.Framework(Path(__file__).parent)
    try:
        fw.startup()
        outcome = "started"
    except KeyboardInterrupt:
        outcome = "KeyboardInterrupt"
    child = int((Path(__file__).parent / "out" / "setup.pid").read_text())
    print(json.dumps({
        "outcome": outcome,
        "threads": [thread.name for thread in threading.enumerate() if thread is not threading.main_thread()],
        "children": [process.pid for process in multiprocessing.active_children()],
        "setup_process_alive": child != os.getpid() and os.path.exists(f"/proc/{child}"),
        "workers": [worker.name for worker in fw.workers],
    }), flush=True)
"""


def _environment() -> dict[str, str]:
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    return {**environ, "PYTHONWARNINGS": "error", "SPOC_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def _interrupt_during_setup(project: Path) -> tuple[dict[str, Any], str]:
    """Run main.py, send it SIGINT once the worker's setup runs; return what it printed, and its stderr."""
    process = subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=project,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_as_python_sets_it,  # noqa: PLW1509 - only resets a signal, no thread involved
    )
    ready, pause = project / "out" / "setup.pid", threading.Event()
    for _ in range(600):
        if ready.exists() or process.poll() is not None:
            break
        pause.wait(0.05)
    if not ready.exists():
        process.kill()
        out, err = process.communicate(timeout=30)
        pytest.fail(f"the worker's setup never ran\nstdout:\n{out}\nstderr:\n{err}")

    os.kill(process.pid, signal.SIGINT)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate(timeout=30)
        pytest.fail(f"the script did not end after SIGINT\nstdout:\n{stdout}\nstderr:\n{stderr}")
    assert process.returncode == 0, stderr
    return json.loads(stdout), stderr


@pytest.mark.parametrize(
    ("kind", "setup"),
    [("thread", "waits"), ("process", "waits"), ("process", "ignores stop")],
)
def test_sigint_while_startup_waits_for_a_setup_leaves_no_worker_thread_process_or_listing(
    make_project: ProjectFactory, kind: str, setup: str
) -> None:
    workers = WORKERS.replace("{kind}", kind).replace("{setup}", setup).replace("@spoc.worker\ndef calm", "def calm")
    project = make_project({"apps/jobs/workers.py": workers, "main.py": MAIN}, apps=["jobs"], toml=TOML)
    (project / "out").mkdir()

    seen, stderr = _interrupt_during_setup(project)

    assert seen == {
        "outcome": "KeyboardInterrupt",
        "threads": [],
        "children": [],
        "setup_process_alive": False,
        "workers": [],
    }
    assert "worker 'jobs.Slow': its start was interrupted; stopping it" in stderr
    if setup == "ignores stop":
        assert "did not stop within 1 s of being asked to; its process was terminated." in stderr


def test_sigint_during_the_second_workers_setup_also_stops_the_first(make_project: ProjectFactory) -> None:
    workers = WORKERS.replace("{kind}", "thread").replace("{setup}", "waits")
    project = make_project({"apps/jobs/workers.py": workers, "main.py": MAIN}, apps=["jobs"], toml=TOML)
    (project / "out").mkdir()

    seen, _ = _interrupt_during_setup(project)

    assert seen["outcome"] == "KeyboardInterrupt"
    assert seen["threads"] == []
    assert seen["workers"] == []
