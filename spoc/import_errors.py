"""Explain an exception raised while an app's code was imported: where it is, what it is, how to fix it.

The loader turns every such exception into an :class:`~spoc.errors.AppImportError`
built here. It names the module whose file holds the failing statement (the
innermost frame inside the project's apps), so that a broken ``models.py``
imported by ``views.py`` is reported once, at its source; and its hint fits
the case: a package to install (by its distribution's name where that can be
known), a typo in an import of the project's own modules, a name a module
does not define, a circular import, or a line to fix.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Final

from spoc.errors import AppImportError, did_you_mean
from spoc.tracebacks import innermost, is_internal, syntax_excerpt

__all__ = ["KNOWN_DISTRIBUTIONS", "app_import_error"]

# Import names whose distribution on PyPI is named otherwise; only installed packages can be asked.
KNOWN_DISTRIBUTIONS: Final = {
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "docx": "python-docx",
    "dotenv": "python-dotenv",
    "git": "GitPython",
    "jwt": "PyJWT",
    "magic": "python-magic",
    "MySQLdb": "mysqlclient",
    "OpenSSL": "pyOpenSSL",
    "PIL": "Pillow",
    "serial": "pyserial",
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
    "yaml": "PyYAML",
    "zmq": "pyzmq",
}

_CANNOT_IMPORT: Final = re.compile(r"cannot import name '([^']+)'")


def app_import_error(exc: BaseException, *, module: str, path: Path, apps_dir: Path) -> AppImportError:
    """Return the error that reports ``exc``, raised while ``module`` (the file ``path``) was imported.

    Args:
        exc: what the import raised.
        module: the dotted module being imported, e.g. ``apps.blog.views``.
        path: its file.
        apps_dir: the project's ``apps`` folder; frames inside it are the user's.
    """

    def in_apps(filename: str) -> bool:
        return _inside(filename, apps_dir)

    file, line = path, None
    found = innermost(exc.__traceback__, in_apps)
    if isinstance(exc, SyntaxError) and exc.filename and in_apps(exc.filename):
        file, line = Path(exc.filename), exc.lineno
    elif found is not None:
        file, line = found
    package = module.split(".", 1)[0]
    app, source = _module_of(file, apps_dir, package) or (module.partition(".")[2].partition(".")[0], module)
    if source != module:
        path = file
    deepest = innermost(exc.__traceback__, lambda filename: not is_internal(filename))
    if isinstance(exc, SyntaxError) and exc.filename:
        deepest = (Path(exc.filename), exc.lineno or 0)
    raised_in = f"{deepest[0]}:{deepest[1]}" if deepest is not None and deepest[0] != file else ""
    return AppImportError(
        app,
        source,
        path,
        exc,
        line=line,
        hint=_hint(exc, file, apps_dir, package),
        raised_in=raised_in,
        excerpt=syntax_excerpt(exc) if isinstance(exc, SyntaxError) else "",
    )


def _inside(filename: str, folder: Path) -> bool:
    return filename.startswith(str(folder) + os.sep)


def _module_of(file: Path, apps_dir: Path, package: str) -> tuple[str, str] | None:
    """Return ``(app, dotted module)`` of a file under ``apps/``, or ``None`` for a file elsewhere."""
    try:
        parts = list(file.relative_to(apps_dir).with_suffix("").parts)
    except ValueError:
        return None
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts:
        return None
    return parts[0], ".".join([package, *parts])


def _hint(exc: BaseException, file: Path, apps_dir: Path, package: str) -> str:
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return _missing_module_hint(exc.name, file, apps_dir, package)
    if isinstance(exc, ImportError) and exc.name and _CANNOT_IMPORT.search(str(exc)):
        return _missing_name_hint(exc)
    return ""  # AppImportError's own hint for the kind of error


def _missing_module_hint(name: str, file: Path, apps_dir: Path, package: str) -> str:
    """Say whether a missing module is the project's own (a typo) or a package to install, and how to fix it."""
    top, _, _ = name.partition(".")
    if "." in name:
        return _missing_submodule_hint(name, apps_dir)
    if (apps_dir / top / "__init__.py").is_file():
        return (
            f"{top!r} is an app of this project, and apps are imported from the {package!r} package: "
            f"write 'from {package}.{top}...' (import {package}.{top}), not 'from {top}...'."
        )
    if file.parent != apps_dir and top in _module_names(file.parent):
        sibling = ".".join([package, *file.parent.relative_to(apps_dir).parts, top])
        return (
            f"{top!r} is a module next to {file.name}: import it by its full name "
            f"(from {sibling} import ...) or relatively (from .{top} import ...)."
        )
    distribution = KNOWN_DISTRIBUTIONS.get(top)
    if distribution is not None:
        return (
            f"The package {top!r} is not installed: install it with pip install {distribution} in the environment "
            f"that runs the project (the distribution that provides {top!r} is named {distribution!r})."
        )
    return (
        f"The package {top!r} is not installed: install it with pip install {top} in the environment that runs "
        f"the project (its distribution may be named differently from the import name {top!r})."
    )


def _missing_submodule_hint(name: str, apps_dir: Path) -> str:
    """Explain ``No module named 'a.b'``: a typo in the project's own modules, or a package that lacks it."""
    top, parent = name.partition(".")[0], name.rpartition(".")[0]
    folders = [Path(folder) for folder in getattr(sys.modules.get(parent), "__path__", [])]
    if any(_is_project_folder(folder, apps_dir) for folder in folders):
        candidates = [f"{parent}.{child}" for folder in folders for child in _module_names(folder)]
        return (
            f"The project has no module {name!r}{did_you_mean(name, candidates)}: "
            f"correct the import at that line, or create {_expected_file(name, folders[0])}."
        )
    distribution = _distribution_of(top)
    if distribution is None:
        return f"{top!r} has no module {name!r}: correct the import at that line."
    dist, version = distribution
    return (
        f"{top!r} is installed ({dist} {version}) but has no module {name!r}: correct the import at that line, "
        f"or upgrade {dist} (pip install --upgrade {dist}) if a newer version has it."
    )


def _missing_name_hint(exc: ImportError) -> str:
    """Suggest a name for ``from module import Name`` when the module lacks it, or explain a circular import."""
    module_name = exc.name or ""
    if "partially initialized module" in str(exc):
        return (
            f"{module_name!r} was still being imported when this line asked it for a name: a circular import. "
            "Import the name inside the function that uses it, or move what both modules need to a third one."
        )
    match = _CANNOT_IMPORT.search(str(exc))
    wanted = match.group(1) if match else ""
    names = [name for name in dir(sys.modules.get(module_name)) if not name.startswith("__")]
    return f"{module_name!r} defines no {wanted!r}{did_you_mean(wanted, names)}: correct the name at that line."


def _is_project_folder(folder: Path, apps_dir: Path) -> bool:
    # The apps, or a package of the project's own folder (not one installed into a virtual environment there).
    return folder == apps_dir or (_inside(str(folder), apps_dir.parent) and "-packages" not in str(folder))


def _module_names(folder: Path) -> list[str]:
    """Return the names importable from a folder: its modules and its packages."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    names = []
    for entry in entries:
        stem, suffix = os.path.splitext(entry.name)
        if entry.is_file() and suffix == ".py" and stem.isidentifier() and stem != "__init__":
            names.append(stem)
        elif entry.is_dir() and entry.name.isidentifier() and not entry.name.startswith("__"):
            names.append(entry.name)
    return sorted(names)


def _expected_file(name: str, folder: Path) -> str:
    return str(folder / f"{name.rpartition('.')[2]}.py")


def _distribution_of(top: str) -> tuple[str, str] | None:
    """Return the name and version of the installed distribution that provides the import name ``top``, if any."""
    from importlib import metadata

    names = metadata.packages_distributions().get(top) or []
    for name in names:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - listed but without metadata
            continue
    return None
