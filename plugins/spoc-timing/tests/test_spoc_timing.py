"""spoc-timing on real projects in tmp_path: what it records, and when it reports.

The plugin is loaded as its users get it, through its installed entry point
(``pip install -e plugins/spoc-timing``; ``make test`` does), and only it:
the other plugins of the environment stay out. ``spoc.testing``'s fixtures
write each project, and shut every framework down and restore ``sys.path``
and the ``apps`` modules after each test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from spoc.errors import SpocError
from spoc.framework import Framework

from spoc_timing import StepTiming, TimingPlugin, find_plugin, format_report, timings

TOML = """
[spoc]
mode = "production"

[spoc.apps]
production = ["blog"]

[spoc.schema]
modules = ["models", "views"]

[spoc.schema.dependencies]
views = ["models"]
"""

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

Build = Callable[..., tuple[Framework, TimingPlugin]]


@pytest.fixture(autouse=True)
def _only_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load spoc-timing through its entry point, and no other installed plugin."""
    monkeypatch.setenv("SPOC_LOAD_PLUGINS", "timing")


@pytest.fixture
def build(spoc_project: Callable[..., Path], spoc_framework: Callable[..., Framework]) -> Build:
    """Return ``build(timing_table="", files=None)``: the constructed Framework of a one-app project, and its plugin.

    ``timing_table`` is the body of ``[spoc.timing]``; ``files`` replace the
    app's. The plugin is the instance the entry point loaded, found by name.
    """

    def build(timing_table: str = "", files: dict[str, str] | None = None) -> tuple[Framework, TimingPlugin]:
        toml = TOML + (f"\n[spoc.timing]\n{timing_table}" if timing_table else "")
        fw = spoc_framework(spoc_project({**APP, **(files or {})}, toml=toml), start=False)
        return fw, find_plugin(fw)

    return build


def test_every_import_initialize_and_lifecycle_hook_is_timed(build: Build) -> None:
    fw, plugin = build()

    with fw:
        recorded = [(t.kind, t.target, t.undo) for t in plugin.timings]

    assert recorded == [
        ("prepare", "", False),
        ("import", "blog.models", False),
        ("initialize", "blog.models", False),
        ("import", "blog.views", False),
        ("spoc_startup", "apps.blog", False),
        ("spoc_startup", "timing", False),
    ]


def test_shutdown_steps_are_recorded_as_undo_steps_in_reverse(build: Build) -> None:
    fw, plugin = build()

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


def test_each_step_records_the_label_spoc_gives_it(build: Build) -> None:
    fw, plugin = build()

    with fw:
        labels = [t.label for t in plugin.timings]

    assert "import blog.models" in labels
    assert "blog.models.initialize()" in labels


def test_slowest_lists_the_startup_steps_longest_first(build: Build) -> None:
    fw, plugin = build()

    with fw:
        ranked = plugin.slowest()
        top_two = plugin.slowest(2)

    durations = [t.seconds for t in ranked]
    assert durations == sorted(durations, reverse=True)
    assert len(ranked) == len([t for t in plugin.timings if not t.undo])
    assert top_two == ranked[:2]


def test_a_second_startup_forgets_the_first_ones_timings(build: Build) -> None:
    fw, plugin = build()
    fw.startup().shutdown()

    fw.startup()

    assert [t.undo for t in plugin.timings] == [False] * 6


def test_a_failing_step_is_recorded_as_failed_and_its_error_still_stops_startup(build: Build) -> None:
    fw, plugin = build(files={"apps/blog/views.py": "raise ValueError('bad view')\n"})

    with pytest.raises(SpocError, match=r"apps\.blog\.views"):
        fw.startup()

    failed = [(t.kind, t.target) for t in plugin.timings if t.failed]
    assert failed == [("import", "blog.views")]


def test_nothing_is_recorded_when_disabled(build: Build) -> None:
    fw, plugin = build("enabled = false\n")

    fw.startup().shutdown()

    assert plugin.timings == []


def test_the_report_is_not_printed_unless_asked(build: Build, capsys: pytest.CaptureFixture[str]) -> None:
    fw, _ = build()

    fw.startup().shutdown()

    assert capsys.readouterr() == ("", "")


def test_report_true_prints_the_slowest_startup_steps_to_stderr(
    build: Build, capsys: pytest.CaptureFixture[str]
) -> None:
    fw, _ = build("report = true\nslowest = 3\n")

    fw.startup()

    out, err = capsys.readouterr()
    heading, *rows = err.splitlines()
    assert out == ""
    assert heading.startswith("spoc-timing: the 3 slowest startup step(s), of 5 (")
    assert len(rows) == 3
    assert all(row.split()[1] == "ms" for row in rows)


def test_a_bad_value_or_a_misspelt_key_in_the_section_is_an_error_naming_them(build: Build) -> None:
    with pytest.raises(SpocError) as info:
        build("slowest = -1\nreprot = true\n")

    message = str(info.value)
    assert "spoc.toml" in message
    assert "slowest" in message
    assert "reprot" in message


def test_astartup_records_the_steps_that_run_synchronously(build: Build) -> None:
    fw, plugin = build(files={"apps/blog/views.py": "async def initialize():\n    pass\n"})

    async def run() -> None:
        async with fw:
            pass

    asyncio.run(run())

    kinds = [(t.kind, t.target) for t in plugin.timings if not t.undo]
    assert ("import", "blog.views") in kinds
    assert ("initialize", "blog.views") not in kinds


def test_the_plugin_is_found_under_its_entry_point_name(build: Build) -> None:
    fw, plugin = build()

    with fw:
        assert fw.plugin_manager.get_name(plugin) == "timing"
        assert timings(fw) == plugin.timings
        assert timings(fw) is not plugin.timings


def test_timings_says_how_to_load_the_plugin_when_it_is_not_loaded(
    spoc_project: Callable[..., Path], spoc_framework: Callable[..., Framework]
) -> None:
    fw = spoc_framework(spoc_project(APP, toml=TOML), start=False, disable_plugins=["timing"])

    with pytest.raises(LookupError, match="-p timing loads it"):
        timings(fw)


def test_a_plugin_registered_after_construction_uses_the_default_settings(
    spoc_project: Callable[..., Path], spoc_framework: Callable[..., Framework]
) -> None:
    fw = spoc_framework(spoc_project(APP, toml=TOML), start=False, disable_plugins=["timing"])
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
    from importlib.metadata import distribution

    [entry_point] = [ep for ep in distribution("spoc-timing").entry_points if ep.group == "spoc.plugins"]
    assert (entry_point.name, entry_point.value) == ("timing", "spoc_timing:TimingPlugin")
    assert entry_point.load() is TimingPlugin
