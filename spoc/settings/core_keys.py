"""The core keys of ``[spoc]``: each key's type, default and expected text, and their validation.

SPOC checks these few keys itself instead of with pydantic: importing pydantic
costs ~250 ms and ~25 MiB in a fresh process, more than the rest of a start,
and only plugin sections need its generality. Checking here also keeps each
value's origin at hand, so that every problem names its file and line or its
variable. The coercions are those of pydantic's lax mode for these types, so
that a value valid before stays valid.

:class:`Key` and ``_Wrong`` are plain classes with ``__slots__``, not
dataclasses: each dataclass costs ~1 ms when the module is imported, on every start.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from spoc.errors import did_you_mean
from spoc.settings.layers import Origin, Path_, Problem, decode_json, invalid, origin_for, raise_problems, unflatten
from spoc.settings.secrets import MASK, is_secret_name

__all__ = ["CORE_KEYS", "KEYS", "Key", "check_core", "validate_core"]


class _Wrong:
    """One wrong value at ``loc``; ``valid`` lists the keys allowed when the key itself is unknown.

    ``shape``: a list or a table was expected.
    """

    __slots__ = ("loc", "shape", "valid", "value")

    def __init__(self, loc: Path_, value: Any, shape: bool = False, valid: tuple[str, ...] | None = None) -> None:
        self.loc, self.value, self.shape, self.valid = loc, value, shape, valid


class _Type(Protocol):
    """A type of the table below: it checks a value and knows the types inside it."""

    container: bool  # a list or table: a variable gives it as JSON

    def check(self, value: Any, loc: Path_, wrong: list[_Wrong]) -> Any:
        """Return ``value`` coerced, or ``None`` after adding what is wrong with it to ``wrong``."""

    def at(self, part: str) -> _Type | None:
        """Return the type one level down, at ``part`` (a key or a position), if there is one."""


class _Scalar:
    """A value that ``convert`` accepts (returning it coerced) or refuses (raising ``ValueError``)."""

    container = False

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        self.convert = convert

    def check(self, value: Any, loc: Path_, wrong: list[_Wrong]) -> Any:
        try:
            return self.convert(value)
        except ValueError:
            wrong.append(_Wrong(loc, value))
            return None

    def at(self, part: str) -> _Type | None:
        return None


class _ListOf:
    """A list, or a tuple or set as the settings module may give (kept in its order)."""

    container = True

    def __init__(self, item: _Type) -> None:
        self.item = item

    def check(self, value: Any, loc: Path_, wrong: list[_Wrong]) -> Any:
        if not isinstance(value, (list, tuple, set, frozenset, deque)):
            wrong.append(_Wrong(loc, value, shape=True))
            return None
        return [self.item.check(item, (*loc, str(index)), wrong) for index, item in enumerate(value)]

    def at(self, part: str) -> _Type | None:
        return self.item if part.isdigit() else None


class _TableOf:
    """A table of any keys, each value of one type (``[spoc.apps]``)."""

    container = True

    def __init__(self, item: _Type) -> None:
        self.item = item

    def check(self, value: Any, loc: Path_, wrong: list[_Wrong]) -> Any:
        if not isinstance(value, Mapping):
            wrong.append(_Wrong(loc, value, shape=True))
            return None
        return {str(key): self.item.check(item, (*loc, str(key)), wrong) for key, item in value.items()}

    def at(self, part: str) -> _Type | None:
        return self.item


class Key:
    """One key: its type, its default and what an error says it expects.

    ``inside`` is said instead of ``expected`` for a value one level down
    (``[spoc.apps] production = ...``), when it differs.
    """

    __slots__ = ("default", "expected", "inside", "type")

    def __init__(self, type: _Type, default: Any, expected: str = "", inside: str = "") -> None:
        self.type, self.default, self.expected, self.inside = type, default, expected, inside


class _Table:
    """A table of known keys, each with its type and default; any other key is an error."""

    container = True

    def __init__(self, keys: Mapping[str, Key]) -> None:
        self.keys = keys

    def check(self, value: Any, loc: Path_, wrong: list[_Wrong]) -> Any:
        if not isinstance(value, Mapping):
            wrong.append(_Wrong(loc, value, shape=True))
            return None
        # A default goes through its type too, which copies it: no two settings share a list.
        checked = {
            name: key.type.check(value.get(name, key.default), (*loc, name), wrong) for name, key in self.keys.items()
        }
        valid = tuple(self.keys)
        wrong.extend(_Wrong((*loc, str(key)), item, valid=valid) for key, item in value.items() if key not in valid)
        return checked

    def at(self, part: str) -> _Type | None:
        key = self.keys.get(part)
        return key.type if key is not None else None


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(value)


_TRUE: Final = frozenset({"1", "on", "t", "true", "y", "yes"})
_WORDS: Final = _TRUE | {"0", "off", "f", "false", "n", "no"}


def _bool(value: Any) -> bool:
    # As pydantic's lax mode: 0 and 1 as numbers, and its words in any case (not stripped).
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in _WORDS:
        return value.lower() in _TRUE
    raise ValueError(value)


def _one_of(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        raise ValueError(value)

    return convert


_STR: Final = _Scalar(_str)
_NAMES: Final = _ListOf(_STR)
_TABLE_OF_NAMES: Final = _TableOf(_NAMES)

# The one place that says each core key's type, default and expected text.
KEYS: Final[dict[str, Key]] = {
    "mode": Key(_STR, "development", 'a string, e.g. mode = "production"'),
    "debug": Key(_Scalar(_bool), False, "true or false"),
    "apps": Key(
        _TABLE_OF_NAMES,
        {},
        'a table of lists of app names, e.g. production = ["blog"]',
        'a list of app names, e.g. production = ["blog"]',
    ),
    "modes": Key(
        _TABLE_OF_NAMES,
        {},
        'a table of mode cascades, e.g. test = ["test", "production"]',
        'a list of modes, strongest first, e.g. test = ["test", "production"]',
    ),
    "schema": Key(
        _Table({"modules": Key(_NAMES, []), "dependencies": Key(_TABLE_OF_NAMES, {})}),
        {},
        "a table with modules = [...] and [spoc.schema.dependencies]",
    ),
    "plugins": Key(
        _TABLE_OF_NAMES,
        {},
        'a table of lists of dotted paths, e.g. middleware = ["pkg.mod"]',
        'a list of dotted paths, e.g. middleware = ["pkg.mod"]',
    ),
    "disable_plugins": Key(_NAMES, [], 'a list of plugin names, e.g. ["timing"]', "a plugin name (a string)"),
    "plugin_errors": Key(_Scalar(_one_of("raise", "warn")), "raise", '"raise" or "warn"'),
    "pause_gc": Key(_Scalar(_bool), True, "true or false"),
}
CORE_KEYS: Final = tuple(KEYS)
"""The keys directly under ``[spoc]``; any other key must be a plugin's section (a table)."""
_CORE: Final = _Table(KEYS)


def _is_container(path: Path_) -> bool | None:
    """Return whether a list or table is expected at ``path``, or ``None`` when no key is there."""
    found: _Type | None = _CORE
    for part in path:
        found = found.at(part) if found is not None else None
    return found.container if found is not None else None


def _problem(wrong: _Wrong, origins: Mapping[Path_, Origin]) -> Problem:
    origin = origin_for(origins, wrong.loc)
    if wrong.valid is not None:
        key = "spoc." + ".".join(wrong.loc)
        return Problem(
            f"unknown key {key!r}{did_you_mean(wrong.loc[-1], wrong.valid)}; valid keys: {', '.join(wrong.valid)}",
            origin,
            key,
        )
    declared = KEYS[wrong.loc[0]]
    expected = declared.inside if len(wrong.loc) > 1 and declared.inside else declared.expected
    value = MASK if is_secret_name(wrong.loc) else wrong.value
    return invalid(wrong.loc, value, expected, origin, shape=wrong.shape)


def _validate(leaves: Mapping[Path_, Any], origins: Mapping[Path_, Origin]) -> tuple[dict[str, Any], list[Problem]]:
    wrong: list[_Wrong] = []
    values = _CORE.check(unflatten(decode_json(leaves, origins, _is_container)), (), wrong)
    return values, [_problem(item, origins) for item in wrong]


def validate_core(
    leaves: Mapping[Path_, Any], origins: Mapping[Path_, Origin], problems: list[Problem]
) -> dict[str, Any] | None:
    """Validate the core keys' leaves; add a :class:`Problem` per wrong value and return ``None`` if any.

    Returns:
        Every core key's value, coerced, defaults included: ``{"mode": ..., "schema": {"modules": ...}}``.
    """
    values, found = _validate(leaves, origins)
    problems.extend(found)
    return None if found else values


def check_core(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate core values given in code, e.g. ``{"debug": True}``; missing keys take their defaults.

    Raises:
        ConfigError: listing every wrong value.
    """
    checked, problems = _validate({(key,): value for key, value in values.items()}, {})
    raise_problems(problems)
    return checked
