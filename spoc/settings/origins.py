"""Where each configuration value came from, and the problems reported about them.

pydantic validates the settings; what it cannot know is which file and line,
or which variable, gave a wrong value. An :class:`Origin` says that, so that
every error and ``spoc settings`` can point at the place to change. Every
:class:`ConfigProblem` found is reported together in one :class:`ConfigError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from spoc.errors import ConfigError

__all__ = [
    "ENV_PREFIX",
    "ConfigProblem",
    "KeyPath",
    "Origin",
    "flatten",
    "origin_for",
    "raise_problems",
]

KeyPath = tuple[str, ...]
"""A key's path below ``[spoc]``, e.g. ``("apps", "production")``."""

ENV_PREFIX: Final = "SPOC_"


@dataclass(frozen=True)
class Origin:
    """Where one value came from.

    Attributes:
        source: ``argument``, ``environment``, ``dotenv``, ``mode_file``, ``toml``,
            ``settings_module`` or ``default``.
        path: the file, for file sources.
        line: the line in ``path``, when known.
        variable: the variable or settings-module name, when there is one.
        label: how an ``argument`` is named to the user: ``Framework(settings=...)``, or ``--mode``.
    """

    source: str
    path: Path | None = None
    line: int | None = None
    variable: str | None = None
    label: str = "Framework(settings=...)"

    def __str__(self) -> str:
        if self.source == "argument":
            return self.label
        if self.source == "environment":
            return f"the environment variable {self.variable}"
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def location(self, base_dir: Path) -> str:
        """Say where, briefly, with file paths relative to the project (for listings)."""
        if self.source == "argument":
            return self.label
        if self.source == "environment":
            return str(self.variable)
        if self.path is None:
            return self.source
        try:
            shown = self.path.relative_to(base_dir).as_posix()
        except ValueError:
            shown = str(self.path)
        return f"{shown}:{self.line}" if self.line else shown


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration; all are reported together."""

    message: str
    origin: Origin | None = None
    key: str | None = None

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}" if self.origin else self.message

    def error(self) -> ConfigError:
        """Return the error for this problem alone."""
        if self.origin is not None and self.origin.path is not None:
            return ConfigError(self.message, path=self.origin.path, line=self.origin.line, key=self.key)
        return ConfigError(str(self), key=self.key)


def raise_problems(problems: list[ConfigProblem]) -> None:
    """Raise nothing for no problem, the problem's own error for one, else one error listing all."""
    unique = list(dict.fromkeys(problems))
    if len(unique) == 1:
        raise unique[0].error()
    if unique:
        listed = "\n  ".join(str(problem) for problem in unique)
        raise ConfigError(f"{len(unique)} problem(s) in the configuration:\n  {listed}")


def flatten(table: Mapping[str, Any], prefix: KeyPath = ()) -> dict[KeyPath, Any]:
    """Return the leaves of nested tables; an empty table is a leaf."""
    leaves: dict[KeyPath, Any] = {}
    for key, value in table.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            leaves.update(flatten(value, path))
        else:
            leaves[path] = dict(value) if isinstance(value, Mapping) else value
    return leaves


def origin_for(origins: Mapping[KeyPath, Origin], path: KeyPath) -> Origin | None:
    """Return the origin of ``path``: its own, its nearest parent's, else its first child's."""
    for length in range(len(path), 0, -1):
        if path[:length] in origins:
            return origins[path[:length]]
    return next((origin for key, origin in origins.items() if key[: len(path)] == path), None)
