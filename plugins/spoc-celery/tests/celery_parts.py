"""The real parts of spoc-celery's tests: a Redis server, worker processes, the test project.

Redis is the ``redis-server`` program: ``$REDIS_SERVER`` if set, else the one
on PATH (Debian's package: ``apt-get install redis-server``; ``make test`` and
``.ci/run`` install it). A test that needs it fails, never skips, without it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REDIS_HOW = (
    "spoc-celery's tests need a real Redis server: install Debian's package (`apt-get install redis-server`; "
    "`make test` does it when run as root), or put redis-server on PATH, or set REDIS_SERVER to its path"
)

# The project every end-to-end test runs: one app, `jobs`, whose tasks and lifecycle
# hooks append one line per event to files in $JOBS_DIR, so a test sees every
# process's work. O_APPEND writes of one short line do not interleave.
JOBS_INIT = """
    import os
    import spoc

    def record(name, line):
        fd = os.open(os.path.join(os.environ["JOBS_DIR"], name), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, (line + "\\n").encode())
        finally:
            os.close(fd)

    @spoc.hookimpl
    def spoc_startup(framework):
        if os.environ.get("JOBS_FAIL_STARTUP"):
            raise RuntimeError("the jobs database is down")
        record("lifecycle", f"start {os.getpid()}")

    @spoc.hookimpl
    def spoc_shutdown(framework):
        record("lifecycle", f"stop {os.getpid()}")
"""

JOBS_TASKS = """
    import os
    import time

    from apps.jobs import record
    from spoc_celery import task

    @task
    def echo(number):
        record("runs", f"{number} {os.getpid()}")
        return number

    @task
    def slow(number, seconds):
        record("begin", f"{number} {os.getpid()}")
        time.sleep(seconds)
        record("end", f"{number} {os.getpid()}")
        return number

    @task(every=1.0)
    def tick():
        record("ticks", f"{time.time():.3f} {os.getpid()}")
"""


def free_port() -> int:
    """Return a TCP port free on localhost right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def redis_binary() -> str:
    """Return the redis-server program to run, or fail the test saying how to get one."""
    found = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    for candidate in (found, "/usr/bin/redis-server", "/usr/sbin/redis-server"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(REDIS_HOW, pytrace=False)


class RedisServer:
    """A redis-server process on a free localhost port, with its data in ``folder``."""

    def __init__(self, folder: Path, *, persistent: bool = False) -> None:
        self.folder = folder
        self.port = free_port()
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0, password: str = "") -> str:
        auth = f":{password}@" if password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        options = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        argv = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *options]
        argv += ["--dir", str(self.folder), "--daemonize", "no", "--loglevel", "warning"]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(self._answers, 10, "redis-server to answer PING")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"redis-server exited: {(self.folder / 'redis.log').read_text()}", pytrace=False)
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.ConnectionError:
            return False

    def flush(self) -> None:
        import redis

        client = redis.Redis(port=self.port)
        client.flushall()
        client.close()

    def kill(self) -> None:
        """Stop it at once, as a crash would (SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}", pytrace=False)
        time.sleep(interval)


class Process:
    """A ``python -m spoc`` subprocess of the test project, in its own process group, logging to a file."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str]) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_line(self, text: str, timeout: float = 30) -> None:
        def seen() -> bool:
            if self.process.poll() is not None and text not in self.output():
                pytest.fail(f"the process exited ({self.process.returncode}) before {text!r}:\n{self.output()}")
            return text in self.output()

        wait_for(seen, timeout, f"{text!r} in {self.log.name}")

    def signal(self, number: int) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, number)

    def wait(self, timeout: float = 30) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.log.name}: still running after {timeout:g} s:\n{self.output()}", pytrace=False)

    def kill_group(self) -> None:
        """SIGKILL the process and every process of its group (its task processes)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)


class Jobs:
    """The test project, its record files, and the processes started for it."""

    def __init__(self, root: Path, records: Path, broker: str) -> None:
        self.root = root
        self.records = records
        self.broker = broker
        self.processes: list[Process] = []
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("SPOC_")}
        self.env.update(JOBS_DIR=str(records), PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")

    def lines(self, name: str) -> list[list[str]]:
        path = self.records / name
        return [line.split() for line in path.read_text().splitlines()] if path.exists() else []

    def spoc(self, *args: str, log: str, **env: str) -> Process:
        argv = [sys.executable, "-m", "spoc", "--project", str(self.root), *args]
        process = Process(argv, self.records.parent / f"{log}.log", {**self.env, **env})
        self.processes.append(process)
        return process

    def worker(self, name: str, concurrency: int = 2, *options: str, ready: bool = True, **env: str) -> Process:
        """Start ``python -m spoc celery worker`` and, unless ``ready=False``, wait until it consumes."""
        argv = ["celery", "worker", "-n", f"{name}@%h", "-c", str(concurrency), "--loglevel", "INFO"]
        argv += ["--without-mingle", "--without-gossip", "--without-heartbeat", *options]
        process = self.spoc(*argv, log=name, **env)
        if ready:
            process.wait_for_line(" ready.")
        return process

    def close(self) -> None:
        for process in self.processes:
            process.kill_group()


def jobs_toml(broker: str, extra: str = "") -> str:
    return f"""
        [spoc]
        mode = "production"

        [spoc.apps]
        production = ["jobs"]

        [spoc.schema]
        modules = ["tasks"]

        [spoc.celery]
        broker_url = "{broker}"
        result_backend = "{broker}"
        {extra}
    """


# The fixtures: a test module imports the ones it uses by name (there is no conftest.py,
# so that this folder's helpers never shadow another test folder's `conftest` module).
@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Redis server for the session; each test using it starts with it empty (``redis``)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server: RedisServer) -> RedisServer:
    """The session's Redis server, emptied."""
    redis_server.flush()
    return redis_server


@pytest.fixture
def make_jobs(spoc_project: Callable[..., Path], tmp_path: Path) -> Iterator[Callable[..., Jobs]]:
    """Return ``make(broker, extra_toml="") -> Jobs``: the test project; its processes are killed at the end."""
    made: list[Jobs] = []

    def make(broker: str, extra: str = "") -> Jobs:
        files = {"apps/jobs/__init__.py": JOBS_INIT, "apps/jobs/tasks.py": JOBS_TASKS}
        root = spoc_project(files, toml=jobs_toml(broker, extra))
        records = tmp_path / "records"
        records.mkdir(exist_ok=True)
        jobs = Jobs(root, records, broker)
        made.append(jobs)
        return jobs

    yield make
    for jobs in made:
        jobs.close()


@pytest.fixture
def jobs_env(make_jobs: Callable[..., Jobs], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Jobs]:
    """Like ``make_jobs``, with ``JOBS_DIR`` set in this process too (for tasks run or sent here)."""

    def make(broker: str, extra: str = "") -> Jobs:
        jobs = make_jobs(broker, extra)
        monkeypatch.setenv("JOBS_DIR", str(jobs.records))
        return jobs

    return make
