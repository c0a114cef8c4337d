"""Real Celery workers (``python -m spoc celery worker``) on a real Redis: delivery, crashes, shutdown, startup."""

from __future__ import annotations

import collections
import gc
import itertools
import os
import signal
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery_parts import Jobs, RedisServer, jobs_env, make_jobs, redis, redis_server, wait_for  # noqa: F401 - fixtures

# At-least-once, the documented way (docs/scale-out.md), with a short visibility timeout for the test.
AT_LEAST_ONCE = """
        task_acks_late = true
        task_reject_on_worker_lost = true
        worker_cancel_long_running_tasks_on_connection_loss = true
        worker_prefetch_multiplier = 1
        result_backend_always_retry = true
        result_backend_max_retries = 20

        [spoc.celery.broker_transport_options]
        visibility_timeout = 3
        unacked_restore_interval = 1
        unacked_restore_throttle = 1
"""


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def lifecycle(jobs: Jobs, event: str) -> set[int]:
    """Return the pids of the task processes that recorded ``event`` (``start`` or ``stop``), not this one's."""
    return {int(pid) for recorded, pid in jobs.lines("lifecycle") if recorded == event} - {os.getpid()}


def test_a_thousand_tasks_through_two_workers_all_come_back_and_none_runs_twice(
    redis: RedisServer, jobs_env: Callable[..., Jobs], spoc_framework: Callable[..., Any]
) -> None:
    jobs = jobs_env(redis.url())
    first, second = jobs.worker("first"), jobs.worker("second")
    fw = spoc_framework(jobs.root)
    echo = fw.components.tasks["jobs.echo"]

    sent = [echo.delay(number) for number in range(1000)]
    got = [result.get(timeout=60) for result in sent]

    assert got == list(range(1000))
    runs = jobs.lines("runs")
    counts = collections.Counter(int(number) for number, _ in runs)
    assert sorted(counts) == list(range(1000))
    assert set(counts.values()) == {1}
    # Both workers took part: their task processes are four different pids.
    assert len(lifecycle(jobs, "start")) == 4
    assert len({pid for _, pid in runs}) >= 2
    for worker in (first, second):
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0


def test_a_worker_killed_while_running_tasks_leaves_them_to_the_other_one_with_at_least_once(
    redis: RedisServer, jobs_env: Callable[..., Jobs], spoc_framework: Callable[..., Any]
) -> None:
    jobs = jobs_env(redis.url(), AT_LEAST_ONCE)
    doomed = jobs.worker("doomed")
    fw = spoc_framework(jobs.root)
    slow = fw.components.tasks["jobs.slow"]
    sent = [slow.delay(number, 0.5) for number in range(8)]
    wait_for(lambda: len(jobs.lines("begin")) >= 2, 30, "the first worker to run tasks")

    doomed.kill_group()
    doomed_pids = {str(pid) for pid in lifecycle(jobs, "start")}
    survivor = jobs.worker("survivor")
    got = [result.get(timeout=60) for result in sent]

    assert got == list(range(8))
    ended = {int(number) for number, _ in jobs.lines("end")}
    assert ended == set(range(8))
    # The tasks running when the worker died began there and ended on the survivor.
    interrupted = {number for number, pid in jobs.lines("begin") if pid in doomed_pids} - {
        number for number, pid in jobs.lines("end") if pid in doomed_pids
    }
    assert interrupted
    survivor.signal(signal.SIGTERM)
    assert survivor.wait() == 0


def test_a_warm_shutdown_finishes_running_tasks_and_stops_spoc_in_every_task_process(
    redis: RedisServer, jobs_env: Callable[..., Jobs], spoc_framework: Callable[..., Any]
) -> None:
    jobs = jobs_env(redis.url(), "worker_prefetch_multiplier = 1")
    worker = jobs.worker("warm", 2)
    fw = spoc_framework(jobs.root)
    slow = fw.components.tasks["jobs.slow"]
    sent = [slow.delay(number, 1.0) for number in range(2)]
    wait_for(lambda: len(jobs.lines("begin")) == 2, 30, "both task processes to run a task")

    worker.signal(signal.SIGTERM)

    assert worker.wait() == 0
    assert [result.get(timeout=10) for result in sent] == [0, 1]
    assert sorted(int(number) for number, _ in jobs.lines("end")) == [0, 1]
    started, stopped = lifecycle(jobs, "start"), lifecycle(jobs, "stop")
    assert len(started) == 2
    assert stopped == started
    assert all(not alive(pid) for pid in started)
    assert not alive(worker.pid)
    assert "warm shutdown" in worker.output().lower()


def test_a_spoc_startup_failure_in_a_task_process_stops_the_worker_with_the_error(
    redis: RedisServer, make_jobs: Callable[..., Jobs]
) -> None:
    jobs = make_jobs(redis.url())

    worker = jobs.worker("broken", 2, ready=False, JOBS_FAIL_STARTUP="1")
    status = worker.wait(60)

    output = worker.output()
    assert status == 1, output
    assert "error: the Celery worker stopped: its task process could not start the SPOC application" in output
    assert "the jobs database is down" in output
    assert "spoc_startup of" in output  # SPOC's StartupError names the failing step
    # Stopped, not respawned over and over: a handful of processes tried at most.
    assert output.count("could not start the SPOC application:") <= 6
    assert lifecycle(jobs, "start") == set()


def test_a_periodic_task_under_beat_runs_once_per_interval_with_two_workers(
    redis: RedisServer, make_jobs: Callable[..., Jobs], tmp_path: Path
) -> None:
    jobs = make_jobs(redis.url())
    jobs.worker("one")
    jobs.worker("two")
    beat = jobs.spoc("celery", "beat", "--loglevel", "INFO", "-s", str(tmp_path / "schedule"), log="beat")
    beat.wait_for_line("beat: Starting...")

    wait_for(lambda: len(jobs.lines("ticks")) >= 5, 30, "five ticks")
    beat.signal(signal.SIGTERM)
    beat.wait()
    time.sleep(0.5)  # a tick sent just before beat stopped is still recorded

    ticks = sorted(float(at) for at, _ in jobs.lines("ticks"))
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    # Once per interval across both workers: never two runs of one tick.
    assert all(gap > 0.5 for gap in gaps), gaps
    assert 5 <= len(ticks) <= 1 + (ticks[-1] - ticks[0]) / 0.9


def test_a_worker_whose_broker_is_unreachable_names_its_masked_url_and_the_settings(
    make_jobs: Callable[..., Jobs],
) -> None:
    from celery_parts import free_port

    broker = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    jobs = make_jobs(broker, "broker_connection_max_retries = 2\nbroker_connection_retry_on_startup = false")

    worker = jobs.worker("unreachable", 1, ready=False)
    status = worker.wait(60)

    output = worker.output()
    assert status == 1, output
    assert "s3cret" not in output
    masked = f"redis://:****@127.0.0.1:{broker.rsplit(':', 1)[1]}"
    assert f"error: the Celery worker stopped: the broker at {masked} is unreachable" in output
    assert "broker_url in [spoc.celery]" in output
    assert "broker_connection_retry_on_startup" in output


def test_a_worker_retries_an_unreachable_broker_as_celery_says_and_says_where_it_is_set(
    make_jobs: Callable[..., Jobs],
) -> None:
    from celery_parts import free_port

    broker = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    jobs = make_jobs(broker, "broker_connection_max_retries = 100")

    worker = jobs.worker("retrying", 1, ready=False)
    worker.wait_for_line("Trying again")
    worker.signal(signal.SIGTERM)
    worker.wait()

    output = worker.output()
    assert "s3cret" not in output
    assert "spoc-celery: the broker redis://:****@127.0.0.1:" in output
    assert "broker_url in [spoc.celery]" in output
    assert output.count("spoc-celery: the broker") == 1


def test_tasks_sent_while_the_broker_restarts_are_not_lost(
    jobs_env: Callable[..., Jobs], spoc_framework: Callable[..., Any], tmp_path: Path
) -> None:
    server = RedisServer(tmp_path / "persistent-redis", persistent=True).start()
    sent: list[Any] = []
    try:
        jobs = jobs_env(server.url(), AT_LEAST_ONCE)
        worker = jobs.worker("steady", 2)
        fw = spoc_framework(jobs.root)
        slow = fw.components.tasks["jobs.slow"]
        sent += [slow.delay(number, 0.1) for number in range(2)]
        sent += [slow.delay(number, 1.0) for number in range(2, 20)]
        wait_for(lambda: len(jobs.lines("end")) >= 2, 30, "the first tasks to end")

        # Lose the broker while both task processes run a task: the worker holds as many
        # messages as it may (prefetch), so it is not between taking one from Redis and
        # recording it as unacknowledged, the one instant kombu's Redis transport can lose a
        # message in (docs/scale-out.md, "Delivery guarantees").
        def both_busy() -> bool:
            running = {number for number, _ in jobs.lines("begin")} - {number for number, _ in jobs.lines("end")}
            return len(running) == 2

        wait_for(both_busy, 30, "both task processes to run a task")
        server.kill()
        server.start()

        # Read each stored result (a GET): a result published while this process's
        # subscription was down is stored all the same.
        def stored() -> list[Any] | None:
            metas = [result.backend.get_task_meta(result.id) for result in sent]
            return [meta["result"] for meta in metas] if all(m["status"] == "SUCCESS" for m in metas) else None

        assert wait_for(stored, 60, "every result to be stored") == list(range(20))
        assert {int(number) for number, _ in jobs.lines("end")} == set(range(20))
        assert "Connection to broker lost" in worker.output() or "Cannot connect" in worker.output()
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    finally:
        # A result left for the garbage collector unsubscribes from this server: drop them while
        # it runs. The sockets the kill broke are collected with them, unclosed by redis-py.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            sent.clear()
            gc.collect()
        server.stop()


def test_the_main_process_starts_nothing_and_names_every_task(
    redis: RedisServer, make_jobs: Callable[..., Jobs]
) -> None:
    jobs = make_jobs(redis.url())
    worker = jobs.worker("names", 1)

    output = worker.output()
    for name in ("jobs.tasks.echo", "jobs.tasks.slow", "jobs.tasks.tick"):
        assert f". {name}" in output
    started = lifecycle(jobs, "start")
    assert len(started) == 1
    assert worker.pid not in started
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0
