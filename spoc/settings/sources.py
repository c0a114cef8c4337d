"""Every configuration source of one project, read once, in precedence order, with where each value is.

Strongest first: ``Framework(settings=...)``, ``SPOC_*`` variables, the ``.env``
file, the per-mode files (``config/.env/<mode>.toml``, ``default.toml`` as
fallback), spoc.toml (``config/`` wins over the root), the settings module's
UPPERCASE names, the defaults. pydantic-settings merges and validates them
(:mod:`spoc.settings.pydantic_sources`); this module only reads, so that the
commands that need no settings can read the plugin selection without pydantic,
and so that every problem can name the file and line or the variable to fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final

from spoc.errors import did_you_mean
from spoc.settings.files import (
    DotenvFile,
    SettingsModule,
    TomlFile,
    find_dotenv,
    find_mode_files,
    find_settings_module,
    find_toml_files,
)
from spoc.settings.modes import DEFAULT_MODE
from spoc.settings.origins import ENV_PREFIX, ConfigProblem, KeyPath, Origin, flatten, origin_for

__all__ = ["CONTROL_VARIABLES", "MODULE_ONLY_NAMES", "NESTED", "Overrides", "ProjectSources", "SourceTable"]

# Read directly where they act (plugin discovery, tracing): never settings fields.
CONTROL_VARIABLES: Final = frozenset(
    {"SPOC_DISABLE_PLUGIN_AUTOLOAD", "SPOC_FULL_TRACEBACK", "SPOC_LOAD_PLUGINS", "SPOC_TRACE_HOOKS"}
)
NESTED: Final = "__"
# Names of the settings module with a meaning of their own: they add to the other sources.
MODULE_ONLY_NAMES: Final = ("INSTALLED_APPS", "PLUGINS")


class Overrides(dict[str, Any]):
    """``Framework(settings=...)`` values that say how messages name them: ``--mode`` for the CLI's option."""

    def __init__(self, values: Mapping[str, Any], label: str) -> None:
        super().__init__(values)
        self.label = label


@dataclass
class SourceTable:
    """What one source says below ``[spoc]``, as nested tables, and where each value is."""

    name: str
    table: dict[str, Any]
    origins: dict[KeyPath, Origin] = field(default_factory=dict)

    def origin(self, path: KeyPath) -> Origin | None:
        """Return where this source set ``path`` (or the table holding it), if it did."""
        return origin_for(self.origins, path) if _holds(self.table, path[:1]) else None


def _holds(table: Mapping[str, Any], path: KeyPath) -> bool:
    node: Any = table
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _variables(names: Mapping[str, tuple[str, Origin]], problems: list[ConfigProblem]) -> SourceTable:
    """Turn ``SPOC_*`` variables into a table: ``SPOC_TIMING__THRESHOLD_MS`` is ``timing.threshold_ms``.

    Two variables that set one key (``SPOC_APPS`` and ``SPOC_APPS__PRODUCTION``) are a problem:
    which one wins would depend on how pydantic-settings merges them.
    """
    source = SourceTable("variables", {})
    for name, (value, origin) in sorted(names.items()):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in CONTROL_VARIABLES or value == "":
            continue  # an empty variable counts as unset, as pydantic-settings' env_ignore_empty does
        path = tuple(part.lower() for part in upper[len(ENV_PREFIX) :].split(NESTED))
        if "" in path:
            problems.append(
                ConfigProblem(f"{upper} has an empty part: write SPOC_<KEY> or SPOC_<SECTION>__<KEY>", origin)
            )
            continue
        clash = next((other for other in source.origins if other[: len(path)] == path[: len(other)]), None)
        if clash is not None:
            other = source.origins[clash].variable
            problems.append(
                ConfigProblem(
                    f"{upper} and {other} both set 'spoc.{'.'.join(clash)}': unset one of them", origin, upper
                )
            )
            continue
        node = source.table
        for part in path[:-1]:
            child = node.setdefault(part, {})
            node = child if isinstance(child, dict) else {}
        node[path[-1]] = value
        source.origins[path] = origin
    return source


@dataclass
class ProjectSources:
    """The sources of one project, read once; nothing is validated here.

    Attributes:
        base_dir: the project folder.
        overrides: ``Framework(settings=...)``, the strongest source.
        label: how that source is named in messages (``--mode`` from the CLI).
        environ: the process's variables (only read).
        toml: the spoc.toml files, strongest first.
        module: the settings module, if the project has one.
        dotenv: the ``.env`` file, if the project has one.
        problems: what was found wrong while reading (files that are not tables, bad lines...).
    """

    base_dir: Path
    overrides: dict[str, Any]
    label: str
    environ: Mapping[str, str]
    toml: list[TomlFile]
    module: SettingsModule | None
    dotenv: DotenvFile | None
    problems: list[ConfigProblem]
    mode_files: list[TomlFile] = field(default_factory=list)
    mode_env: dict[str, tuple[Any, Origin]] = field(default_factory=dict)

    @classmethod
    def read(
        cls,
        base_dir: Path,
        overrides: Mapping[str, Any] | None = None,
        *,
        label: str = "Framework(settings=...)",
        environ: Mapping[str, str] | None = None,
    ) -> ProjectSources:
        """Read every file of ``base_dir`` once; the per-mode files once the mode is known.

        Raises:
            ConfigError: a file cannot be read at all (not UTF-8, not TOML, a settings module that raises).
        """
        problems: list[ConfigProblem] = []
        module_path = find_settings_module(base_dir)
        dotenv_path = find_dotenv(base_dir)
        sources = cls(
            base_dir=base_dir,
            overrides=dict(overrides or {}),
            label=label,
            environ=os.environ if environ is None else environ,
            toml=[TomlFile.read(path) for path in find_toml_files(base_dir)],
            module=SettingsModule.load(module_path, base_dir) if module_path else None,
            dotenv=DotenvFile.read(dotenv_path, problems) if dotenv_path else None,
            problems=problems,
        )
        sources._read_mode_files()
        return sources

    # -- the sources, strongest first ------------------------------------------------------

    def argument(self) -> SourceTable:
        """``Framework(settings=...)``: its lowercase keys (UPPERCASE ones replace settings-module names)."""
        table = {key: value for key, value in self.overrides.items() if not key.isupper()}
        origin = Origin("argument", label=self.label)
        return SourceTable("argument", table, {path: origin for path in flatten(table)})

    def environment(self) -> SourceTable:
        """The ``SPOC_*`` variables of the process."""
        return self._environment

    def dotenv_variables(self) -> SourceTable:
        """The ``SPOC_*`` lines of the ``.env`` file; other names are for other tools."""
        return self._dotenv_variables

    @cached_property
    def _environment(self) -> SourceTable:
        origins = {name: (value, Origin("environment", variable=name.upper())) for name, value in self.environ.items()}
        return _variables(origins, self.problems)

    @cached_property
    def _dotenv_variables(self) -> SourceTable:
        if self.dotenv is None:
            return SourceTable("dotenv", {})
        dotenv = self.dotenv
        names = {name: (value, dotenv.origin(name.upper())) for name, (value, _) in dotenv.variables.items()}
        return _variables(names, self.problems)

    def mode_file_tables(self) -> list[SourceTable]:
        """The ``[spoc]`` tables of the per-mode files, strongest first."""
        return [self._spoc_table(file, "mode_file") for file in self.mode_files]

    def toml_tables(self) -> list[SourceTable]:
        """The ``[spoc]`` tables of the spoc.toml files, strongest first."""
        return [self._spoc_table(file, "toml") for file in self.toml]

    def module_table(self) -> SourceTable:
        """The settings module's UPPERCASE names, lowercased: ``DEBUG = True`` sets ``debug``.

        Names that are no settings field are ignored by validation: a Django-style
        module holds settings of its own. ``INSTALLED_APPS`` and ``PLUGINS`` add to
        the other sources instead (see :meth:`names`).
        """
        source = SourceTable("settings_module", {})
        for name, value in self.names().items():
            key = name.lower()
            if name in MODULE_ONLY_NAMES:
                continue
            source.table[key] = value
            in_module = self.module is not None and name in self.module.names
            origin = (
                self.module.origin(name)
                if self.module is not None and in_module
                else Origin("argument", label=self.label)
            )
            for path in flatten({key: value}) if isinstance(value, Mapping) and value else [(key,)]:
                source.origins[path] = origin
        return source

    @cached_property
    def _tables(self) -> list[SourceTable]:
        return [
            self.argument(),
            self.environment(),
            self.dotenv_variables(),
            *self.mode_file_tables(),
            *self.toml_tables(),
            self.module_table(),
        ]

    def tables(self) -> list[SourceTable]:
        """Every source's table, strongest first (read once, after the per-mode files)."""
        return self._tables

    # -- what the sources say together ------------------------------------------------------

    def names(self) -> dict[str, Any]:
        """The settings module's UPPERCASE names, with those of ``Framework(settings=...)`` on top."""
        names = dict(self.module.names) if self.module is not None else {}
        names.update({key: value for key, value in self.overrides.items() if key.isupper()})
        return names

    def origin_of(self, path: KeyPath) -> Origin | None:
        """Return where the value in force at ``path`` was set: the strongest source that sets it."""
        for source in self.tables():
            origin = source.origin(path)
            if origin is not None:
                return origin
        return None

    def set_at(self, path: KeyPath) -> Origin | None:
        """Return where a value at ``path`` itself was set, or ``None`` when it is a default.

        Unlike :meth:`origin_of`, a table that holds other keys does not count, only
        ``path`` itself, or a value above it given whole (a variable's JSON table).
        """
        for source in self.tables():
            node: Any = source.table
            for depth, part in enumerate(path):
                if not isinstance(node, Mapping):
                    return source.origin(path[:depth])  # given whole, as JSON
                if part not in node:
                    break
                node = node[part]
            else:
                return source.origin(path)
        return None

    def value_of(self, key: str, default: Any = None) -> Any:
        """Return the raw value in force of a top-level key, unvalidated (the strongest source's)."""
        for source in self.tables():
            if key in source.table:
                return source.table[key]
        return default

    def raw_mode(self) -> str:
        """The mode the sources ask for, unvalidated (it picks the per-mode files)."""
        weaker = [
            self.argument(),
            self.environment(),
            self.dotenv_variables(),
            *self.toml_tables(),
            self.module_table(),
        ]
        mode = next((source.table["mode"] for source in weaker if "mode" in source.table), DEFAULT_MODE)
        return mode if isinstance(mode, str) else DEFAULT_MODE

    def unknown_keys(self, fields: Mapping[str, Any], sections: Mapping[str, Any] = {}) -> list[ConfigProblem]:
        """Return a problem per top-level key or variable that is neither a field nor a section table.

        A ``[spoc.<name>]`` table (or a ``SPOC_<NAME>__<KEY>`` variable) that is no
        field is a plugin's section, checked once plugins have declared theirs.
        """
        problems: list[ConfigProblem] = []
        valid = [*fields, *sections]
        for source in self.tables():
            if source.name == "settings_module":
                continue  # its other UPPERCASE names are the project's own settings
            for key, value in source.table.items():
                if key in fields or key in sections or isinstance(value, dict):
                    continue
                origin = source.origin((key,))
                if origin is not None and origin.source in ("environment", "dotenv"):
                    problems.append(self._unknown_variable(str(origin.variable), origin, fields))
                else:
                    problems.append(
                        ConfigProblem(
                            f"unknown key 'spoc.{key}'{did_you_mean(key, valid)}; valid keys: {', '.join(valid)}",
                            origin,
                            f"spoc.{key}",
                        )
                    )
        return problems

    def section_tables(self, fields: Mapping[str, Any]) -> Iterator[tuple[str, Origin | None]]:
        """Yield each ``[spoc.<name>]`` table (or ``SPOC_<NAME>__*`` variable) that is no field, with where it is."""
        seen: set[str] = set()
        for source in self.tables():
            if source.name == "settings_module":
                continue
            for key, value in source.table.items():
                if key not in fields and isinstance(value, dict) and key not in seen:
                    seen.add(key)
                    yield key, source.origin((key,))

    # -- helpers ------------------------------------------------------------------------

    def _unknown_variable(self, variable: str, origin: Origin, fields: Mapping[str, Any]) -> ConfigProblem:
        variables = [f"{ENV_PREFIX}{key.upper()}" for key in fields]
        return ConfigProblem(
            f"unknown setting {variable}{did_you_mean(variable, variables)}; SPOC reads "
            f"{', '.join(variables)}, SPOC_<SECTION>__<KEY> for a plugin's section, and the control variables "
            f"{', '.join(sorted(CONTROL_VARIABLES))}. Unset it or correct its name.",
            origin,
            variable,
        )

    def _spoc_table(self, file: TomlFile, source: str) -> SourceTable:
        table = file.table("spoc", [], source)
        if source == "mode_file":
            table = {key: value for key, value in table.items() if key != "mode"}
        origins = {path: file.origin(("spoc", *path), source) for path in flatten(table)}
        origins.update({(key,): file.origin(("spoc", key), source) for key in table})
        return SourceTable(f"{source}:{file.path}", table, origins)

    def _read_mode_files(self) -> None:
        """Read the per-mode files of the mode the other sources ask for, and check their tables."""
        for file in self.toml:
            file.table("spoc", self.problems)
        self.mode_files = [TomlFile.read(path) for path in find_mode_files(self.base_dir, self.raw_mode())]
        for file in reversed(self.mode_files):  # weakest first: the stronger file's [env] wins
            for name, value in file.document.items():
                origin = file.origin((name,), "mode_file")
                if name not in ("spoc", "env"):
                    self.problems.append(
                        ConfigProblem(
                            f"unknown table [{name}] in a per-mode file; it may hold [spoc] and [env]", origin, name
                        )
                    )
                elif not isinstance(value, dict):
                    self.problems.append(
                        ConfigProblem(f"'{name}' must be a table ([{name}]), got {value!r}", origin, name)
                    )
                elif name == "spoc" and "mode" in value:
                    self.problems.append(
                        ConfigProblem(
                            "'spoc.mode' cannot be set in a per-mode file: the mode picks the file. "
                            "Set it in spoc.toml, SPOC_MODE or Framework(settings=...).",
                            file.origin(("spoc", "mode"), "mode_file"),
                            "spoc.mode",
                        )
                    )
                elif name == "env":
                    for key, item in value.items():
                        self.mode_env[key] = (item, file.origin(("env", key), "mode_file"))
