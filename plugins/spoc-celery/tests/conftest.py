"""Fixtures of spoc-celery's tests; the parts they use are in ``celery_parts``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery_parts import JOBS_INIT, JOBS_TASKS, Jobs, RedisServer, jobs_toml


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
