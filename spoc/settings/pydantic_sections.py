"""Validate a plugin's settings section with its pydantic model, saying where each wrong value was set.

Imported only when a plugin or an app declares a section: its model is a
pydantic class, so pydantic is loaded by then anyway, while the core keys are
checked without it (:mod:`spoc.core_keys`). SPOC reads every source itself,
as pydantic-settings' sources would, because each value must know its file and
line or its variable; pydantic validates the merged result.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Final, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from spoc.errors import did_you_mean
from spoc.settings.layers import Origin, Path_, Problem, decode_json, invalid, origin_for, unflatten
from spoc.settings.secrets import MASK, is_secret_name

__all__ = ["annotation_at", "validate_section"]

ModelT = TypeVar("ModelT", bound=BaseModel)

_SHAPE_ERRORS: Final = ("list_type", "dict_type", "model_type", "model_attributes_type", "tuple_type", "set_type")
_COMPLEX: Final = (list, tuple, set, frozenset, dict)
_ABCS: Final = (collections.abc.Mapping, collections.abc.Sequence, collections.abc.Set)


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


def annotation_at(model: Any, path: Path_) -> Any:
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


def _is_complex(annotation: Any) -> bool:
    for alt in _unwrap(annotation):
        origin = get_origin(alt) or alt
        if isinstance(origin, type) and (issubclass(origin, (*_COMPLEX, BaseModel)) or origin in _ABCS):
            return True
    return False


def _is_secret(model: Any, path: Path_) -> bool:
    names = {getattr(alt, "__name__", "") for alt in _unwrap(annotation_at(model, path))}
    return is_secret_name(path) or bool(names & {"SecretStr", "SecretBytes", "Secret"})


def _problem(
    model: type[BaseModel], error: Mapping[str, Any], origins: Mapping[Path_, Origin], prefix: Path_
) -> Problem:
    loc = tuple(str(part) for part in error["loc"])
    origin = origin_for(origins, loc)
    key = "spoc." + ".".join((*prefix, *loc))
    if error["type"] == "extra_forbidden":
        parent = annotation_at(model, loc[:-1]) if loc[:-1] else model
        fields = list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        fields = [_field(parent, name).alias or name for name in fields] if fields else []
        return Problem(
            f"unknown key {key!r}{did_you_mean(loc[-1], fields)}; valid keys: {', '.join(fields) or 'none'}",
            origin,
            key,
        )
    if error["type"] == "missing":
        variable = "SPOC_" + "__".join((*prefix, *loc)).upper()
        return Problem(f"{key!r} is required: set it in spoc.toml or as {variable}", None, key)
    value = MASK if _is_secret(model, loc) or is_secret_name(prefix) else error.get("input")
    annotation = annotation_at(model, loc)
    # A plain class by its name; list[str] and friends as written (on 3.10 they pass isinstance(type)).
    plain = isinstance(annotation, type) and typing.get_origin(annotation) is None
    name = annotation.__name__ if plain else None
    expected = f"{name or str(annotation).replace('typing.', '')} ({error['msg']})"
    return invalid((*prefix, *loc), value, expected, origin, shape=error["type"] in _SHAPE_ERRORS)


def _only_given_values(
    cls: type[BaseModel], /, settings_cls: type[BaseModel], init_settings: Any, **_: Any
) -> tuple[Any]:
    return (init_settings,)


def _without_own_sources(model: type[ModelT]) -> type[ModelT]:
    """Keep a plugin's ``BaseSettings`` section from reading the environment or files a second time.

    SPOC has read every source already; pydantic-settings would read ``os.environ``
    again (without the ``SPOC_`` prefix) when the model is validated.
    """
    if not any(
        cls.__name__ == "BaseSettings" and cls.__module__.startswith("pydantic_settings") for cls in model.__mro__
    ):
        return model
    namespace = {"__module__": model.__module__, "settings_customise_sources": classmethod(_only_given_values)}
    return type(model.__name__, (model,), namespace)


def validate_section(
    model: type[ModelT],
    leaves: Mapping[Path_, Any],
    origins: Mapping[Path_, Origin],
    problems: list[Problem],
    prefix: Path_,
) -> ModelT | None:
    """Validate ``leaves`` with ``model``; add a :class:`Problem` per wrong value and return ``None`` if any.

    ``prefix`` is the section's path below ``[spoc]`` (``("timing",)``), used in messages.
    """

    def is_container(path: Path_) -> bool | None:
        annotation = annotation_at(model, path)
        return _is_complex(annotation) if annotation is not None else None

    values = unflatten(decode_json(leaves, origins, is_container))
    try:
        return _without_own_sources(model).model_validate(values)
    except ValidationError as exc:
        # Not chained: pydantic's own message would print the values, secrets included.
        problems.extend(_problem(model, error, origins, prefix) for error in exc.errors())
        return None
