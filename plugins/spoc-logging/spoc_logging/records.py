"""The structured record of one invoke call: which component, how long, how it ended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from spoc.framework import Framework

__all__ = ["component_name", "invoke_record", "masked_kwargs"]

# The suffixes SPOC treats as secrets in settings; arguments get the same care.
SECRET_SUFFIXES: Final = ("KEY", "TOKEN", "SECRET", "PASSWORD")
MASK: Final = "***"


def component_name(framework: Framework, component: Any) -> tuple[str | None, str]:
    """Return ``(kind, "app.Name")`` as the framework registered the component, else ``(None, dotted path)``."""
    for kind in framework.components:
        for name, registered in getattr(framework.components, kind).items():
            if registered is component:
                return kind, name
    module = getattr(component, "__module__", None) or "?"
    return None, f"{module}.{getattr(component, '__qualname__', type(component).__qualname__)}"


def masked_kwargs(kwargs: Mapping[str, Any]) -> dict[str, str]:
    """Return each keyword argument's ``repr``, with secrets (``api_key``, ``password``...) masked."""
    return {name: MASK if name.upper().endswith(SECRET_SUFFIXES) else repr(value) for name, value in kwargs.items()}


def invoke_record(
    framework: Framework,
    component: Any,
    seconds: float,
    error: BaseException | None = None,
    arguments: tuple[tuple[Any, ...], Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the record of one call, ready for ``json.dumps``.

    Args:
        framework: the framework that made the call, to name the component.
        component: the component called.
        seconds: how long the call took.
        error: what it raised, if anything.
        arguments: ``(args, kwargs)`` to include, or ``None`` to leave them out.
    """
    kind, name = component_name(framework, component)
    record: dict[str, Any] = {
        "event": "invoke",
        "component": name,
        "kind": kind,
        "duration_ms": round(seconds * 1000, 3),
        "outcome": "ok" if error is None else "error",
    }
    if error is not None:
        record["error"] = {"type": type(error).__name__, "message": str(error)}
    if arguments is not None:
        args, kwargs = arguments
        record["args"] = [repr(value) for value in args]
        record["kwargs"] = masked_kwargs(kwargs)
    return record
