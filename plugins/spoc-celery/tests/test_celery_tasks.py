"""@task, the embedded default and [spoc.celery], in-process, with spoc.testing's fixtures (no broker needed)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from celery_parts import RedisServer, free_port, redis, redis_server  # noqa: F401 - fixtures
from spoc.errors import ConfigError, SpocError

from spoc_celery import BrokerUnreachableError, CeleryPlugin, SpocTask, TaskNotBoundError, find_plugin, task

TASKS = """
    from spoc_celery import task

    @task
    def add(x, y):
        '''Add two numbers.'''
        return x + y

    @task(bind=True, max_retries=3)
    def whoami(self):
        return self.name

    @task(every=60)
    def digest():
        return "digest"
"""

TOML = """
    [spoc]
    mode = "production"

    [spoc.apps]
    production = ["blog"]

    [spoc.schema]
    modules = ["tasks"]
"""


@pytest.fixture
def project(spoc_project: Callable[..., Path]) -> Callable[..., Path]:
    """Return ``write(celery_table="") -> Path``: a one-app project whose tasks module is TASKS."""

    def write(celery_table: str = "", tasks: str = TASKS) -> Path:
        toml = TOML + (f"\n    [spoc.celery]\n{celery_table}" if celery_table else "")
        return spoc_project({"apps/blog/tasks.py": tasks}, toml=toml)

    return write


def test_a_task_is_a_component_of_its_module_named_app_module_function(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    fw = spoc_framework(project())

    add = fw.components.tasks["blog.add"]

    assert isinstance(add, SpocTask)
    assert add.name == "blog.tasks.add"
    assert add.__doc__ == "Add two numbers."
    assert sorted(fw.components.tasks) == ["blog.add", "blog.digest", "blog.whoami"]
    assert fw.components.tasks["blog.digest"].every == 60.0


def test_without_a_broker_tasks_run_in_the_calling_process(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    fw = spoc_framework(project())
    add = fw.components.tasks["blog.add"]

    assert add.delay(2, 3).get(timeout=1) == 5
    assert add.apply_async((4, 5)).get(timeout=1) == 9
    assert add.s(1, 1).delay().get(timeout=1) == 2
    assert (add.s(1, 2) | add.s(10)).delay().get(timeout=1) == 13
    assert fw.components.tasks["blog.whoami"].delay().get(timeout=1) == "blog.tasks.whoami"
    # The real Celery task, with the options given to @task.
    assert add.bound().name == "blog.tasks.add"
    assert fw.components.tasks["blog.whoami"].max_retries == 3


def test_calling_a_task_runs_the_function_without_any_application(project: Callable[..., Path]) -> None:
    @task
    def double(x: int) -> int:
        return 2 * x

    assert double(21) == 42


USES = {
    "delay": lambda add: add.delay(1, 2),
    "apply_async": lambda add: add.apply_async((1, 2)),
    "s": lambda add: add.s(1, 2),
    "bound": lambda add: add.bound(),
    "max_retries": lambda add: add.max_retries,
}


@pytest.mark.parametrize("use", list(USES))
def test_a_task_used_before_startup_is_an_error_saying_to_start_the_framework(
    use: str, project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    fw = spoc_framework(project(), start=False)
    modules = fw.import_modules()
    add = vars(modules["blog.tasks"])["add"]

    with pytest.raises(TaskNotBoundError) as info:
        USES[use](add)

    message = str(info.value)
    assert "task 'blog.tasks.add' was used" in message
    assert "before the SPOC application started" in message
    assert "fw.startup()" in message
    assert info.value.task == "blog.tasks.add"


def test_a_task_used_after_shutdown_is_an_error_again(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    fw = spoc_framework(project())
    add = fw.components.tasks["blog.add"]
    fw.shutdown()

    with pytest.raises(TaskNotBoundError):
        add.delay(1, 2)


def test_with_the_plugin_disabled_a_task_says_how_it_was_turned_off(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    with pytest.warns(UserWarning, match=r"\[spoc.celery\]"):
        fw = spoc_framework(project("task_acks_late = true"), disable_plugins=["celery"])

    with pytest.raises(TaskNotBoundError, match="-p no:celery"):
        fw.components.tasks["blog.add"].delay(1, 2)


def test_importing_a_tasks_module_imports_nothing_of_celery(project: Callable[..., Path]) -> None:
    root = project()
    code = (
        "import sys, spoc\n"
        f"fw = spoc.Framework({str(root)!r})\n"
        "fw.import_modules()\n"
        "fw.startup()\n"
        "print('celery' in sys.modules, 'kombu' in sys.modules)\n"
        "fw.shutdown()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.split() == ["False", "False"]


def test_settings_pass_through_to_celery_nested_tables_included(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    table = """
    task_acks_late = true
    task_default_queue = "blog"
    worker_prefetch_multiplier = 1

    [spoc.celery.broker_transport_options]
    visibility_timeout = 30
    unacked_restore_interval = 1
    """
    fw = spoc_framework(project(table))

    conf = fw.components.tasks["blog.add"].bound().app.conf

    assert conf.task_acks_late is True
    assert conf.task_default_queue == "blog"
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options == {"visibility_timeout": 30.0, "unacked_restore_interval": 1}
    # No broker: the embedded default.
    assert conf.task_always_eager is True


def test_the_broker_url_comes_from_the_environment_and_is_a_secret(
    project: Callable[..., Path], spoc_framework: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOC_CELERY__BROKER_URL", "redis://:hunter2@127.0.0.1:1/0")
    fw = spoc_framework(project())

    section = fw.settings.section("celery")
    app = fw.components.tasks["blog.add"].bound().app

    assert app.conf.broker_url == "redis://:hunter2@127.0.0.1:1/0"
    assert not app.conf.task_always_eager
    assert "hunter2" not in repr(section)
    assert find_plugin(fw).binding is not None
    assert find_plugin(fw).binding.broker == "redis://:****@127.0.0.1:1/0"  # type: ignore[union-attr]


def test_a_wrong_type_is_an_error_naming_the_key_and_the_file_and_line(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    with pytest.raises(SpocError) as info:
        spoc_framework(project('task_acks_late = "sometimes"\n'), start=False)

    message = str(info.value)
    assert "spoc.toml:" in message
    assert "'spoc.celery.task_acks_late' = 'sometimes' is invalid" in message


def test_a_wrong_type_from_a_variable_names_the_variable(
    project: Callable[..., Path], spoc_framework: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOC_CELERY__WORKER_CONCURRENCY", "lots")

    with pytest.raises(SpocError, match="SPOC_CELERY__WORKER_CONCURRENCY"):
        spoc_framework(project(), start=False)


def test_an_unknown_celery_setting_is_an_error_with_a_suggestion_when_the_app_is_made(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    fw = spoc_framework(project("task_ack_late = true\n"))

    with pytest.raises(ConfigError) as info:
        fw.components.tasks["blog.add"].delay(1, 2)

    assert "'task_ack_late', which is not a Celery setting (did you mean 'task_acks_late'?)" in str(info.value)
    assert info.value.key == "spoc.celery.task_ack_late"


def test_periodic_tasks_make_the_beat_schedule(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    fw = spoc_framework(project())

    schedule = fw.components.tasks["blog.add"].bound().app.conf.beat_schedule

    assert schedule == {
        "blog.tasks.digest": {"task": "blog.tasks.digest", "schedule": 60.0, "options": {"expires": 60.0}}
    }


@pytest.mark.parametrize("every", [0, -1, "60", float("inf"), True])
def test_every_must_be_a_positive_number_of_seconds(every: Any) -> None:
    with pytest.raises(SpocError, match="every is the interval in seconds"):
        task(every=every)


def test_two_tasks_with_one_name_are_an_error_naming_both(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    tasks = TASKS + "\n    @task(name='blog.tasks.add')\n    def other():\n        pass\n"

    with pytest.raises(SpocError, match=r"two tasks are named 'blog.tasks.add'"):
        spoc_framework(project(tasks=tasks))


def test_sending_to_an_unreachable_broker_names_its_masked_url_and_the_settings(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    table = f"""
    broker_url = "redis://:s3cret@127.0.0.1:{free_port()}/0"

    [spoc.celery.task_publish_retry_policy]
    max_retries = 1
    interval_start = 0
    interval_step = 0.05
    """
    fw = spoc_framework(project(table))

    with pytest.raises(BrokerUnreachableError) as info:
        fw.components.tasks["blog.add"].delay(1, 2)

    message = str(info.value)
    assert "task 'blog.tasks.add' was not sent: the broker at redis://:****@127.0.0.1:" in message
    assert "s3cret" not in message
    assert "broker_url in [spoc.celery]" in message
    assert "task_publish_retry_policy" in message
    assert type(info.value.__cause__).__name__ == "OperationalError"


def test_an_application_sends_to_a_real_broker_without_running_the_task(
    redis: RedisServer, project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    fw = spoc_framework(project(f'broker_url = "{redis.url()}"\n'))

    result = fw.components.tasks["blog.add"].delay(1, 2)

    import redis as redis_client

    client = redis_client.Redis(port=redis.port)
    assert client.llen("celery") == 1
    assert isinstance(result.id, str)
    client.close()


def test_the_plugin_is_found_through_its_entry_point(
    project: Callable[..., Path], spoc_framework: Callable[..., Any]
) -> None:
    fw = spoc_framework(project(), start=False)

    assert isinstance(find_plugin(fw), CeleryPlugin)
    assert "celery" in {record.name for record in fw.plugin_records}
