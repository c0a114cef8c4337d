"""Decide a project's configuration from all its sources, strongest first.

Sources: ``Framework(settings=...)``, ``SPOC_*`` variables, the ``.env`` file,
the per-mode file (``config/.env/<mode>.toml``), ``spoc.toml`` (``config/``
wins), the settings module, defaults. This module merges them, picks the mode
and the apps, and validates the core keys; every problem found is reported
together, each with the file and line or the variable to fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any, Final

from spoc.errors import did_you_mean
from spoc.settings.core_keys import CORE_KEYS, validate_core
from spoc.settings.layers import (
    CONTROL_VARIABLES,
    ENV_PREFIX,
    STRING_SOURCES,
    Layer,
    Origin,
    Path_,
    Problem,
    merge,
    origin_for,
    raise_problems,
    unflatten,
)
from spoc.settings.model import SpocSettings
from spoc.settings.sources import (
    argument_layer,
    dotenv_layer,
    environment_layer,
    find_mode_files,
    find_settings_module,
    find_toml_files,
    load_settings_module,
    mode_file_layer,
    module_layer,
    python_line,
    read_toml,
    toml_layer,
)

__all__ = ["BUILTIN_MODES", "ProjectConfig", "find_settings_module", "find_toml_files", "load_project_config"]

BUILTIN_MODES: Final[dict[str, list[str]]] = {
    "development": ["development", "staging", "production"],
    "staging": ["staging", "production"],
    "production": ["production"],
}
DEFAULT_MODE: Final = "development"
MODE_VARIABLE: Final = "SPOC_MODE"
# ProjectConfig's fields in their constructor order (for equality, copies and its repr).
_CONFIG_FIELDS: Final = (
    "base_dir",
    "mode",
    "cascade",
    "apps",
    "table",
    "module_settings",
    "toml_files",
    "settings_path",
    "origins",
    "env",
    "env_origins",
    "mode_files",
    "dotenv_path",
    "core",
)


class ProjectConfig:
    """The merged, checked configuration of one project: ``fw.config``, read-only and equal by value.

    A plain class: a dataclass costs ~1 ms when the module is imported, on every start.

    Attributes:
        base_dir: the project folder.
        mode: the selected mode.
        cascade: the modes whose apps load, strongest first.
        apps: the apps to load in order, each with where it was listed.
        table: the merged ``[spoc]`` table (plugin sections included), core keys validated.
        module_settings: the UPPERCASE names of the settings module.
        toml_files: the spoc.toml files read, weakest first.
        settings_path: the settings module read, if any.
        origins: where each value of ``table`` was set, by its path below ``[spoc]``.
        env: the ``[env]`` table of the per-mode files, and ``env_origins`` where each was set.
        mode_files: the per-mode files read, weakest first.
        dotenv_path: the ``.env`` file read, if any.
        core: the validated core settings (a ``SpocSettings`` without apps, sections or names).
    """

    __slots__ = (
        "apps",
        "base_dir",
        "cascade",
        "core",
        "dotenv_path",
        "env",
        "env_origins",
        "mode",
        "mode_files",
        "module_settings",
        "origins",
        "settings_path",
        "table",
        "toml_files",
    )

    base_dir: Path
    mode: str
    cascade: list[str]
    apps: list[tuple[str, str]]
    table: dict[str, Any]
    module_settings: dict[str, Any]
    toml_files: list[Path]
    settings_path: Path | None
    origins: dict[Path_, Origin]
    env: dict[str, Any]
    env_origins: dict[str, Origin]
    mode_files: list[Path]
    dotenv_path: Path | None
    core: SpocSettings

    def __init__(  # noqa: PLR0917 - positional, as the dataclass it replaces took its fields
        self,
        base_dir: Path,
        mode: str,
        cascade: list[str],
        apps: list[tuple[str, str]],
        table: dict[str, Any],
        module_settings: dict[str, Any] | None = None,
        toml_files: list[Path] | None = None,
        settings_path: Path | None = None,
        origins: dict[Path_, Origin] | None = None,
        env: dict[str, Any] | None = None,
        env_origins: dict[str, Origin] | None = None,
        mode_files: list[Path] | None = None,
        dotenv_path: Path | None = None,
        core: SpocSettings | None = None,
    ) -> None:
        values = (
            base_dir,
            mode,
            cascade,
            apps,
            table,
            {} if module_settings is None else module_settings,
            [] if toml_files is None else toml_files,
            settings_path,
            {} if origins is None else origins,
            {} if env is None else env,
            {} if env_origins is None else env_origins,
            [] if mode_files is None else mode_files,
            dotenv_path,
            SpocSettings() if core is None else core,
        )
        for name, value in zip(_CONFIG_FIELDS, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}: the configuration is read-only")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}: the configuration is read-only")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _CONFIG_FIELDS)

    def __reduce__(self) -> tuple[Any, ...]:
        # copy, deepcopy and pickle rebuild through __init__; __setattr__ refuses to.
        return (ProjectConfig, self._values())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProjectConfig):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # equal by value, and it holds lists: unhashable, as a dict

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(_CONFIG_FIELDS, self._values(), strict=True))
        return f"ProjectConfig({shown})"

    def origin_of(self, path: Path_) -> Origin | None:
        """Return where the value at ``path`` (below ``[spoc]``) was set, or ``None`` for a default."""
        return origin_for(self.origins, path)

    def file_of(self, key: str) -> Path | None:
        """Return the file that set ``[spoc]`` key ``key`` (the one in force), if a file did."""
        origin = self.origin_of((key,))
        return origin.path if origin is not None else None

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
        """The ``[spoc.<section>]`` tables that belong to plugins or apps, merged from every source."""
        return {key: value for key, value in self.table.items() if key not in CORE_KEYS and isinstance(value, dict)}

    def section_origins(self, name: str) -> dict[Path_, Origin]:
        """Return the origins of section ``name``'s values, by their path inside the section."""
        return {path[1:]: origin for path, origin in self.origins.items() if path[0] == name and len(path) > 1}


def _is_str_list(value: Any) -> bool:
    # Tuples are welcome from the settings module; TOML only makes lists.
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _unknown_key(path: Path_, origin: Origin) -> Problem:
    if origin.variable and origin.source in STRING_SOURCES:
        variables = [f"{ENV_PREFIX}{key.upper()}" for key in CORE_KEYS]
        return Problem(
            f"unknown setting {origin.variable}{did_you_mean(origin.variable, variables)}; SPOC reads "
            f"{', '.join(variables)}, SPOC_<SECTION>__<KEY> for a plugin's section, and the control variables "
            f"{', '.join(sorted(CONTROL_VARIABLES))}. Unset it or correct its name.",
            origin,
            origin.variable,
        )
    return Problem(
        f"unknown key 'spoc.{path[0]}'{did_you_mean(path[0], CORE_KEYS)}; valid keys: {', '.join(CORE_KEYS)}",
        origin,
        f"spoc.{path[0]}",
    )


def _mode_source(origin: Origin | None) -> str:
    if origin is None:
        return "the default"
    return {
        "argument": "Framework(settings={'mode': ...})",
        "environment": f"the environment variable {MODE_VARIABLE}",
        "settings_module": "MODE",
        "dotenv": MODE_VARIABLE,
    }.get(origin.source, "spoc.mode")


def _check_modes(
    table: Mapping[str, Any], origins: Mapping[Path_, Origin], problems: list[Problem]
) -> tuple[str, list[str]]:
    """Check the mode and the modes that ``[spoc.apps]`` names; return the mode and its cascade.

    ``table`` holds the validated core values, or the merged ones when some are wrong.
    """
    declared = table.get("modes", {})
    modes = dict(BUILTIN_MODES)
    if isinstance(declared, dict):
        modes.update({name: list(cascade) for name, cascade in declared.items() if _is_str_list(cascade)})
    mode = table.get("mode", DEFAULT_MODE)
    if isinstance(mode, str) and mode not in modes:
        origin = origins.get(("mode",))
        problems.append(
            Problem(
                f"unknown mode {mode!r} (from {_mode_source(origin)}){did_you_mean(mode, modes)}; "
                f"valid modes: {', '.join(modes)}. Declare others under [spoc.modes].",
                origin if origin is not None and origin.path is not None else None,
                "spoc.mode",
            )
        )
    per_mode = table.get("apps", {})
    for listed in per_mode if isinstance(per_mode, dict) else ():
        if listed not in modes:
            problems.append(
                Problem(
                    f"[spoc.apps] lists apps for unknown mode {listed!r}{did_you_mean(listed, modes)}; "
                    f"valid modes: {', '.join(modes)}",
                    origin_for(origins, ("apps", listed)),
                    f"spoc.apps.{listed}",
                )
            )
    if not isinstance(mode, str) or mode not in modes:
        return DEFAULT_MODE, []
    return mode, list(modes[mode])


def _module_problems(module_settings: Mapping[str, Any], path: Path | None, problems: list[Problem]) -> None:
    def origin(name: str) -> Origin | None:
        return Origin("settings_module", path, python_line(path, name), name) if path else None

    if not _is_str_list(module_settings.get("INSTALLED_APPS", [])):
        problems.append(
            Problem(
                f"INSTALLED_APPS = {module_settings['INSTALLED_APPS']!r} is invalid: expected a list of app names",
                origin("INSTALLED_APPS"),
                "INSTALLED_APPS",
            )
        )
    plugins = module_settings.get("PLUGINS", {})
    if not isinstance(plugins, dict) or not all(_is_str_list(uris) for uris in plugins.values()):
        problems.append(
            Problem(
                f"PLUGINS = {plugins!r} is invalid: expected a dict of lists of dotted paths, "
                'e.g. PLUGINS = {"middleware": ["myproject.middleware"]}',
                origin("PLUGINS"),
                "PLUGINS",
            )
        )


def _toml_layers(toml_files: list[Path], problems: list[Problem]) -> list[Layer]:
    layers = []
    for path in toml_files:
        spoc_table = read_toml(path).get("spoc", {})
        if not isinstance(spoc_table, dict):
            problems.append(
                Problem(f"'spoc' must be a table ([spoc]), got {spoc_table!r}", Origin("toml", path), "spoc")
            )
            continue
        layers.append(toml_layer(path, spoc_table, "toml"))
    return layers


def load_project_config(
    base_dir: Path, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> ProjectConfig:
    """Read, merge and check the configuration of ``base_dir``; nothing is written, the environment is only read.

    Args:
        base_dir: the project folder.
        overrides: the strongest source, ``Framework(settings=...)``; its UPPERCASE
            keys replace names of the settings module.
        environ: the variables to read; ``os.environ`` by default.

    Raises:
        ConfigError: listing every problem found, each with its file and line or variable.
    """
    overrides = dict(overrides or {})
    problems: list[Problem] = []

    settings_path = find_settings_module(base_dir)
    module_settings = load_settings_module(settings_path) if settings_path else {}
    module_settings.update({key: value for key, value in overrides.items() if key.isupper()})
    toml_files = find_toml_files(base_dir)
    weak = [module_layer(settings_path, module_settings), *_toml_layers(toml_files, problems)]
    dotenv_path = base_dir / ".env" if (base_dir / ".env").is_file() else None
    strong = [dotenv_layer(dotenv_path, problems)] if dotenv_path else []
    strong += [environment_layer(os.environ if environ is None else environ, problems), argument_layer(overrides)]

    # The mode picks the per-mode file, so it comes from every other source.
    mode = merge([*weak, *strong]).values.get(("mode",), DEFAULT_MODE)
    mode_files = find_mode_files(base_dir, mode) if isinstance(mode, str) else []
    mode_layers = [mode_file_layer(path, problems) for path in mode_files]
    merged = merge([*weak, *(spoc for spoc, _ in mode_layers), *strong])
    env = merge([env for _, env in mode_layers])

    core_leaves: dict[Path_, Any] = {}
    for path, value in merged.values.items():
        if path[0] in CORE_KEYS:
            core_leaves[path] = value
        elif len(path) == 1 and not isinstance(value, dict):
            problems.append(_unknown_key(path, merged.origins[path]))
    values = validate_core(core_leaves, merged.origins, problems)
    _module_problems(module_settings, settings_path, problems)
    # Validated values hold the JSON tables that variables give ({"qa": [...]} for SPOC_MODES).
    mode, cascade = _check_modes(unflatten(merged.values) if values is None else values, merged.origins, problems)
    raise_problems(problems)
    core = SpocSettings(values)  # values is None only with problems, raised above

    # The cascade is written strongest first; apps load base first (production's,
    # then staging's, then development's), as Django projects append debug apps.
    apps: dict[str, str] = {app: "INSTALLED_APPS" for app in module_settings.get("INSTALLED_APPS", [])}
    for cascade_mode in reversed(cascade):
        for app in core.apps.get(cascade_mode, []):
            apps.setdefault(app, f"apps.{cascade_mode}")
    table = unflatten(merged.values)
    validated = core.as_dict()
    table.update({key: validated[key] for key in table if key in CORE_KEYS})
    return ProjectConfig(
        base_dir=base_dir,
        mode=mode,
        cascade=cascade,
        apps=list(apps.items()),
        table=table,
        module_settings=module_settings,
        toml_files=toml_files,
        settings_path=settings_path,
        origins=dict(merged.origins),
        env={path[0]: value for path, value in env.values.items()},
        env_origins={path[0]: origin for path, origin in env.origins.items()},
        mode_files=mode_files,
        dotenv_path=dotenv_path,
        core=core,
    )
