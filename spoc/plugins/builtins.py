"""SPOC's own behaviour, registered as a plugin through the public hooks."""

from __future__ import annotations

from typing import Any

from spoc.lifecycle import Step, execute_directly
from spoc.markers import hookimpl


@hookimpl(trylast=True)
def spoc_invoke(component: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call the component itself: the innermost link of the ``fw.invoke`` chain."""
    return component(*args, **kwargs)


@hookimpl(trylast=True)
def spoc_run_step(step: Step, undo: bool) -> Any:
    """Run the lifecycle step (or its undo) itself: the innermost link of the lifecycle chain."""
    return execute_directly(step, undo)
