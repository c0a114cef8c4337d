"""Section 6: spoc-celery's worker against a plain Celery worker, same broker, pool and concurrency.

A real ``redis-server`` on a free port is the broker and result store. The
tasks are sent by name from this process through a plain Celery client, so
both sides receive the very same messages:

- **throughput**: K no-op tasks, then K tasks sleeping 1 ms, through a worker
  started with ``python -m spoc celery worker`` and through one started from a
  plain Celery app that imports the same modules and registers the same
  functions (``-c 2``, prefork); the time from the first send to the last
  result, SPOC over plain (target <= 1.05, i.e. >= 0.95x the throughput), and
  the difference per task in us.
- **start to first task**: a 100-app project; the time from launching the
  worker (one task already queued) to that task's result, SPOC over plain.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

from bench.harness import BenchError, Row, Stat, child_env, interleave, ratios

__all__ = ["measure"]

THROUGHPUT_LIMIT: Final = 1.05
WORKER_OPTIONS: Final = ("--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "WARNING")

TASKS: Final = '''\
"""Tasks of {app} (generated)."""

import time

from spoc_celery import task


@task
def noop():
    return None


@task
def sleep_1ms():
    time.sleep(0.001)
'''

# The plain Celery worker: the same modules imported, the same functions registered under
# the same names, no Framework. The bench's own process sends to both by name.
PLAIN_WORKER: Final = """\
import importlib
import os
import sys

from celery import Celery
from spoc_celery import SpocTask

base = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, base)
app = Celery("plain", broker=os.environ["BENCH_BROKER"], backend=os.environ["BENCH_BROKER"])
with open(os.path.join(base, "import_order.txt"), encoding="utf-8") as lines:
    for name in lines.read().split():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, SpocTask) and value.__module__ == module.__name__:
                app.task(name=value.name, shared=False, lazy=False)(value.run)

if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
"""


def _project(root: Path, apps: int) -> Path:
    names = [f"app{index:04d}" for index in range(apps)]
    for name in names:
        (root / "apps" / name).mkdir(parents=True)
        (root / "apps" / name / "__init__.py").write_text("", encoding="utf-8")
        (root / "apps" / name / "tasks.py").write_text(TASKS.format(app=name), encoding="utf-8")
    (root / "apps" / "__init__.py").write_text("", encoding="utf-8")
    listed = ", ".join(f'"{name}"' for name in names)
    toml = f'[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = [{listed}]\n'
    toml += '\n[spoc.schema]\nmodules = ["tasks"]\n'
    (root / "config").mkdir()
    (root / "config" / "spoc.toml").write_text(toml, encoding="utf-8")
    order = ["apps", *(f"apps.{name}" for name in names), *(f"apps.{name}.tasks" for name in names)]
    (root / "import_order.txt").write_text("\n".join(order) + "\n", encoding="utf-8")
    (root / "plain_worker.py").write_text(PLAIN_WORKER, encoding="utf-8")
    return root


class _Redis:
    def __init__(self, folder: Path) -> None:
        program = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
        if program is None:
            raise BenchError("section celery needs redis-server: apt-get install redis-server, or set REDIS_SERVER")
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        argv = [program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(  # noqa: S603 - the suite's own server
            [*argv, "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise BenchError("redis-server did not answer within 10 s") from None
                time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushall()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _start(kind: str, project: Path, broker: str, concurrency: int) -> subprocess.Popen[bytes]:
    env = child_env({"BENCH_BROKER": broker, "SPOC_CELERY__BROKER_URL": broker, "SPOC_CELERY__RESULT_BACKEND": broker})
    options = ["-c", str(concurrency), "-P", "prefork", *WORKER_OPTIONS]
    if kind == "spoc":
        # Autoload is off in benchmark processes: -p celery loads the plugin by name.
        argv = [sys.executable, "-m", "spoc", "-p", "celery", "--project", str(project), "celery", "worker", *options]
    else:
        argv = [sys.executable, str(project / "plain_worker.py"), *options]
    return subprocess.Popen(argv, env=env, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _client(broker: str) -> Any:
    from celery import Celery

    return Celery("bench-client", broker=broker, backend=broker, set_as_current=False)


def _run_tasks(client: Any, name: str, count: int) -> float:
    began = time.perf_counter()
    sent = [client.send_task(name) for _ in range(count)]
    for result in sent:
        result.get(timeout=120)
    return time.perf_counter() - began


def measure(workdir: Path, count: int, rounds: int, log: Any = print) -> tuple[list[Row], dict[str, Any]]:
    """Measure throughput and start to first task, SPOC's worker against plain Celery; return rows and samples."""
    log(f"celery: {count} tasks per run, {rounds} round(s), a real redis-server")
    workdir.mkdir(parents=True, exist_ok=True)
    server = _Redis(workdir)
    try:
        small = _project(workdir / "one-app", 1)
        large = _project(workdir / "hundred-apps", 100)
        client = _client(server.url)
        warm = {"noop": "app0000.tasks.noop", "1ms": "app0000.tasks.sleep_1ms"}

        def throughput(kind: str) -> dict[str, float]:
            server.flush()
            worker = _start(kind, small, server.url, 2)
            try:
                _run_tasks(client, warm["noop"], 20)  # the worker is up and its processes warm
                return {label: _run_tasks(client, name, count) for label, name in warm.items()}
            finally:
                _stop(worker)

        def first_task(kind: str) -> float:
            server.flush()
            result = client.send_task("app0099.tasks.noop")
            began = time.perf_counter()
            worker = _start(kind, large, server.url, 1)
            try:
                result.get(timeout=120)
                return time.perf_counter() - began
            finally:
                _stop(worker)

        for kind in ("spoc", "plain"):  # bytecode caches; not measured
            first_task(kind)
        runs = interleave({"spoc": lambda: throughput("spoc"), "plain": lambda: throughput("plain")}, rounds)
        starts = interleave({"spoc": lambda: first_task("spoc"), "plain": lambda: first_task("plain")}, rounds)
        client.close()
    finally:
        server.stop()
    rows: list[Row] = []
    raw: dict[str, Any] = {"throughput": runs, "first_task": starts, "count": count}
    for label in ("noop", "1ms"):
        spoc = [sample[label] for sample in runs["spoc"]]
        plain = [sample[label] for sample in runs["plain"]]
        per_task = Stat.of([(ours - theirs) / count * 1e6 for ours, theirs in zip(spoc, plain, strict=True)])
        rate = sorted(count / seconds for seconds in spoc)[len(spoc) // 2]
        plain_rate = sorted(count / seconds for seconds in plain)[len(plain) // 2]
        rows.append(
            Row(
                "celery",
                f"time for {count} {label} tasks, SPOC worker / plain Celery (-c 2)",
                ratios(spoc, plain),
                "x",
                THROUGHPUT_LIMIT,
                f"{rate:.0f} vs {plain_rate:.0f} tasks/s",
            )
        )
        rows.append(Row("celery", f"SPOC per-task overhead, {label}", per_task, "us", None, "(spoc - plain) / tasks"))
    rows.append(
        Row(
            "celery",
            "worker start to first task, 100 apps, SPOC / plain Celery",
            ratios(starts["spoc"], starts["plain"]),
            "x",
            None,
            f"plain {Stat.of(starts['plain']).median * 1e3:.0f} ms, spoc {Stat.of(starts['spoc']).median * 1e3:.0f} ms",
        )
    )
    return rows, raw
