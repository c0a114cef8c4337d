"""The plugin: a ``spoc_run_step`` wrapper that times each step, and the report at startup's end.

The entry point names the class, so each Framework gets its own instance and
its own measurements; two frameworks in one process never mix their data.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Final

import spoc

from spoc_timing.records import StepTiming, format_report, slowest

if TYPE_CHECKING:
    from spoc.framework import Framework

    from spoc_timing.settings import TimingSettings

__all__ = ["NAME", "SECTION", "TimingPlugin", "find_plugin", "timings"]

# The entry point's name in pyproject.toml: SPOC registers the plugin under it.
NAME: Final = "timing"
SECTION: Final = "timing"


class TimingPlugin:
    """Time every lifecycle step: module imports, Schema hooks, ``initialize()``, lifecycle hooks, undos.

    Attributes:
        timings: the steps of the latest startup (and of the shutdown after
            it), in the order they finished.
    """

    def __init__(self) -> None:
        self.timings: list[StepTiming] = []

    @spoc.hookimpl
    def spoc_load_settings(self) -> dict[str, Any]:
        """Declare ``[spoc.timing]``."""
        from spoc_timing.settings import TimingSettings

        return {SECTION: TimingSettings}

    # tryfirst: the outermost wrapper, so that the time includes every other wrapper.
    @spoc.hookimpl(wrapper=True, tryfirst=True)
    def spoc_run_step(self, framework: Framework, step: spoc.Step, undo: bool) -> Generator[None, Any, Any]:
        """Measure one step, or its undo, and record it."""
        if not _settings(framework).enabled:
            return (yield)
        if step.kind == "prepare" and not undo:
            # Each startup begins with the `prepare` step: forget the previous run.
            self.timings.clear()
        started, failed = time.perf_counter(), True
        try:
            result = yield
            failed = False
        finally:
            elapsed = time.perf_counter() - started
            # Under astartup() a step may return an awaitable: the time to create it means nothing.
            if failed or not inspect.isawaitable(result):
                self.timings.append(StepTiming(step.kind, step.target, step.label, undo, elapsed, failed))
        return result

    # trylast: the report comes after the other plugins' and the apps' spoc_startup.
    @spoc.hookimpl(trylast=True)
    def spoc_startup(self, framework: Framework) -> None:
        """Print the slowest startup steps when ``[spoc.timing] report = true``."""
        settings = _settings(framework)
        if settings.enabled and settings.report:
            print(format_report(self.timings, settings.slowest, settings.threshold_ms), file=sys.stderr)

    def slowest(self, count: int | None = None) -> list[StepTiming]:
        """Return the slowest startup steps, slowest first; all of them when ``count`` is ``None``."""
        startup = [timing for timing in self.timings if not timing.undo]
        return slowest(startup, len(startup) if count is None else count)


def _settings(framework: Framework) -> TimingSettings:
    """Return ``[spoc.timing]``; the defaults when the plugin was registered after settings were read."""
    try:
        section: TimingSettings = framework.settings.section(SECTION)
    except KeyError:
        from spoc_timing.settings import TimingSettings

        return TimingSettings()
    return section


def find_plugin(framework: Framework) -> TimingPlugin:
    """Return the framework's timing plugin, registered under its entry point's name.

    SPOC registers an entry-point plugin under the entry point's name, the one
    users block with ``-p no:timing``: asking pluggy for that name is exact,
    where scanning every plugin for an instance of this class would also find
    a second copy registered by hand.

    Raises:
        LookupError: spoc-timing is not loaded in this framework (blocked, or autoload off).
    """
    plugin = framework.plugin_manager.get_plugin(NAME)
    if not isinstance(plugin, TimingPlugin):
        raise LookupError(
            f"spoc-timing is not loaded in this framework: is it installed, and not blocked by "
            f"disable_plugins, -p no:{NAME} or SPOC_DISABLE_PLUGIN_AUTOLOAD? (-p {NAME} loads it)"
        )
    return plugin


def timings(framework: Framework) -> list[StepTiming]:
    """Return what the framework's timing plugin measured, in the order the steps finished."""
    return list(find_plugin(framework).timings)
