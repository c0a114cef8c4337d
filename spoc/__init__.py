"""SPOC: a plugin host for modular monoliths, built on pluggy.

This module only re-exports the public API; see ``spoc.framework``.
"""

from __future__ import annotations

from spoc.components import Components, component
from spoc.errors import SpocError
from spoc.framework import Framework
from spoc.markers import hookimpl, hookspec
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
