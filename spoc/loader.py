"""Find a project's apps and import their packages and modules.

Apps live under ``<base_dir>/apps`` and are imported as ``apps.<app>`` and
``apps.<app>.<module>``. The ``apps`` package is bound to this project's
folder, so two projects in one process (tests) never see each other's apps.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Final

from spoc.errors import AppImportError, AppNotFoundError, ModuleMissingError
from spoc.import_errors import app_import_error

if TYPE_CHECKING:
    from spoc.settings.modes import ListedApp

__all__ = ["APPS_PACKAGE", "AppLoader", "AppPackage"]

APPS_PACKAGE: Final = "apps"


@dataclass(frozen=True)
class AppPackage:
    """An app's imported package (``apps/blog/__init__.py``) and its own hookspecs module, if it has one."""

    app: str
    package: ModuleType
    hookspecs: ModuleType | None


logger = logging.getLogger("spoc.loader")


class AppLoader:
    """Imports the apps of one project folder."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.apps_dir = base_dir / APPS_PACKAGE
        self._imported: set[str] = set()
        self._packages: dict[str, ModuleType] = {}

    def available_apps(self) -> list[str]:
        """Return the app folders under ``apps/``, sorted."""
        if not self.apps_dir.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.apps_dir.iterdir()
            if entry.is_dir() and entry.name.isidentifier() and not entry.name.startswith("_")
        )

    def missing_apps(self, apps: Sequence[ListedApp]) -> list[AppNotFoundError]:
        """Return an error for each listed app without a folder under ``apps/``, naming where it is listed."""
        try:
            with os.scandir(self.apps_dir) as entries:
                folders = {entry.name for entry in entries if entry.is_dir()}
        except OSError:
            folders = set()
        available = self.available_apps()
        return [
            AppNotFoundError(app.name, self.apps_dir, available, app.where()) for app in apps if app.name not in folders
        ]

    def check_apps(self, apps: Sequence[ListedApp]) -> None:
        """Raise :class:`AppNotFoundError` for the first listed app without a folder."""
        missing = self.missing_apps(apps)
        if missing:
            raise missing[0]

    def import_apps(self, apps: Sequence[str]) -> list[AppPackage]:
        """Bind the project, then import each app's package and its hookspecs module, in load order."""
        self.bind()
        return [AppPackage(app, self.import_app(app), self.import_hookspecs(app)) for app in apps]

    def module_file(self, app: str, kind: str) -> Path:
        """Return the file of ``app``'s ``kind`` module: ``kind.py``, or ``kind/__init__.py`` if that exists."""
        package = self.apps_dir / app / kind / "__init__.py"
        return package if package.is_file() else self.apps_dir / app / f"{kind}.py"

    def bind(self) -> None:
        """Make ``import apps.x`` resolve inside this project, and its root importable."""
        # Files written since the last import (a fixed module, a new app) must be seen.
        importlib.invalidate_caches()
        root = str(self.base_dir)
        if root in sys.path:
            sys.path.remove(root)
        sys.path.insert(0, root)
        current = sys.modules.get(APPS_PACKAGE)
        if current is not None and list(getattr(current, "__path__", [])) == [str(self.apps_dir)]:
            return
        for name in [n for n in sys.modules if n == APPS_PACKAGE or n.startswith(APPS_PACKAGE + ".")]:
            del sys.modules[name]
        self._imported.clear()
        init = self.apps_dir / "__init__.py"
        if init.is_file():
            spec = importlib.util.spec_from_file_location(
                APPS_PACKAGE, init, submodule_search_locations=[str(self.apps_dir)]
            )
        else:
            spec = importlib.machinery.ModuleSpec(APPS_PACKAGE, None, is_package=True)
            spec.submodule_search_locations = [str(self.apps_dir)]
        if spec is None:  # pragma: no cover - only for exotic paths
            raise ImportError(f"cannot create the {APPS_PACKAGE!r} package for {self.apps_dir}")
        package = importlib.util.module_from_spec(spec)
        sys.modules[APPS_PACKAGE] = package
        if spec.loader is not None:
            try:
                spec.loader.exec_module(package)
            except BaseException:
                del sys.modules[APPS_PACKAGE]
                raise
        # Another project held the name meanwhile: this one's app packages come back as
        # they were imported (their hookimpls are registered), not executed again.
        for app, app_package in self._packages.items():
            sys.modules[app_package.__name__] = app_package
            setattr(package, app, app_package)

    def import_app(self, app: str) -> ModuleType:
        """Import an app's package (``apps/<app>/__init__.py``)."""
        name = f"{APPS_PACKAGE}.{app}"
        try:
            package = importlib.import_module(name)
        except Exception as exc:
            raise self._error(exc, name, self.apps_dir / app / "__init__.py") from exc
        self._packages[app] = package
        return package

    def import_hookspecs(self, app: str) -> ModuleType | None:
        """Import ``apps/<app>/hookspecs.py``, an app's own hook specifications, if it has one."""
        path = os.path.join(self.apps_dir, app, "hookspecs.py")
        if not os.path.isfile(path):
            return None
        name = f"{APPS_PACKAGE}.{app}.hookspecs"
        try:
            return importlib.import_module(name)
        except Exception as exc:
            raise self._error(exc, name, Path(path)) from exc

    def import_module(self, app: str, kind: str, *, strict: bool) -> ModuleType | None:
        """Import ``app``'s ``kind`` module; ``None`` if it is missing and not ``strict``.

        Raises:
            ModuleMissingError: the module has no file and ``strict`` is true.
            AppImportError: the module exists but raised while being imported.
        """
        # Imported straight away, as the plain import it replaces would be: looking for
        # the file first would cost more than the import. A module is missing when the
        # import says that very name is not found, or finds only a folder with no code.
        name = f"{APPS_PACKAGE}.{app}.{kind}"
        fresh = name not in sys.modules
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise self._error(exc, name, self.module_file(app, kind)) from exc
            module = None
        except Exception as exc:
            raise self._error(exc, name, self.module_file(app, kind)) from exc
        if module is not None and getattr(module, "__file__", None) is None:  # a namespace package
            if fresh:
                del sys.modules[name]
            module = None
        if module is None:
            expected = self.apps_dir / app / f"{kind}.py"
            if strict:
                raise ModuleMissingError(app, kind, expected)
            logger.info("skipping %s.%s: %s does not exist (strict=False)", app, kind, expected)
            return None
        if fresh:
            self._imported.add(name)
        return module

    def _error(self, exc: BaseException, module: str, path: Path) -> AppImportError:
        """Return the error that reports ``exc``, at the statement of the project's code that raised it."""
        return app_import_error(exc, module=module, path=path, apps_dir=self.apps_dir)

    def forget(self, app: str, kind: str) -> None:
        """Drop a module this loader imported from ``sys.modules``.

        Undoing an import this way means the next startup runs the module's
        current code: fix a file after a failed startup, and start again.
        """
        name = f"{APPS_PACKAGE}.{app}.{kind}"
        if name not in self._imported:
            return
        self._imported.discard(name)
        module = sys.modules.pop(name, None)
        if hasattr(module, "__path__"):  # a package: its submodules go too
            for key in [key for key in sys.modules if key.startswith(name + ".")]:
                del sys.modules[key]
