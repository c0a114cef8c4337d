"""Configuration values as layers that remember where each value came from.

A :class:`Layer` is one source flattened to leaves: ``("timing", "threshold_ms") -> 5``,
each with an :class:`Origin` (file and line, or the variable), so that errors
and ``python -m spoc settings`` can say exactly where a value was set. Layers
merge weakest first; every problem found becomes a :class:`Problem`, and all
are raised together.

The three classes are plain classes with ``__slots__``, not dataclasses: each
dataclass costs ~1 ms when the module is imported, on every start.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from spoc.errors import ConfigError

__all__ = [
    "CONTROL_VARIABLES",
    "ENV_PREFIX",
    "JSON_HINT",
    "STRING_SOURCES",
    "Layer",
    "Origin",
    "Path_",
    "Problem",
    "decode_json",
    "flatten",
    "invalid",
    "merge",
    "origin_for",
    "overlaps",
    "raise_problems",
    "unflatten",
]

Path_ = tuple[str, ...]
"""A key's path below ``[spoc]``, e.g. ``("apps", "production")``."""

ENV_PREFIX: Final = "SPOC_"
# Read directly where they act (plugin discovery, tracing, caching): never settings fields.
CONTROL_VARIABLES: Final = frozenset({"SPOC_DISABLE_PLUGIN_AUTOLOAD", "SPOC_LOAD_PLUGINS", "SPOC_TRACE_HOOKS"})
# Sources that give every value as a string: lists and tables come as JSON.
STRING_SOURCES: Final = ("environment", "dotenv")
JSON_HINT: Final = "; a variable gives lists and tables as JSON, e.g. SPOC_DISABLE_PLUGINS='[\"timing\"]'"


class Origin:
    """Where one value came from; equal and hashed by value, so treat it as immutable.

    Attributes:
        source: ``argument``, ``environment``, ``dotenv``, ``mode_file``, ``toml`` or ``settings_module``.
        path: the file, for file sources.
        line: the line in ``path``, when known.
        variable: the variable or settings-module name, when there is one.
    """

    __slots__ = ("line", "path", "source", "variable")

    def __init__(
        self, source: str, path: Path | None = None, line: int | None = None, variable: str | None = None
    ) -> None:
        self.source, self.path, self.line, self.variable = source, path, line, variable

    def _fields(self) -> tuple[str, Path | None, int | None, str | None]:
        return (self.source, self.path, self.line, self.variable)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Origin):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"Origin(source={self.source!r}, path={self.path!r}, line={self.line!r}, variable={self.variable!r})"

    def __str__(self) -> str:
        if self.source == "argument":
            return "Framework(settings=...)"
        if self.source == "environment":
            return f"the environment variable {self.variable}"
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def location(self, base_dir: Path) -> str:
        """Say where, briefly, with file paths relative to the project (for listings)."""
        if self.source == "argument":
            return "Framework(settings=...)"
        if self.source == "environment":
            return str(self.variable)
        if self.path is None:  # pragma: no cover - every file source has a path
            return self.source
        try:
            shown = self.path.relative_to(base_dir).as_posix()
        except ValueError:
            shown = str(self.path)
        return f"{shown}:{self.line}" if self.line else shown


class Problem:
    """One thing wrong with the configuration; all are reported together."""

    __slots__ = ("key", "message", "origin")

    def __init__(self, message: str, origin: Origin | None = None, key: str | None = None) -> None:
        self.message, self.origin, self.key = message, origin, key

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}" if self.origin else self.message

    def error(self) -> ConfigError:
        """Return the error for this problem alone."""
        if self.origin is not None and self.origin.path is not None:
            return ConfigError(self.message, path=self.origin.path, line=self.origin.line, key=self.key)
        return ConfigError(str(self), key=self.key)


def invalid(path: Path_, value: Any, expected: str, origin: Origin | None, *, shape: bool = False) -> Problem:
    """Return the problem of a wrong ``value`` at ``path``; ``shape``: a list or table was expected.

    ``value`` is shown as given: mask a secret first.
    """
    key = "spoc." + ".".join(path)
    if shape and origin is not None and origin.source in STRING_SOURCES:
        expected += JSON_HINT
    return Problem(f"{key!r} = {value!r} is invalid: expected {expected}", origin, key)


def raise_problems(problems: list[Problem]) -> None:
    """Raise nothing for no problem, the problem's own error for one, else one error listing all."""
    if len(problems) == 1:
        raise problems[0].error()
    if problems:
        listed = "\n  ".join(str(problem) for problem in problems)
        raise ConfigError(f"{len(problems)} problem(s) in the configuration:\n  {listed}")


class Layer:
    """One source: its values as leaves, each with its origin."""

    __slots__ = ("origins", "values")

    def __init__(self, values: dict[Path_, Any] | None = None, origins: dict[Path_, Origin] | None = None) -> None:
        self.values: dict[Path_, Any] = {} if values is None else values
        self.origins: dict[Path_, Origin] = {} if origins is None else origins

    def set(self, path: Path_, value: Any, origin: Origin) -> None:
        """Set one leaf."""
        self.values[path] = value
        self.origins[path] = origin


def decode_json(
    leaves: Mapping[Path_, Any], origins: Mapping[Path_, Origin], is_container: Callable[[Path_], bool | None]
) -> dict[Path_, Any]:
    """Decode the JSON lists and tables given as variables (``SPOC_DISABLE_PLUGINS='["timing"]'``).

    ``is_container(path)`` says whether a list or table is expected at ``path``
    (``None``: nothing is known there, so a value that looks like JSON is decoded).
    A value that is not JSON stays a string, and validation says what is expected.
    """
    decoded = dict(leaves)
    for path, value in leaves.items():
        origin = origins.get(path)
        if not isinstance(value, str) or origin is None or origin.source not in STRING_SOURCES:
            continue
        wanted = is_container(path)
        if wanted or (wanted is None and value.lstrip()[:1] in ("[", "{")):
            import json  # here: most starts have no JSON variable, and json costs milliseconds to import

            with contextlib.suppress(ValueError):
                decoded[path] = json.loads(value)
    return decoded


def flatten(table: Mapping[str, Any], prefix: Path_ = ()) -> dict[Path_, Any]:
    """Return the leaves of nested tables; an empty table is a leaf."""
    leaves: dict[Path_, Any] = {}
    for key, value in table.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            leaves.update(flatten(value, path))
        else:
            leaves[path] = dict(value) if isinstance(value, Mapping) else value
    return leaves


def unflatten(leaves: Mapping[Path_, Any]) -> dict[str, Any]:
    """Build nested tables from leaves (the inverse of :func:`flatten`)."""
    table: dict[str, Any] = {}
    for path, value in leaves.items():
        node = table
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return table


def overlaps(one: Path_, other: Path_) -> bool:
    """Return whether one path is the other or inside it (the two cannot both be set)."""
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


def origin_for(origins: Mapping[Path_, Origin], path: Path_) -> Origin | None:
    """Return the origin of ``path``: its own, its nearest parent's, else its first child's."""
    for length in range(len(path), 0, -1):
        if path[:length] in origins:
            return origins[path[:length]]
    return next((origin for key, origin in origins.items() if key[: len(path)] == path), None)


def merge(layers: list[Layer]) -> Layer:
    """Merge layers, weakest first: a stronger leaf replaces every weaker leaf it overlaps."""
    merged = Layer()
    for layer in layers:
        for path, value in layer.values.items():
            for old in [old for old in merged.values if overlaps(old, path)]:
                del merged.values[old]
                del merged.origins[old]
            merged.set(path, value, layer.origins[path])
    return merged
