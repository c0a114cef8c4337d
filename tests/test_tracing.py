"""SPOC_TRACE_HOOKS: every hook call printed with its implementations and duration."""

from __future__ import annotations

import re

import pytest
from conftest import ProjectFactory

import spoc
from spoc.framework import Framework
from spoc.plugins.tracing import tracing_requested


@pytest.mark.parametrize(("value", "wanted"), [("1", True), ("yes", True), ("0", False), ("", False), ("off", False)])
def test_tracing_is_requested_by_a_true_value(value: str, wanted: bool) -> None:
    assert tracing_requested({"SPOC_TRACE_HOOKS": value}) is wanted


def test_traced_framework_prints_each_hook_call_with_its_implementations_and_duration(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Greeter:
        @spoc.hookimpl
        def spoc_startup(self) -> None:
            pass

    monkeypatch.setenv("SPOC_TRACE_HOOKS", "1")
    monkeypatch.setenv("SPOC_DISABLE_PLUGIN_AUTOLOAD", "1")
    greeter = Greeter()
    greeter.__name__ = "greeter"  # type: ignore[attr-defined]

    Framework(make_project(apps=[]), plugins=[greeter]).startup().shutdown()

    lines = capsys.readouterr().err.splitlines()
    assert "spoc:   spoc_startup -> [greeter]" in lines
    assert any(re.fullmatch(r"spoc:   spoc_startup done in \d+\.\d{3} ms", line) for line in lines)
    assert "spoc: spoc_run_step -> [spoc.builtins]" in lines


def test_untraced_framework_prints_nothing(make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]) -> None:
    Framework(make_project(apps=[])).startup().shutdown()

    assert "spoc:" not in capsys.readouterr().err
