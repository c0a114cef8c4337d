"""Turn pydantic's validation errors into problems that say which key, which value, and where it was set.

pydantic knows what is wrong; the sources know where each value came from
(:meth:`~spoc.settings.sources.ProjectSources.origin_of`). A secret's value is
never shown.
"""

from __future__ import annotations

import collections.abc
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError

from spoc.errors import did_you_mean
from spoc.settings.origins import ConfigProblem, KeyPath, Origin
from spoc.settings.secrets import MASK, is_secret_name

__all__ = ["annotation_at", "problems_of_settings_error", "problems_of_validation_error"]

_SHAPE_ERRORS: Final = ("list_type", "dict_type", "model_type", "model_attributes_type", "tuple_type", "set_type")
JSON_HINT: Final = "; a variable gives lists and tables as JSON, e.g. SPOC_DISABLE_PLUGINS='[\"timing\"]'"
_FIELD_IN_SETTINGS_ERROR: Final = re.compile(r'field "([^"]+)"')


def _unwrap(annotation: Any) -> list[Any]:
    """Return the alternatives of a type: ``Optional[list[str]]`` is ``[list[str], None]``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [alt for arg in get_args(annotation) for alt in _unwrap(arg)]
    return [annotation]


def _field(model: type[BaseModel], name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info
    return None


def annotation_at(model: Any, path: KeyPath) -> Any:
    """Return the type expected at ``path`` inside ``model``, or ``None`` when it cannot be told."""
    current = model
    for part in path:
        step = None
        for alt in _unwrap(current):
            if isinstance(alt, type) and issubclass(alt, BaseModel):
                info = _field(alt, part)
                step = info.annotation if info is not None else None
            elif get_origin(alt) in (dict, Mapping, collections.abc.Mapping) and get_args(alt):
                step = get_args(alt)[1]
            elif get_origin(alt) in (list, tuple, set, frozenset) and get_args(alt) and part.isdigit():
                step = get_args(alt)[0]
            if step is not None:
                break
        if step is None:
            return None
        current = step
    return current


def _is_secret(model: Any, path: KeyPath) -> bool:
    names = {getattr(alt, "__name__", "") for alt in _unwrap(annotation_at(model, path))}
    return is_secret_name(path) or bool(names & {"SecretStr", "SecretBytes", "Secret"})


def _expected(model: Any, loc: KeyPath, message: str) -> str:
    """Say what a value at ``loc`` should be: the model's own words for it, else its type and pydantic's message."""
    hints: Mapping[str, str] = getattr(model, "EXPECTED", {})
    hint = (hints.get(f"{loc[0]}.*") or hints.get(loc[0])) if len(loc) > 1 else hints.get(loc[0]) if loc else None
    if hint is not None:
        return hint
    annotation = annotation_at(model, loc)
    # A plain class by its name; list[str] and friends as written (on 3.10 they pass isinstance(type)).
    plain = isinstance(annotation, type) and typing.get_origin(annotation) is None
    name = annotation.__name__ if plain else str(annotation).replace("typing.", "")
    return f"{name} ({message})"


def _shown(value: Any, *, secret: bool) -> str:
    """Show a wrong value: masked when secret; a table by its keys only, since its values may hold secrets."""
    if secret:
        return repr(MASK)
    if isinstance(value, Mapping):
        return f"a table with keys {', '.join(map(str, value)) or '(none)'}"
    return repr(value)


def problems_of_validation_error(
    model: type[BaseModel],
    error: ValidationError,
    origin_of: Callable[[KeyPath], Origin | None],
    prefix: KeyPath = (),
) -> list[ConfigProblem]:
    """Return one problem per error of ``error``, each naming the key, the value and where it was set.

    Args:
        model: the model validated.
        error: what pydantic raised.
        origin_of: where the value at a path below ``[spoc]`` was set.
        prefix: the model's own path below ``[spoc]`` (``("timing",)`` for a section).
    """
    problems = []
    for item in error.errors():
        loc = tuple(str(part) for part in item["loc"])
        path = (*prefix, *loc)
        key = "spoc." + ".".join(path)
        origin = origin_of(path)
        if item["type"] == "extra_forbidden":
            parent = annotation_at(model, loc[:-1]) if loc[:-1] else model
            fields = list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
            fields = [_field(parent, name).alias or name for name in fields] if fields else []
            message = f"unknown key {key!r}{did_you_mean(loc[-1], fields)}; valid keys: {', '.join(fields) or 'none'}"
            problems.append(ConfigProblem(message, origin, key))
        elif item["type"] == "missing":
            variable = "SPOC_" + "__".join(path).upper()
            problems.append(ConfigProblem(f"{key!r} is required: set it in spoc.toml or as {variable}", None, key))
        else:
            shown = _shown(item.get("input"), secret=_is_secret(model, loc) or is_secret_name(prefix))
            expected = _expected(model, loc, item["msg"])
            if item["type"] in _SHAPE_ERRORS and origin is not None and origin.source in ("environment", "dotenv"):
                expected += JSON_HINT
            problems.append(ConfigProblem(f"{key!r} = {shown} is invalid: expected {expected}", origin, key))
    return problems


def problems_of_settings_error(
    model: type[BaseModel], error: SettingsError, origin_of: Callable[[KeyPath], Origin | None], raw: Any
) -> list[ConfigProblem]:
    """Return the problem of a variable pydantic-settings could not decode (a list or table not written as JSON)."""
    found = _FIELD_IN_SETTINGS_ERROR.search(str(error))
    name = found.group(1) if found else ""
    path = (name,) if name else ()
    origin = origin_of(path) if path else None
    key = "spoc." + name
    value = MASK if _is_secret(model, path) else raw(path) if path else None
    expected = _expected(model, path, "not valid JSON") if path else "valid JSON"
    return [ConfigProblem(f"{key!r} = {value!r} is invalid: expected {expected}{JSON_HINT}", origin, key)]
