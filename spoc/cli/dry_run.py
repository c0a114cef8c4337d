"""The dry run behind ``python -m spoc check``: construct, start and stop, collecting every problem.

A normal ``startup()`` stops at the first failing step. The dry run registers
a step runner that records a failure and goes on, so one run finds every
broken import, duplicate component and failing hook; a step that failed is
not undone at shutdown, as in a real startup. Plugins and apps add their own
checks through the ``spoc_check`` hook.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from spoc.checks import Problem
from spoc.errors import (
    AppImportError,
    AsyncHookError,
    ConfigError,
    DuplicateComponentError,
    HookValidationError,
    ModuleMissingError,
    PluginLoadError,
    PluginOrderError,
    ShutdownError,
    SpocError,
    SpocWarning,
)
from spoc.markers import hookimpl
from spoc.settings.sources import Overrides

if TYPE_CHECKING:
    from spoc.framework import Framework
    from spoc.lifecycle import Step

__all__ = ["CheckReport", "StepDuration", "dry_run"]

RUNNER_NAME: Final = "spoc.check"
# A non-None result ends the firstresult chain of spoc_run_step before the built-in runner.
_DONE: Final = object()


@dataclass(frozen=True)
class StepDuration:
    """How long one lifecycle step (or its undo) took in the dry run."""

    kind: str
    label: str
    seconds: float


@dataclass
class CheckReport:
    """What the dry run found."""

    problems: list[Problem] = field(default_factory=list)
    timings: list[StepDuration] = field(default_factory=list)
    apps: int = 0
    modules: int = 0
    plugins: int = 0

    @property
    def errors(self) -> list[Problem]:
        """The problems that make ``check`` fail."""
        return [problem for problem in self.problems if problem.level == "error"]

    def add(self, problem: Problem) -> None:
        """Add a problem once, however many phases find it."""
        if problem not in self.problems:
            self.problems.append(problem)


def _area_of(exc: BaseException, default: str) -> str:
    areas: list[tuple[type[BaseException], str]] = [
        (ConfigError, "config"),
        (ModuleMissingError, "modules"),
        (DuplicateComponentError, "components"),
        (HookValidationError, "plugins"),
        (PluginLoadError, "plugins"),
        (PluginOrderError, "plugins"),
        (AppImportError, "import"),
        (AsyncHookError, "startup"),
    ]
    return next((area for kind, area in areas if isinstance(exc, kind)), default)


def problems_of(exc: BaseException, area: str) -> list[Problem]:
    """Turn an error into problems: one per line of a configuration error, one per error of a group."""
    if isinstance(exc, ShutdownError):
        return [problem for inner in exc.exceptions for problem in problems_of(inner, "shutdown")]
    message = str(exc) if isinstance(exc, SpocError) else f"{type(exc).__name__}: {exc}"
    head, *details = message.split("\n  ")
    if isinstance(exc, ConfigError) and details:
        return [Problem("config", detail.strip()) for detail in details]
    return [Problem(_area_of(exc, area), message if not details else f"{head} {'; '.join(details)}")]


class TolerantRunner:
    """A ``spoc_run_step`` implementation that records a failing step and lets the dry run go on."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        self._failed: set[int] = set()

    @hookimpl(tryfirst=True)
    def spoc_run_step(self, step: Step, undo: bool) -> object:
        """Run the step; on failure record a problem and return as if it had succeeded."""
        if undo and id(step) in self._failed:
            return _DONE  # a step that failed did nothing to undo
        action = step.undo if undo else step.run
        label = step.undo_label if undo else step.label
        try:
            result = None if action is None else action()
            if inspect.isawaitable(result):
                code = getattr(result, "cr_code", None)
                if inspect.iscoroutine(result):
                    result.close()
                where = f"{code.co_filename}:{code.co_firstlineno}" if code else "unknown location"
                raise AsyncHookError(label, where)
        except Exception as exc:  # noqa: BLE001 - the dry run reports every failure and goes on
            self._failed.add(id(step))
            area = "shutdown" if undo else "import" if step.kind == "import" else "startup"
            # SPOC's errors name the step already; a user's exception needs it said.
            prefix = "" if isinstance(exc, SpocError) else f"`{label}` failed: "
            for problem in problems_of(exc, area):
                self.report.add(Problem(problem.area, prefix + problem.message))
        return _DONE


class StepTimer:
    """A ``wrapper=True`` ``spoc_run_step`` implementation that times every step and undo."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report

    @hookimpl(wrapper=True)
    def spoc_run_step(self, step: Step, undo: bool) -> Generator[None, Any, Any]:
        """Time the step, whatever it does."""
        began = time.perf_counter()
        try:
            return (yield)
        finally:
            elapsed = time.perf_counter() - began
            kind = "undo" if undo else step.kind
            self.report.timings.append(StepDuration(kind, step.undo_label if undo else step.label, elapsed))


def _plugin_problems(framework: Framework) -> Iterator[Problem]:
    for record in framework.plugin_records:
        if record.status == "failed":
            dist = f" ({record.distribution} {record.version})" if record.distribution else ""
            yield Problem(
                "plugins",
                f"plugin {record.name!r}{dist} failed to load: {record.error}",
                hint=f"upgrade or uninstall it, or disable it with '-p no:{record.name}'",
            )


def _contributed(framework: Framework, report: CheckReport) -> None:
    """Call each ``spoc_check`` implementation on its own, so one that raises cannot hide the others."""
    manager = framework.plugin_manager
    impls = framework.hook.spoc_check.get_hookimpls()
    for impl in impls:
        others = [other.plugin for other in impls if other is not impl]
        try:
            results = manager.subset_hook_caller("spoc_check", remove_plugins=others)(framework=framework)
        except Exception as exc:  # noqa: BLE001 - a broken check is itself a problem
            report.add(
                Problem("check", f"spoc_check of plugin {impl.plugin_name!r} raised {type(exc).__name__}: {exc}")
            )
            continue
        for result in results:
            for item in result or ():
                if isinstance(item, Problem):
                    report.add(item)
                elif isinstance(item, str):
                    report.add(Problem(impl.plugin_name, item))
                else:
                    report.add(
                        Problem(
                            "check",
                            f"spoc_check of plugin {impl.plugin_name!r} returned {item!r}",
                            hint="return a list of spoc.checks.Problem or of strings",
                        )
                    )


def _static_problems(base_dir: Path, settings: dict[str, Any], report: CheckReport) -> None:
    """Find what stops construction (configuration, missing apps, a cycle), every one of them."""
    from spoc.loader import AppLoader
    from spoc.resolver import import_order
    from spoc.schema import Schema
    from spoc.settings.loading import load_settings
    from spoc.settings.project import Project
    from spoc.settings.sources import Overrides, ProjectSources

    label = settings.label if isinstance(settings, Overrides) else "Framework(settings=...)"
    try:
        sources = ProjectSources.read(base_dir, settings, label=label)
        project = Project.from_settings(load_settings(sources), sources)
        schema = Schema.from_table(project.schema)
    except SpocError as exc:
        for problem in problems_of(exc, "config"):
            report.add(problem)
        return
    try:
        import_order(schema, project.app_names, project.schema_origin())
    except SpocError as exc:
        report.add(Problem("schema", str(exc)))
    for missing in AppLoader(base_dir).missing_apps(project.apps):
        report.add(Problem("apps", str(missing)))


def dry_run(
    base_dir: Path, build: Callable[[dict[str, Any]], Framework], settings: dict[str, Any], *, timed: bool = False
) -> CheckReport:
    """Construct, start and stop a project, collecting every problem instead of stopping at the first.

    Args:
        base_dir: the project folder.
        build: builds the Framework from settings overrides (the CLI's global options).
        settings: the settings overrides, e.g. the mode.
        timed: also time every lifecycle step.
    """
    report = CheckReport()
    label = settings.label if isinstance(settings, Overrides) else "Framework(settings=...)"
    settings = Overrides({**settings, "plugin_errors": "warn"}, label)
    _static_problems(base_dir, settings, report)
    if report.errors:
        return report  # construction would stop at the first of these
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SpocWarning)
            framework = build(settings)
    except SpocError as exc:
        for problem in problems_of(exc, "construct"):
            report.add(problem)
        return report
    failed = {record.name for record in framework.plugin_records if record.status == "failed"}
    for warning in caught:
        text = str(warning.message)
        if not any(f"plugin {name!r}" in text for name in failed):
            report.add(Problem("config", text, level="warning"))
    for problem in _plugin_problems(framework):
        report.add(problem)
    report.apps = len(framework.installed_apps)
    loaded = [record for record in framework.plugin_records if record.status == "active"]
    report.plugins = sum(record.source in ("entrypoint", "configured") for record in loaded)
    _start_check_stop(framework, report, timed=timed)
    return report


def _start_check_stop(framework: Framework, report: CheckReport, *, timed: bool) -> None:
    manager = framework.plugin_manager
    helpers: list[object] = [TolerantRunner(report)]
    if timed:
        helpers.append(StepTimer(report))
    for index, helper in enumerate(helpers):
        manager.register(helper, name=f"{RUNNER_NAME}.{index}")
    try:
        try:
            framework.startup()
        except SpocError as exc:
            for problem in problems_of(exc, "startup"):
                report.add(problem)
            return
        report.modules = len(framework.modules)
        _contributed(framework, report)
        try:
            framework.shutdown()
        except SpocError as exc:
            for problem in problems_of(exc, "shutdown"):
                report.add(problem)
    finally:
        for helper in helpers:
            manager.unregister(helper)
