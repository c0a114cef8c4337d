"""spoc-timing on real projects in tmp_path: what it records, and when it reports."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from spoc import Schema
from spoc.errors import SpocError
from spoc.framework import Framework

from spoc_timing import StepTiming, TimingPlugin, find_plugin, format_report, timings

SCHEMA = Schema(modules=["models", "views"], dependencies={"views": ["models"]})

APP = {
    "apps/blog/__init__.py": """
        import spoc

        @spoc.hookimpl
        def spoc_startup(framework):
            pass

        @spoc.hookimpl
        def spoc_shutdown(framework):
            pass
    """,
    "apps/blog/models.py": """
        def initialize():
            pass

        def teardown():
            pass
    """,
    "apps/blog/views.py": "",
}


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


def make_project(root: Path, timing_table: str = "", files: dict[str, str] | None = None) -> Path:
    """Write a one-app project with models and views; ``timing_table`` is the body of ``[spoc.timing]``."""
    toml = '[spoc]\nmode = "production"\n\n[spoc.apps]\nproduction = ["blog"]\n'
    if timing_table:
        toml += f"\n[spoc.timing]\n{textwrap.dedent(timing_table)}"
    for relative, text in {"config/spoc.toml": toml, **APP, **(files or {})}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def framework(root: Path) -> tuple[Framework, TimingPlugin]:
    """Build the project's Framework with a fresh timing plugin, as the entry point would."""
    plugin = TimingPlugin()
    return Framework(root, SCHEMA, plugins=[plugin]), plugin


def test_every_import_initialize_and_lifecycle_hook_is_timed(tmp_path: Path) -> None:
    fw, plugin = framework(make_project(tmp_path))

    with fw:
        recorded = [(t.kind, t.target, t.undo) for t in plugin.timings]

    assert recorded == [
        ("prepare", "", False),
        ("import", "blog.models", False),
        ("initialize", "blog.models", False),
        ("import", "blog.views", False),
        ("spoc_startup", "apps.blog", False),
        ("spoc_startup", fw.plugin_manager.get_name(plugin), False),
    ]


def test_shutdown_steps_are_recorded_as_undo_steps_in_reverse(tmp_path: Path) -> None:
    fw, plugin = framework(make_project(tmp_path))

    fw.startup().shutdown()

    undone = [(t.kind, t.target) for t in plugin.timings if t.undo]
    # Only steps with something to undo: the Schema has no shutdown hook, views no teardown().
    assert undone == [
        ("spoc_startup", "apps.blog"),
        ("import", "blog.views"),
        ("initialize", "blog.models"),
        ("import", "blog.models"),
        ("prepare", ""),
    ]


def test_each_step_records_the_label_spoc_gives_it(tmp_path: Path) -> None:
    fw, plugin = framework(make_project(tmp_path))

    with fw:
        labels = [t.label for t in plugin.timings]

    assert "import blog.models" in labels
    assert "blog.models.initialize()" in labels


def test_slowest_lists_the_startup_steps_longest_first(tmp_path: Path) -> None:
    fw, plugin = framework(make_project(tmp_path))

    with fw:
        ranked = plugin.slowest()
        top_two = plugin.slowest(2)

    durations = [t.seconds for t in ranked]
    assert durations == sorted(durations, reverse=True)
    assert len(ranked) == len([t for t in plugin.timings if not t.undo])
    assert top_two == ranked[:2]


def test_a_second_startup_forgets_the_first_ones_timings(tmp_path: Path) -> None:
    fw, plugin = framework(make_project(tmp_path))
    fw.startup().shutdown()

    fw.startup()

    assert [t.undo for t in plugin.timings] == [False] * 6
    fw.shutdown()


def test_a_failing_step_is_recorded_as_failed_and_its_error_still_stops_startup(tmp_path: Path) -> None:
    root = make_project(tmp_path, files={"apps/blog/views.py": "raise ValueError('bad view')\n"})
    fw, plugin = framework(root)

    with pytest.raises(SpocError, match=r"apps\.blog\.views"):
        fw.startup()

    failed = [(t.kind, t.target) for t in plugin.timings if t.failed]
    assert failed == [("import", "blog.views")]


def test_nothing_is_recorded_when_disabled(tmp_path: Path) -> None:
    fw, plugin = framework(make_project(tmp_path, "enabled = false\n"))

    fw.startup().shutdown()

    assert plugin.timings == []


def test_the_report_is_not_printed_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fw, _ = framework(make_project(tmp_path))

    fw.startup().shutdown()

    assert capsys.readouterr() == ("", "")


def test_report_true_prints_the_slowest_startup_steps_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fw, _ = framework(make_project(tmp_path, "report = true\nslowest = 3\n"))

    fw.startup()

    out, err = capsys.readouterr()
    heading, *rows = err.splitlines()
    assert out == ""
    assert heading.startswith("spoc-timing: the 3 slowest startup step(s), of 5 (")
    assert len(rows) == 3
    assert all(row.split()[1] == "ms" for row in rows)
    fw.shutdown()


def test_a_bad_value_or_a_misspelt_key_in_the_section_is_an_error_naming_them(tmp_path: Path) -> None:
    with pytest.raises(SpocError) as info:
        framework(make_project(tmp_path, "slowest = -1\nreprot = true\n"))

    message = str(info.value)
    assert "spoc.toml" in message
    assert "slowest" in message
    assert "reprot" in message


def test_astartup_records_the_steps_that_run_synchronously(tmp_path: Path) -> None:
    root = make_project(tmp_path, files={"apps/blog/views.py": "async def initialize():\n    pass\n"})
    fw, plugin = framework(root)

    async def run() -> None:
        async with fw:
            pass

    asyncio.run(run())

    kinds = [(t.kind, t.target) for t in plugin.timings if not t.undo]
    assert ("import", "blog.views") in kinds
    assert ("initialize", "blog.views") not in kinds


def test_timings_finds_the_plugin_of_a_framework(tmp_path: Path) -> None:
    fw, plugin = framework(make_project(tmp_path))

    with fw:
        assert find_plugin(fw) is plugin
        assert timings(fw) == plugin.timings


def test_timings_says_how_to_load_the_plugin_when_it_is_not_loaded(tmp_path: Path) -> None:
    fw = Framework(make_project(tmp_path), SCHEMA)

    with pytest.raises(LookupError, match="-p timing loads it"):
        timings(fw)


def test_a_plugin_registered_after_construction_uses_the_default_settings(tmp_path: Path) -> None:
    fw = Framework(make_project(tmp_path), SCHEMA)
    plugin = TimingPlugin()
    fw.plugin_manager.register(plugin, name="late-timing")

    with fw:
        assert [t.kind for t in plugin.timings][:2] == ["prepare", "import"]


# -- the report, from timings made up for the purpose -----------------------------------------------


def timing(target: str, milliseconds: float, *, undo: bool = False, failed: bool = False) -> StepTiming:
    return StepTiming("import", target, f"import {target}", undo, milliseconds / 1000, failed)


def test_the_report_shows_the_slowest_steps_aligned_longest_first() -> None:
    made_up = [timing("a.models", 1.0), timing("b.models", 12.5), timing("c.models", 3.0)]

    report = format_report(made_up, 2)

    assert report.splitlines() == [
        "spoc-timing: the 2 slowest startup step(s), of 3 (16.50 ms in all)",
        "  12.50 ms  import  b.models",
        "   3.00 ms  import  c.models",
    ]


def test_the_report_leaves_out_steps_under_the_threshold_and_undo_steps() -> None:
    made_up = [timing("a.models", 1.0), timing("b.models", 12.5), timing("c.models", 30.0, undo=True)]

    report = format_report(made_up, 5, threshold_ms=10)

    assert report.splitlines() == [
        "spoc-timing: the 1 slowest startup step(s) of at least 10 ms, of 2 (13.50 ms in all)",
        "  12.50 ms  import  b.models",
    ]


def test_the_report_marks_a_failed_step() -> None:
    report = format_report([timing("a.models", 2.0, failed=True)], 5)

    assert report.splitlines()[1] == "  2.00 ms  import (failed)  a.models"


def test_the_installed_distribution_declares_the_timing_entry_point() -> None:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("spoc-timing")
    except PackageNotFoundError:
        pytest.skip("spoc-timing is not installed (pip install -e plugins/spoc-timing)")

    [entry_point] = [ep for ep in dist.entry_points if ep.group == "spoc.plugins"]
    assert (entry_point.name, entry_point.value) == ("timing", "spoc_timing:TimingPlugin")
    assert entry_point.load() is TimingPlugin
