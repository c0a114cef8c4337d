"""One validation for every command: build as much of a project as can be built, and collect every problem.

``Framework(...)`` stops at the first problem, as a program should. The
commands want more: ``check`` reports every problem at once, and the listings
(``apps``, ``settings``, ``graph``, ``components``) show what they can and mark
what is broken. :func:`validate` builds the project's Framework as every
command does; when that fails, it validates the configuration on its own, then
builds the Framework again without the apps that are missing or fail to
import, and with broken installed plugins skipped (``plugin_errors = "warn"``),
until the rest stands or something else stops it. So every command finds the
same problems, through the same code.

A module that imports a broken module fails with the broken module's error
(Python runs it again): :class:`ImportFailures` reports such an error once, at
its source.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from spoc.errors import AppImportError, PluginLoadError, SpocError

if TYPE_CHECKING:
    from spoc.cli.context import CommandContext
    from spoc.framework import Framework
    from spoc.plugins.host import PluginRecord
    from spoc.settings.model import Settings
    from spoc.settings.project import Project

__all__ = ["NOT_FOUND", "NOT_IMPORTED", "ImportFailures", "Validation", "plugin_load_error", "validate"]

NOT_FOUND: Final = "not found"
NOT_IMPORTED: Final = "fails to import"


class ImportFailures:
    """The imports that failed in one run, so that each failure is reported once, at its source.

    The source of a failure is the innermost line of the project's own code in
    its traceback (for a ``SyntaxError``, the line it names), with the error
    itself. ``views.py`` importing a ``models.py`` that raises fails at the
    same line of ``models.py`` with the same error: one report. An import of
    an app that is missing (``apps.shop``) was reported as the missing app.
    """

    def __init__(self, base_dir: Path) -> None:
        self._root = str(base_dir) + os.sep
        self._sources: set[tuple[str, int, str]] = set()
        self._missing: set[str] = set()

    def missing_app(self, app: str) -> None:
        """Remember an app without a folder: importing it fails because of that, already reported."""
        self._missing.add(app)

    def first(self, error: BaseException) -> bool:
        """Record an import failure; return whether it is the first one from its source."""
        cause = error.__cause__ or error
        name = getattr(cause, "name", None) if isinstance(cause, ModuleNotFoundError) else None
        if name and any(name == f"apps.{app}" or name.startswith(f"apps.{app}.") for app in self._missing):
            return False
        source = (*self._where(cause, str(getattr(error, "path", ""))), f"{type(cause).__name__}: {cause}")
        if source in self._sources:
            return False
        self._sources.add(source)
        return True

    def _where(self, cause: BaseException, fallback: str) -> tuple[str, int]:
        if isinstance(cause, SyntaxError) and cause.filename:
            return cause.filename, cause.lineno or 0
        where = (fallback, 0)
        tb = cause.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.startswith(self._root):
                where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
            tb = tb.tb_next
        return where


@dataclass
class Validation:
    """A project as far as it could be built, and every problem found on the way.

    Attributes:
        project: what the configuration decided, as written (``None`` when the
            configuration is invalid).
        settings: the validated settings (without plugin sections when the
            Framework could not be built with every app).
        framework: the Framework, built without the ``broken_apps``; ``None``
            when it could not be built at all.
        problems: every problem, in the order found; installed plugins that
            failed to load are in :attr:`failed_plugins`.
        broken_apps: the apps left out, with why: :data:`NOT_FOUND` or :data:`NOT_IMPORTED`.
        imports: the import failures so far, for a startup that follows.
    """

    base_dir: Path
    project: Project | None = None
    settings: Settings | None = None
    framework: Framework | None = None
    problems: list[SpocError] = field(default_factory=list)
    broken_apps: dict[str, str] = field(default_factory=dict)
    imports: ImportFailures = field(init=False)

    def __post_init__(self) -> None:
        self.imports = ImportFailures(self.base_dir)

    @property
    def failed_plugins(self) -> list[PluginRecord]:
        """The installed plugins that failed to load, in the order found."""
        framework = self.framework
        return [record for record in framework.plugin_records if record.status == "failed"] if framework else []

    def errors(self) -> list[BaseException]:
        """Every problem, and each failed plugin unless the project skips broken ones (``plugin_errors = "warn"``)."""
        raising = self.project is not None and self.project.plugin_errors == "raise"
        return [*self.problems, *(plugin_load_error(record) for record in self.failed_plugins if raising)]


def plugin_load_error(record: PluginRecord) -> SpocError:
    """Return the error of an installed plugin that failed to load, chaining why."""
    if record.cause is None:
        return SpocError(f"plugin {record.name!r} failed to load: {record.error}")
    error = PluginLoadError(record.name, record.distribution, record.version, record.cause)
    error.__cause__ = record.cause
    return error


def validate(context: CommandContext) -> Validation:
    """Build the project's Framework with the command line's options, or as much of it as can be built."""
    base_dir = context.project_dir().resolve()
    try:
        framework = context.framework()
    except SpocError:
        pass  # found again below, with every other problem
    else:
        return Validation(base_dir, framework.project, framework.settings, framework)
    validation = Validation(base_dir)
    if _validate_configuration(context, validation):
        assert validation.project is not None  # validated
        with warnings.catch_warnings():
            if validation.project.plugin_errors == "raise":
                # Each broken plugin is an error of the validation, not a plugin skipped with a warning.
                from spoc.plugins.discovery import PluginFailedWarning

                warnings.simplefilter("ignore", PluginFailedWarning)
            _build_without_broken_apps(context, validation)
    return validation


def _validate_configuration(context: CommandContext, validation: Validation) -> bool:
    """Read and validate the configuration, order the modules, find missing apps; return whether to build."""
    from spoc.loader import AppLoader
    from spoc.resolver import import_order
    from spoc.schema import Schema
    from spoc.settings.loading import load_settings
    from spoc.settings.project import Project
    from spoc.settings.sources import ProjectSources

    given = context.settings()
    try:
        sources = ProjectSources.read(validation.base_dir, given, label=given.label)
        validation.settings = load_settings(sources)
        validation.project = project = Project.from_settings(validation.settings, sources)
    except SpocError as exc:
        validation.problems.append(exc)
        return False
    ordered = True
    try:
        import_order(
            Schema.from_table(project.schema, project.sources.origin_of), project.app_names, project.schema_origin()
        )
    except SpocError as exc:
        validation.problems.append(exc)
        ordered = False
    for missing in AppLoader(validation.base_dir).missing_apps(project.apps):
        validation.problems.append(missing)
        validation.broken_apps[missing.app] = NOT_FOUND
        validation.imports.missing_app(missing.app)
    return ordered


def _build_without_broken_apps(context: CommandContext, validation: Validation) -> None:
    """Build the Framework, leaving out each app that is missing or fails to import, until it stands."""
    assert validation.project is not None and validation.settings is not None  # validated before
    tolerance = {"plugin_errors": "warn"}  # valid as the project wrote it: now find every broken plugin
    while True:
        without = _without_apps(validation, validation.broken_apps)
        try:
            validation.framework = context.framework({**tolerance, **without})
            return
        except AppImportError as exc:
            if exc.app in validation.broken_apps or exc.app not in validation.project.app_names:
                validation.problems.append(exc)  # leaving it out did not help: stop here
                return
            validation.broken_apps[exc.app] = NOT_IMPORTED
            if validation.imports.first(exc):
                validation.problems.append(exc)
        except SpocError as exc:
            validation.problems.append(exc)
            return


def _without_apps(validation: Validation, apps: Iterable[str]) -> dict[str, Any]:
    """Return settings overrides that list every app of the configuration except ``apps``."""
    left_out = set(apps)
    if not left_out:
        return {}
    assert validation.project is not None and validation.settings is not None
    listed = validation.settings.apps
    overrides: dict[str, Any] = {
        "apps": {
            mode: [app for app in listed[mode] if app not in left_out]
            for mode in validation.project.cascade
            if mode in listed
        }
    }
    installed = validation.project.sources.names().get("INSTALLED_APPS")
    if installed is not None:
        overrides["INSTALLED_APPS"] = [app for app in installed if app not in left_out]
    return overrides
