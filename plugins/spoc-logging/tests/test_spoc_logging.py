"""spoc-logging on real projects in tmp_path: one JSON line per fw.invoke call.

The plugin is loaded as its users get it, through its installed entry point
(``pip install -e plugins/spoc-logging``; ``make test`` does), and only it:
the other plugins of the environment stay out. ``spoc.testing``'s fixtures
write each project, and shut every framework down and restore ``sys.path``
and the ``apps`` modules after each test.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
import spoc
from spoc.errors import SpocError
from spoc.framework import Framework

from spoc_logging import InvokeLoggingPlugin

TOML = """
[spoc]
mode = "production"

[spoc.apps]
production = ["blog"]

[spoc.schema]
modules = ["views"]
"""

VIEWS = """
    import spoc

    @spoc.component
    def greet(name, greeting="hello", api_key=None):
        return f"{greeting} {name}"

    @spoc.component
    def fail():
        raise ValueError("no such post")

    @spoc.component
    async def fetch(number):
        return number * 2
"""

Start = Callable[..., Framework]


@pytest.fixture(autouse=True)
def _only_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load spoc-logging through its entry point, and no other installed plugin."""
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "logging")


@pytest.fixture
def start(spoc_project: Callable[..., Path], spoc_framework: Callable[..., Framework]) -> Start:
    """Return ``start(logging_table="")``: a one-app project whose views are components, started.

    ``logging_table`` is the body of ``[spoc.logging]``.
    """

    def start(logging_table: str = "") -> Framework:
        toml = TOML + (f"\n[spoc.logging]\n{logging_table}" if logging_table else "")
        return spoc_framework(spoc_project({"apps/blog/views.py": VIEWS}, apps=["blog"], toml=toml))

    return start


@pytest.fixture
def started(start: Start) -> Framework:
    """The project started with spoc-logging at its defaults."""
    return start()


def logged(caplog: pytest.LogCaptureFixture, logger: str = "spoc.invoke") -> list[dict[str, Any]]:
    """Return each captured record of ``logger``, parsed from its JSON line."""
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == logger]


def test_a_successful_call_logs_its_component_duration_and_outcome(
    started: Framework, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")

    result = started.invoke("views", "blog.greet", "ada")

    [record] = logged(caplog)
    assert result == "hello ada"
    assert {key: record[key] for key in ("event", "component", "kind", "outcome")} == {
        "event": "invoke",
        "component": "blog.greet",
        "kind": "views",
        "outcome": "ok",
    }
    assert isinstance(record["duration_ms"], float)
    assert "args" not in record


def test_a_failing_call_logs_the_exception_and_still_raises_it(
    started: Framework, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")

    with pytest.raises(ValueError, match="no such post"):
        started.invoke("views", "blog.fail")

    [record] = logged(caplog)
    assert record["outcome"] == "error"
    assert record["error"] == {"type": "ValueError", "message": "no such post"}


def test_an_async_component_is_logged_when_its_call_is_awaited(
    started: Framework, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")
    call = started.invoke("views", "blog.fetch", 21)
    assert logged(caplog) == []

    assert asyncio.run(call) == 42

    [record] = logged(caplog)
    assert (record["component"], record["outcome"]) == ("blog.fetch", "ok")


def test_the_log_record_carries_the_same_data_for_structured_handlers(
    started: Framework, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")

    started.invoke("views", "blog.greet", "ada")

    [record] = [record for record in caplog.records if record.name == "spoc.invoke"]
    assert record.spoc_invoke == json.loads(record.getMessage())
    assert record.levelno == logging.DEBUG


def test_nothing_is_logged_while_the_level_is_not_enabled(started: Framework, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="spoc.invoke")

    started.invoke("views", "blog.greet", "ada")

    assert logged(caplog) == []


def test_include_args_adds_the_arguments_with_secrets_masked(start: Start, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")

    start("include_args = true\n").invoke("views", "blog.greet", "ada", greeting="hi", api_key="s3cret")

    [record] = logged(caplog)
    assert record["args"] == ["'ada'"]
    assert record["kwargs"] == {"greeting": "'hi'", "api_key": "***"}
    assert "s3cret" not in caplog.text


def test_level_and_logger_name_come_from_the_settings_section(start: Start, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="myproject.calls")

    start('level = "info"\nlogger = "myproject.calls"\n').invoke("views", "blog.greet", "ada")

    [record] = [record for record in caplog.records if record.name == "myproject.calls"]
    assert record.levelno == logging.INFO
    assert json.loads(record.getMessage())["component"] == "blog.greet"


def test_enabled_false_logs_nothing(start: Start, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")

    start("enabled = false\n").invoke("views", "blog.greet", "ada")

    assert logged(caplog) == []


def test_an_unknown_level_is_an_error_listing_the_valid_ones(start: Start) -> None:
    with pytest.raises(SpocError) as info:
        start('level = "loud"\n')

    message = str(info.value)
    assert "spoc.toml" in message
    assert "level" in message
    assert "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'" in message


def test_a_call_refused_by_an_inner_middleware_is_logged_too(
    start: Start, spoc_plugins: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")

    class Auth:
        @spoc.hookimpl(wrapper=True)
        def spoc_invoke(self) -> Generator[None, Any, Any]:
            raise PermissionError("not logged in")
            yield  # a generator, as pluggy wants of a wrapper

    spoc_plugins.append(Auth())
    fw = start()

    with pytest.raises(PermissionError):
        fw.invoke("views", "blog.greet", "ada")

    [record] = logged(caplog)
    assert record["error"] == {"type": "PermissionError", "message": "not logged in"}


def test_the_installed_distribution_declares_the_logging_entry_point() -> None:
    from importlib.metadata import distribution

    [entry_point] = [ep for ep in distribution("spoc-logging").entry_points if ep.group == "spoc.plugins"]
    assert (entry_point.name, entry_point.value) == ("logging", "spoc_logging:InvokeLoggingPlugin")
    assert entry_point.load() is InvokeLoggingPlugin


def test_the_plugin_is_registered_under_its_entry_point_name(started: Framework) -> None:
    assert isinstance(started.plugin_manager.get_plugin("logging"), InvokeLoggingPlugin)


def test_a_new_level_in_the_logging_configuration_applies_to_the_next_call(
    started: Framework, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="spoc.invoke")
    started.invoke("views", "blog.greet", "ada")

    caplog.set_level(logging.DEBUG, logger="spoc.invoke")
    started.invoke("views", "blog.greet", "grace")

    assert len(logged(caplog)) == 1
