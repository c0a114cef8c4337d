"""``Framework(echo=True)``: print each lifecycle step as it runs, and its undo at shutdown.

Upstream SPOC 0.3 printed its progress with ``echo=True``; this keeps that
habit, as a ``wrapper=True`` implementation of ``spoc_run_step`` that sees every
step, like any plugin's middleware would.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any, Final, TextIO

from spoc.lifecycle import Step
from spoc.markers import hookimpl

__all__ = ["LifecycleEcho"]

# Step kind -> (what its run is called, what its undo is called); kinds not here are not shown.
VERBS: Final[dict[str, tuple[str, str]]] = {
    "import": ("import", "unload"),
    "initialize": ("init", "teardown"),
    "spoc_register_components": ("register", ""),
    "spoc_startup": ("start", "stop"),
    "worker": ("start", "stop"),
}


class LifecycleEcho:
    """Prints ``  import    blog.models``, ``  start     blog``... as the lifecycle runs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    @hookimpl(wrapper=True)
    def spoc_run_step(self, step: Step, undo: bool) -> Generator[None, Any, Any]:
        """Print the step before it runs."""
        verb = VERBS.get(step.kind, ("", ""))[1 if undo else 0]
        if verb and step.target:
            print(f"  {verb:<9} {step.target}", file=self.stream or sys.stdout, flush=True)
        return (yield)
