"""Workers in real processes: ``python -m spoc run`` and ``fw.run()`` stopped by signals, as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ProjectFactory

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

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
from pathlib import Path

import spoc

OUT = Path(__file__).resolve().parents[2] / "out"


@spoc.worker
def poll(stop):
    (OUT / "poll.ready").write_text("")
    stop.wait(60)
    (OUT / "poll.stopped").write_text("")


@spoc.worker(kind="process", start_method="spawn")
class Crunch:
    def setup(self):
        (OUT / "crunch.ready").write_text(str(os.getpid()))

    def main(self, stop):
        stop.wait(60)

    def teardown(self):
        (OUT / "crunch.stopped").write_text("")
"""

STUCK = """
import time
from pathlib import Path

import spoc

OUT = Path(__file__).resolve().parents[2] / "out"


@spoc.worker(stop_timeout=60)
def stuck(stop):
    (OUT / "stuck.ready").write_text("")
    stop.wait(60)
    (OUT / "stuck.asked").write_text("")
    time.sleep(60)  # ignores the request to stop
"""

MAIN = """
from pathlib import Path

import spoc

fw = spoc.Framework(Path(__file__).parent)
fw.run()
print("run returned", flush=True)
"""


def _environment() -> dict[str, str]:
    environ = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
    return {**environ, "PYTHONWARNINGS": "error", "SPOC_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def _wait_for(paths: list[Path], process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Wait, bounded, until every file exists; fail with the process's output if it died first."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if all(path.exists() for path in paths):
            return
        if process.poll() is not None:
            break
        pause.wait(0.05)
    process.kill()
    out, err = process.communicate(timeout=30)
    pytest.fail(f"{[str(p) for p in paths if not p.exists()]} never appeared\nstdout:\n{out}\nstderr:\n{err}")


def test_spoc_run_stops_every_worker_cleanly_on_sigterm(make_project: ProjectFactory) -> None:
    project = make_project({"apps/jobs/workers.py": WORKERS}, apps=["jobs"], toml=TOML)
    out = project / "out"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "spoc", "--project", str(project), "run"],
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for([out / "poll.ready", out / "crunch.ready"], process)

    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 0, stderr
    assert (out / "poll.stopped").exists()
    assert (out / "crunch.stopped").exists()
    assert "running with 2 worker(s): jobs.poll, jobs.Crunch; stop with Ctrl+C or SIGTERM" in stderr
    assert "stopping: received SIGTERM" in stderr
    assert "Traceback" not in stderr


def test_a_second_signal_forces_the_exit_when_a_worker_will_not_stop(make_project: ProjectFactory) -> None:
    project = make_project({"apps/jobs/workers.py": STUCK, "main.py": MAIN}, apps=["jobs"], toml=TOML)
    (project / "out").mkdir()
    process = subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=project,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for([project / "out" / "stuck.ready"], process)

    process.send_signal(signal.SIGINT)
    # The first signal starts a shutdown that waits for the stuck worker; the second one ends the wait.
    _wait_for([project / "out" / "stuck.asked"], process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 128 + signal.SIGINT
    assert "spoc: received SIGINT again; forcing exit" in stderr
    assert "run returned" not in stdout
