"""spoc-hello as its users get it: installed, found through its entry point, logging at startup."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

import spoc


def test_startup_logs_the_apps_that_started(
    spoc_project: Callable[..., Path],
    spoc_framework: Callable[..., spoc.Framework],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "hello")  # this plugin's entry point, and no other installed plugin
    caplog.set_level(logging.INFO, logger="spoc_hello")

    fw = spoc_framework(spoc_project(apps=["blog", "shop"]))

    assert fw.plugin_manager.get_plugin("hello").__name__ == "spoc_hello"
    assert ("spoc_hello", logging.INFO, "2 app(s) started: blog, shop") in caplog.record_tuples
