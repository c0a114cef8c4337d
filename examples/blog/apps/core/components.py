"""The component types of this project: every app tags its code with these.

Not a Schema module: a plain helper module that other apps import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import spoc

T = TypeVar("T")

types = spoc.Components("model", "service")
types.add_type("view", {"method": "GET"})

model = types.register("model")
service = types.register("service")


def view(route: str) -> Callable[[T], T]:
    """Tag a view function with the route it answers."""
    return types.register("view", metadata={"route": route})
