"""SPOC: a plugin host for modular monoliths, built on pluggy.

This module only re-exports the public API. What app modules use at import
time (the markers, the component decorators, the errors) is imported here;
the rest on first use, so that ``import spoc`` stays about as light as
``import pluggy`` and imports no pydantic.
"""

from __future__ import annotations

import importlib
import typing

from spoc.components import Components, component
from spoc.errors import SpocError
from spoc.markers import hookimpl, hookspec

if typing.TYPE_CHECKING:
    from spoc.checks import Problem
    from spoc.cli.context import CommandContext
    from spoc.framework import Framework
    from spoc.lifecycle import Step
    from spoc.plugins.host import PluginRecord
    from spoc.schema import Hook, Schema
    from spoc.settings.model import Settings
    from spoc.workers.spec import worker
    from spoc.workers.supervisor import Worker

__version__ = "0.1.0"

__all__ = [
    "CommandContext",
    "Components",
    "Framework",
    "Hook",
    "PluginRecord",
    "Problem",
    "Schema",
    "Settings",
    "SpocError",
    "Step",
    "Worker",
    "__version__",
    "component",
    "hookimpl",
    "hookspec",
    "worker",
]

# Imported on first use: the framework and the settings model (pydantic) are heavy.
_LAZY = {
    "CommandContext": "spoc.cli.context",
    "Framework": "spoc.framework",
    "Hook": "spoc.schema",
    "PluginRecord": "spoc.plugins.host",
    "Problem": "spoc.checks",
    "Schema": "spoc.schema",
    "Settings": "spoc.settings.model",
    "Step": "spoc.lifecycle",
    "Worker": "spoc.workers.supervisor",
    "worker": "spoc.workers.spec",
}


def __getattr__(name: str) -> typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'spoc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
