"""spoc-logging on real projects in tmp_path: one JSON line per fw.invoke call."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import textwrap
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import spoc
from spoc import Schema
from spoc.errors import SpocError
from spoc.framework import Framework

from spoc_logging import InvokeLoggingPlugin

SCHEMA = Schema(modules=["views"])

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


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only this test's plugin instance, no SPOC_* variables, and the process left as found."""
    for name in [name for name in os.environ if name.startswith("SPOC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if name == "apps" or name.startswith("apps."):
            del sys.modules[name]


def make_project(root: Path, logging_table: str = "") -> Path:
    """Write a one-app project whose views are components; ``logging_table`` is the body of ``[spoc.logging]``."""
    toml = '[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["blog"]\n'
    if logging_table:
        toml += f"\n[spoc.logging]\n{textwrap.dedent(logging_table)}"
    for relative, text in {"config/spoc.toml": toml, "apps/blog/__init__.py": "", "apps/blog/views.py": VIEWS}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Framework]:
    """The project started with spoc-logging at its defaults."""
    with Framework(make_project(tmp_path), SCHEMA, plugins=[InvokeLoggingPlugin()]) as fw:
        yield fw


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


def test_include_args_adds_the_arguments_with_secrets_masked(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")
    root = make_project(tmp_path, "include_args = true\n")

    with Framework(root, SCHEMA, plugins=[InvokeLoggingPlugin()]) as fw:
        fw.invoke("views", "blog.greet", "ada", greeting="hi", api_key="s3cret")

    [record] = logged(caplog)
    assert record["args"] == ["'ada'"]
    assert record["kwargs"] == {"greeting": "'hi'", "api_key": "***"}
    assert "s3cret" not in caplog.text


def test_level_and_logger_name_come_from_the_settings_section(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="myproject.calls")
    root = make_project(tmp_path, 'level = "info"\nlogger = "myproject.calls"\n')

    with Framework(root, SCHEMA, plugins=[InvokeLoggingPlugin()]) as fw:
        fw.invoke("views", "blog.greet", "ada")

    [record] = [record for record in caplog.records if record.name == "myproject.calls"]
    assert record.levelno == logging.INFO
    assert json.loads(record.getMessage())["component"] == "blog.greet"


def test_enabled_false_logs_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")
    root = make_project(tmp_path, "enabled = false\n")

    with Framework(root, SCHEMA, plugins=[InvokeLoggingPlugin()]) as fw:
        fw.invoke("views", "blog.greet", "ada")

    assert logged(caplog) == []


def test_an_unknown_level_is_an_error_listing_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(SpocError) as info:
        Framework(make_project(tmp_path, 'level = "loud"\n'), SCHEMA, plugins=[InvokeLoggingPlugin()])

    message = str(info.value)
    assert "spoc.toml" in message
    assert "level" in message
    assert "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'" in message


def test_a_call_refused_by_an_inner_middleware_is_logged_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="spoc.invoke")

    class Auth:
        @spoc.hookimpl(wrapper=True)
        def spoc_invoke(self) -> Generator[None, Any, Any]:
            raise PermissionError("not logged in")
            yield  # a generator, as pluggy wants of a wrapper

    plugins = [InvokeLoggingPlugin(), Auth()]
    with Framework(make_project(tmp_path), SCHEMA, plugins=plugins) as fw, pytest.raises(PermissionError):
        fw.invoke("views", "blog.greet", "ada")

    [record] = logged(caplog)
    assert record["error"] == {"type": "PermissionError", "message": "not logged in"}


def test_the_installed_distribution_declares_the_logging_entry_point() -> None:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("spoc-logging")
    except PackageNotFoundError:
        pytest.skip("spoc-logging is not installed (pip install -e plugins/spoc-logging)")

    [entry_point] = [ep for ep in dist.entry_points if ep.group == "spoc.plugins"]
    assert (entry_point.name, entry_point.value) == ("logging", "spoc_logging:InvokeLoggingPlugin")
    assert entry_point.load() is InvokeLoggingPlugin
