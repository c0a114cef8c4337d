"""The dry run behind ``python -m spoc check``: construct, start and stop, collecting every problem.

Construction goes through the validation every command uses
(:mod:`spoc.cli.validation`): every configuration problem, every missing
app, and the Framework built without the apps that are missing or fail to
import. A normal ``startup()`` stops at the first failing step; the dry run
registers a step runner that records a failure and goes on, so one run finds
every broken import, duplicate component and failing hook. A step that failed
is not undone at shutdown, as in a real startup. An import that fails is
reported once, at its source. Plugins and apps add their own checks through
the ``spoc_check`` hook.
"""

from __future__ import annotations

import contextlib
import inspect
import time
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from spoc.checks import Problem
from spoc.errors import (
    AppImportError,
    AppNotFoundError,
    AsyncHookError,
    ConfigError,
    CycleError,
    DuplicateComponentError,
    HookValidationError,
    ModuleMissingError,
    PluginHookError,
    PluginLoadError,
    PluginOrderError,
    ShutdownError,
    SpocError,
    SpocWarning,
)
from spoc.markers import hookimpl

if TYPE_CHECKING:
    from spoc.cli.context import CommandContext
    from spoc.cli.validation import ImportFailures
    from spoc.framework import Framework
    from spoc.lifecycle import Step

__all__ = ["CheckReport", "StepDuration", "dry_run", "started_tolerantly", "step_failed"]

RUNNER_NAME: Final = "spoc.check"
# A non-None result ends the firstresult chain of spoc_run_step before the built-in runner.
_DONE: Final = object()

Failed = Callable[[str, BaseException], None]
"""Told of each failure: its area (``import``, ``startup``, ``shutdown``) and the error."""


@dataclass(frozen=True)
class StepDuration:
    """How long one lifecycle step (or its undo) took in the dry run."""

    kind: str
    label: str
    seconds: float


@dataclass
class CheckReport:
    """What the dry run found.

    Attributes:
        causes: the exception behind a problem, when there is one (``--traceback`` shows it).
        notes: what the reader should know that is no problem, e.g. that no module was imported.
    """

    problems: list[Problem] = field(default_factory=list)
    timings: list[StepDuration] = field(default_factory=list)
    causes: dict[Problem, BaseException] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    apps: int = 0
    modules: int = 0
    plugins: int = 0

    @property
    def errors(self) -> list[Problem]:
        """The problems that make ``check`` fail."""
        return [problem for problem in self.problems if problem.level == "error"]

    def add(self, problem: Problem, cause: BaseException | None = None) -> None:
        """Add a problem once, however many phases find it."""
        if problem not in self.problems:
            self.problems.append(problem)
            if cause is not None:
                self.causes[problem] = cause

    def failed(self, area: str, error: BaseException) -> None:
        """Add the problems of an error: one per line of a configuration error, one per error of a group."""
        for problem in problems_of(error, area):
            self.add(problem, error)


def _area_of(exc: BaseException, default: str) -> str:
    areas: list[tuple[type[BaseException], str]] = [
        (ConfigError, "config"),
        (CycleError, "schema"),
        (AppNotFoundError, "apps"),
        (ModuleMissingError, "modules"),
        (DuplicateComponentError, "components"),
        (HookValidationError, "plugins"),
        (PluginLoadError, "plugins"),
        (PluginOrderError, "plugins"),
        (PluginHookError, "plugins"),
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


def step_failed(label: str, exc: BaseException) -> SpocError:
    """Return the error of a lifecycle step that raised: SPOC's errors name the step already, a user's needs it said."""
    if isinstance(exc, SpocError):
        return exc
    error = SpocError(f"`{label}` failed: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


class TolerantRunner:
    """A ``spoc_run_step`` implementation that records a failing step and lets the start go on."""

    def __init__(self, failed: Failed, imports: ImportFailures) -> None:
        self.failed = failed
        self.imports = imports
        self._failed: set[int] = set()

    @hookimpl(tryfirst=True)
    def spoc_run_step(self, step: Step, undo: bool) -> object:
        """Run the step; on failure record the error and return as if it had succeeded."""
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
            if isinstance(exc, AppImportError) and not self.imports.first(exc):
                return _DONE  # the import of a module that failed already, reported at its source
            area = "shutdown" if undo else "import" if step.kind == "import" else "startup"
            self.failed(area, step_failed(label, exc))
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


@contextlib.contextmanager
def started_tolerantly(
    framework: Framework, failed: Failed, imports: ImportFailures, *helpers: object
) -> Iterator[bool]:
    """Start ``framework``, recording each failing step and going on; stop it likewise on leaving.

    Yields whether it started (``False`` only when startup refused to begin,
    e.g. an ``async def`` hook). ``helpers`` are more ``spoc_run_step``
    implementations registered for the while, such as a :class:`StepTimer`.
    """
    manager = framework.plugin_manager
    registered = [TolerantRunner(failed, imports), *helpers]
    for index, helper in enumerate(registered):
        manager.register(helper, name=f"{RUNNER_NAME}.{index}")
    try:
        try:
            framework.startup()
        except SpocError as exc:
            failed("startup", exc)
            yield False
            return
        try:
            yield True
        finally:
            try:
                framework.shutdown()
            except SpocError as exc:
                failed("shutdown", exc)
    finally:
        for helper in registered:
            manager.unregister(helper)


def _plugin_problems(framework: Framework, report: CheckReport) -> None:
    for record in framework.plugin_records:
        if record.status == "failed":
            dist = f" ({record.distribution} {record.version})" if record.distribution else ""
            problem = Problem(
                "plugins",
                f"plugin {record.name!r}{dist} failed to load: {record.error}",
                hint=f"upgrade or uninstall it, or disable it with '-p no:{record.name}'",
            )
            report.add(problem, record.cause)


def _contributed(framework: Framework, report: CheckReport) -> None:
    """Call each ``spoc_check`` implementation on its own, inside the hook's wrappers; one that raises is a problem."""
    host = framework.plugin_host
    impls = framework.hook.spoc_check.get_hookimpls()
    for impl in [impl for impl in impls if not (impl.wrapper or impl.hookwrapper)]:
        try:
            result = host.call_plugin("spoc_check", impl, framework=framework)
        except PluginHookError as error:
            report.add(Problem("check", str(error)), error)
            continue
        except SpocError as exc:
            report.failed("check", exc)
            continue
        for item in result or ():
            if isinstance(item, Problem):
                report.add(item)
            elif isinstance(item, str):
                report.add(Problem(impl.plugin_name, item))
            else:
                report.add(
                    Problem(
                        "check",
                        f"spoc_check of {host.describe_impl(impl)} returned {item!r}",
                        hint="return a list of spoc.checks.Problem or of strings",
                    )
                )


def no_module_kinds(framework: Framework) -> str | None:
    """Say why no module of the project's apps is imported, when it declares no module kinds."""
    if framework.schema.modules or not framework.installed_apps:
        return None
    toml = framework.project.sources.toml
    where = toml[0].path if toml else framework.base_dir / "spoc.toml"
    return (
        f"no module of the apps was imported (only their packages): {where} declares no module kinds. "
        'Declare them under [spoc.schema], e.g. modules = ["models", "views"]; the command line does not see '
        "a Schema passed to Framework(...) in code."
    )


def dry_run(context: CommandContext, *, timed: bool = False) -> CheckReport:
    """Construct, start and stop a project, collecting every problem instead of stopping at the first.

    Args:
        context: the command line's options (project, mode, plugins).
        timed: also time every lifecycle step.
    """
    from spoc.plugins.discovery import PluginFailedWarning

    report = CheckReport()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SpocWarning)
        validation = context.validate()
    for error in validation.problems:
        report.failed("construct", error)
    for warning in caught:
        if not issubclass(warning.category, SpocWarning):
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
        elif not issubclass(warning.category, PluginFailedWarning):  # reported as the plugin's problem below
            report.add(Problem("config", str(warning.message), level="warning"))
    framework = validation.framework
    if framework is None:
        return report
    _plugin_problems(framework, report)
    report.apps = len(framework.installed_apps)
    loaded = [record for record in framework.plugin_records if record.status == "active"]
    report.plugins = sum(record.source in ("entrypoint", "configured") for record in loaded)
    why = no_module_kinds(framework)
    if why is not None:
        report.notes.append(why)
    helpers = [StepTimer(report)] if timed else []
    with started_tolerantly(framework, report.failed, validation.imports, *helpers) as started:
        if started:
            report.modules = len(framework.modules)
            _contributed(framework, report)
    return report
