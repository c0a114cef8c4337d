"""SPOC: a plugin host for modular monoliths, built on pluggy.

This module only re-exports the public API. What app modules use at import
time (the markers, the component decorators, the errors) is imported here;
the rest (``Framework``, ``Schema``, ``Hook``, ``worker``) on first use, so
that ``import spoc`` costs little more than ``import pluggy``.
"""

from __future__ import annotations

import typing

from spoc.components import Components, component
from spoc.errors import SpocError
from spoc.markers import hookimpl, hookspec

if typing.TYPE_CHECKING:
    from spoc.framework import Framework
    from spoc.schema import Hook, Schema
    from spoc.worker_spec import worker

__version__ = "0.1.0"

__all__ = [
    "Components",
    "Framework",
    "Hook",
    "Schema",
    "SpocError",
    "__version__",
    "component",
    "hookimpl",
    "hookspec",
    "worker",
]

_LAZY = {"Framework": "spoc.framework", "Hook": "spoc.schema", "Schema": "spoc.schema", "worker": "spoc.worker_spec"}


def __getattr__(name: str) -> typing.Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'spoc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
