"""Decide which settings are secret and hide their values wherever SPOC prints them.

A value is secret when its name ends in ``KEY``, ``TOKEN``, ``SECRET`` or
``PASSWORD`` (any case: ``api_key``, ``SPOC_STRIPE__TOKEN``), or when it is a
pydantic ``SecretStr``/``SecretBytes``. The check needs no pydantic import.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

__all__ = ["MASK", "SECRET_SUFFIXES", "is_secret_name", "is_secret_value", "shown"]

MASK: Final = "**********"
SECRET_SUFFIXES: Final = ("KEY", "TOKEN", "SECRET", "PASSWORD")
_SECRET_TYPES: Final = ("SecretStr", "SecretBytes", "Secret")


def is_secret_name(names: str | Iterable[object]) -> bool:
    """Return whether a setting's name, or any part of its dotted path, names a secret."""
    parts = [names] if isinstance(names, str) else [str(name) for name in names]
    return any(part.upper().endswith(SECRET_SUFFIXES) for part in parts)


def is_secret_value(value: object) -> bool:
    """Return whether ``value`` is a pydantic secret, judged by its type's name (pydantic stays unimported)."""
    return any(cls.__name__ in _SECRET_TYPES and cls.__module__.startswith("pydantic") for cls in type(value).__mro__)


def shown(value: Any, path: str | Iterable[object] = ()) -> Any:
    """Return ``value`` as SPOC may print it: :data:`MASK` for a secret, else unchanged."""
    return MASK if is_secret_name(path) or is_secret_value(value) else value
