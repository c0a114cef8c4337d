"""Read a project's configuration: spoc.toml, the settings module, SPOC_MODE.

This module decides the parts of the configuration that shape the
application (mode, apps, schema, plugins); every value is checked, and all
problems found are reported together with the file and key to fix.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from spoc.errors import ConfigError, did_you_mean

__all__ = ["BUILTIN_MODES", "ProjectConfig", "find_settings_module", "find_toml_files", "load_project_config"]

BUILTIN_MODES: Final[dict[str, list[str]]] = {
    "development": ["development", "staging", "production"],
    "staging": ["staging", "production"],
    "production": ["production"],
}
DEFAULT_MODE: Final = "development"
MODE_VARIABLE: Final = "SPOC_MODE"
PLUGIN_ERROR_POLICIES: Final = ("raise", "warn")
_SETTINGS_DIRS: Final = ("config", "conf", ".")
_SETTINGS_NAMES: Final = ("settings", "config", "configuration")


def _is_str_list(value: Any) -> bool:
    # Tuples are welcome from the settings module; TOML only makes lists.
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _is_table_of_lists(value: Any) -> bool:
    return isinstance(value, dict) and all(_is_str_list(item) for item in value.values())


def _is_schema_table(value: Any) -> bool:
    if not isinstance(value, dict) or set(value) - {"modules", "dependencies"}:
        return False
    return _is_str_list(value.get("modules", [])) and _is_table_of_lists(value.get("dependencies", {}))


# Every key allowed directly under [spoc] that is not a plugin's section, with its check
# and the type it expects (said in errors).
_FIELDS: Final[dict[str, tuple[Callable[[Any], bool], str]]] = {
    "mode": (lambda v: isinstance(v, str), 'a string, e.g. mode = "production"'),
    "debug": (lambda v: isinstance(v, bool), "true or false"),
    "apps": (_is_table_of_lists, 'a table of lists of app names, e.g. production = ["blog"]'),
    "modes": (_is_table_of_lists, 'a table of mode cascades, e.g. test = ["test", "production"]'),
    "schema": (_is_schema_table, "a table with modules = [...] and [spoc.schema.dependencies]"),
    "plugins": (_is_table_of_lists, 'a table of lists of dotted paths, e.g. middleware = ["pkg.mod"]'),
    "disable_plugins": (_is_str_list, 'a list of plugin names, e.g. ["timing"]'),
    "plugin_errors": (lambda v: v in PLUGIN_ERROR_POLICIES, '"raise" or "warn"'),
}


@dataclass(frozen=True)
class ProjectConfig:
    """The validated core configuration of one project.

    Attributes:
        base_dir: the project folder.
        mode: the selected mode.
        cascade: the modes whose apps load, strongest first.
        apps: the apps to load in order, each with where it was listed.
        table: the merged ``[spoc]`` table (plugin sections included).
        module_settings: the UPPERCASE names of the settings module.
        toml_files: the spoc.toml files read, weakest first.
        settings_path: the settings module read, if any.
        key_files: for each ``[spoc]`` key, the file whose value is in force.
    """

    base_dir: Path
    mode: str
    cascade: list[str]
    apps: list[tuple[str, str]]
    table: dict[str, Any]
    module_settings: dict[str, Any] = field(default_factory=dict)
    toml_files: list[Path] = field(default_factory=list)
    settings_path: Path | None = None
    key_files: dict[str, Path] = field(default_factory=dict)

    def file_of(self, key: str) -> Path | None:
        """Return the spoc.toml file that set ``[spoc]`` key ``key`` last (the one in force)."""
        return self.key_files.get(key)

    @property
    def app_names(self) -> list[str]:
        """The app names in load order."""
        return [app for app, _ in self.apps]

    @property
    def module_plugins(self) -> dict[str, list[str]]:
        """The settings module's ``PLUGINS`` groups (checked when loading)."""
        value = self.module_settings.get("PLUGINS", {})
        return {group: list(uris) for group, uris in value.items()}

    @property
    def sections(self) -> dict[str, dict[str, Any]]:
        """The ``[spoc.<section>]`` tables that belong to plugins or apps."""
        return {key: value for key, value in self.table.items() if key not in _FIELDS and isinstance(value, dict)}


def find_toml_files(base_dir: Path) -> list[Path]:
    """Return the spoc.toml files of a project, weakest first (``config/`` wins)."""
    return [path for path in (base_dir / "spoc.toml", base_dir / "config" / "spoc.toml") if path.is_file()]


def find_settings_module(base_dir: Path) -> Path | None:
    """Return the project's settings module: ``config/``, ``conf/``, root; settings, config, configuration."""
    for folder in _SETTINGS_DIRS:
        for name in _SETTINGS_NAMES:
            for candidate in (base_dir / folder / f"{name}.py", base_dir / folder / name / "__init__.py"):
                if candidate.is_file():
                    return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - depends on the interpreter
        import tomli as tomllib
    try:
        with path.open("rb") as stream:
            document: dict[str, Any] = tomllib.load(stream)
            return document
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}. Fix the syntax at that line.", path=path) from exc


def _line_number(path: Path, key: str) -> int | None:
    """Return the line of the first ``key =`` in a TOML file (tomllib does not give it)."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _line_of(path: Path, key: str) -> str:
    """Return ``:LINE`` of the first ``key =`` in a TOML file, or nothing."""
    number = _line_number(path, key)
    return f":{number}" if number else ""


def _load_settings_module(path: Path) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("spoc_project_settings", path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for exotic paths
        raise ConfigError("cannot be imported as a Python module", path=path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ConfigError(
            f"the settings module raised {type(exc).__name__}: {exc}. See the chained traceback.", path=path
        ) from exc
    finally:
        sys.modules.pop(spec.name, None)
    return _uppercase_names(module)


def _uppercase_names(module: ModuleType) -> dict[str, Any]:
    return {name: value for name, value in vars(module).items() if name.isupper() and not name.startswith("_")}


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_table(table: Mapping[str, Any], where: str, path: Path | None, problems: list[str]) -> None:
    for key, value in table.items():
        check = _FIELDS.get(key)
        location = f"{path}{_line_of(path, key)}" if path is not None else where
        if check is None:
            if not isinstance(value, dict):
                problems.append(
                    f"{location}: unknown key 'spoc.{key}'{did_you_mean(key, _FIELDS)}; "
                    f"valid keys: {', '.join(_FIELDS)}"
                )
        elif not check[0](value):
            problems.append(f"{location}: 'spoc.{key}' = {value!r} is invalid: expected {check[1]}")


def _installed_apps(module_settings: Mapping[str, Any], path: Path | None, problems: list[str]) -> list[str]:
    value = module_settings.get("INSTALLED_APPS", [])
    if not _is_str_list(value):
        problems.append(f"{path}: INSTALLED_APPS = {value!r} is invalid: expected a list of app names")
        return []
    return list(value)


def _select_mode(
    table: Mapping[str, Any], overrides: Mapping[str, Any], modes: Mapping[str, list[str]], key_files: dict[str, Path]
) -> str:
    source_file: Path | None = None
    if "mode" in overrides:
        mode, source = overrides["mode"], "Framework(settings={'mode': ...})"
    elif os.environ.get(MODE_VARIABLE):
        mode, source = os.environ[MODE_VARIABLE], f"the environment variable {MODE_VARIABLE}"
    elif "mode" in table:
        source_file = key_files["mode"]
        mode, source = table["mode"], "spoc.mode"
    else:
        return DEFAULT_MODE
    if mode not in modes:
        raise ConfigError(
            f"unknown mode {mode!r} (from {source}){did_you_mean(str(mode), modes)}; "
            f"valid modes: {', '.join(modes)}. Declare others under [spoc.modes].",
            path=source_file,
            line=_line_number(source_file, "mode") if source_file else None,
            key="spoc.mode",
        )
    return str(mode)


def load_project_config(base_dir: Path, overrides: Mapping[str, Any] | None = None) -> ProjectConfig:
    """Read and check the project configuration of ``base_dir``.

    Args:
        base_dir: the project folder.
        overrides: the strongest source, ``Framework(settings=...)``.

    Raises:
        ConfigError: listing every problem found, each with its file and key.
    """
    overrides = dict(overrides or {})
    problems: list[str] = []

    settings_path = find_settings_module(base_dir)
    module_settings = _load_settings_module(settings_path) if settings_path else {}

    toml_files = find_toml_files(base_dir)
    table: dict[str, Any] = {}
    key_files: dict[str, Path] = {}
    for path in toml_files:
        document = _read_toml(path)
        spoc_table = document.get("spoc", {})
        if not isinstance(spoc_table, dict):
            problems.append(f"{path}: 'spoc' must be a table ([spoc]), got {spoc_table!r}")
            continue
        _check_table(spoc_table, str(path), path, problems)
        table = _merge(table, spoc_table)
        key_files.update(dict.fromkeys(spoc_table, path))
    _check_table(overrides, "Framework(settings=...)", None, problems)
    table = _merge(table, overrides)
    installed = _installed_apps(module_settings, settings_path, problems)
    if not _is_table_of_lists(module_settings.get("PLUGINS", {})):
        problems.append(
            f"{settings_path}: PLUGINS = {module_settings['PLUGINS']!r} is invalid: expected a dict of lists of "
            'dotted paths, e.g. PLUGINS = {"middleware": ["myproject.middleware"]}'
        )
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the configuration:\n  " + "\n  ".join(problems), key=None)

    modes = {**BUILTIN_MODES, **table.get("modes", {})}
    mode = _select_mode(table, overrides, modes, key_files)
    per_mode: dict[str, list[str]] = table.get("apps", {})
    for listed in per_mode:
        if listed not in modes:
            raise ConfigError(
                f"[spoc.apps] lists apps for unknown mode {listed!r}{did_you_mean(listed, modes)}; "
                f"valid modes: {', '.join(modes)}",
                path=key_files.get("apps"),
                key=f"spoc.apps.{listed}",
            )

    # The cascade is written strongest first; apps load base first (production's,
    # then staging's, then development's), as Django projects append debug apps.
    apps: dict[str, str] = {app: "INSTALLED_APPS" for app in installed}
    for cascade_mode in reversed(modes[mode]):
        for app in per_mode.get(cascade_mode, []):
            apps.setdefault(app, f"apps.{cascade_mode}")
    return ProjectConfig(
        base_dir=base_dir,
        mode=mode,
        cascade=list(modes[mode]),
        apps=list(apps.items()),
        table=table,
        module_settings=module_settings,
        toml_files=toml_files,
        key_files=key_files,
        settings_path=settings_path,
    )
