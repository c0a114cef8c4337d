"""``SPOC_TRACE_HOOKS=1``: print every hook call, its implementations and its duration.

Built on pluggy's hook-call monitoring, so it sees every call, including the
ones SPOC makes one implementation at a time.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final, TextIO

import pluggy

__all__ = ["TRACE_VARIABLE", "install_tracing", "tracing_requested"]

TRACE_VARIABLE: Final = "SPOC_TRACE_HOOKS"


def tracing_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Return whether ``SPOC_TRACE_HOOKS`` asks for tracing (set, and not 0/false/no/off)."""
    value = (os.environ if environ is None else environ).get(TRACE_VARIABLE, "")
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def install_tracing(manager: pluggy.PluginManager, stream: TextIO | None = None) -> None:
    """Print each hook call as ``spoc: hook_name -> [plugins]`` and its end with the duration."""
    started: list[float] = []

    def before(hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        called = ", ".join(impl.plugin_name for impl in reversed(impls))
        print(f"spoc: {'  ' * len(started)}{hook_name} -> [{called}]", file=stream or sys.stderr)
        started.append(time.perf_counter())

    def after(
        outcome: pluggy.Result[Any], hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
    ) -> None:
        elapsed_ms = (time.perf_counter() - started.pop()) * 1000
        failed = "" if outcome.exception is None else f" raised {type(outcome.exception).__name__}"
        print(f"spoc: {'  ' * len(started)}{hook_name} done in {elapsed_ms:.3f} ms{failed}", file=stream or sys.stderr)

    manager.add_hookcall_monitoring(before, after)
