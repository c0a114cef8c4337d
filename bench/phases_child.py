"""Time one start of a generated project in-process, phase by phase; print JSON.

Run as a script in a fresh process: ``python phases_child.py spoc|floor PROJECT``.
``floor`` imports the project's modules in SPOC's order with no framework and
times that; ``spoc`` builds a Framework, starts and stops it, and times each
phase through a ``spoc_run_step`` wrapper, so the two can be subtracted.
Stdlib and spoc only: this file is what the measured process runs.
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

# Construction helpers timed by name when spoc.framework still calls them by that name.
_CONSTRUCT_PARTS = {
    "load_project_config": "config",
    "import_order": "ordering",
    "load_entry_point_plugins": "discovery",
}


def _read_order(base: Path) -> list[str]:
    return (base / "import_order.txt").read_text(encoding="utf-8").split()


def floor(base: Path) -> dict[str, Any]:
    """Import the modules as plain Python would; time packages and modules apart."""
    order = _read_order(base)
    sys.path.insert(0, str(base))
    start = time.perf_counter()
    import spoc  # noqa: F401 - the modules import it; timed apart from their own import

    spoc_done = time.perf_counter()
    packages = [name for name in order if name.count(".") == 1]
    modules = [name for name in order if name.count(".") == 2]
    for name in packages:
        importlib.import_module(name)
    packages_done = time.perf_counter()
    for name in modules:
        importlib.import_module(name)
    end = time.perf_counter()
    return {
        "import_spoc": spoc_done - start,
        "packages": packages_done - spoc_done,
        "modules": end - packages_done,
        "count": len(modules),
    }


def framework(base: Path) -> dict[str, Any]:
    """Build, start and stop a Framework; time construct, every step kind, components and shutdown."""
    start = time.perf_counter()
    import spoc
    import spoc.framework

    spoc_done = time.perf_counter()
    totals: dict[str, float] = defaultdict(float)

    def timed(part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals[part] += time.perf_counter() - began

        return run

    for attribute, part in _CONSTRUCT_PARTS.items():
        if callable(getattr(spoc.framework, attribute, None)):
            setattr(spoc.framework, attribute, timed(part, getattr(spoc.framework, attribute)))

    class StepTimer:
        """Times every lifecycle step SPOC runs, by kind."""

        @spoc.hookimpl(wrapper=True)
        def spoc_run_step(self, step: Any, undo: bool) -> Generator[None, Any, Any]:
            began = time.perf_counter()
            try:
                return (yield)
            finally:
                totals[("undo " if undo else "step ") + step.kind] += time.perf_counter() - began

    fw = spoc.framework.Framework(base, plugins=[StepTimer()])
    constructed = time.perf_counter()
    # An instance attribute: the registry's own method, timed, for this one framework.
    fw._components.collect = timed("components", fw._components.collect)  # type: ignore[method-assign]
    began = time.perf_counter()
    fw.startup()
    started = time.perf_counter()
    modules = len(fw.modules)
    fw.shutdown()
    stopped = time.perf_counter()
    return {
        "import_spoc": spoc_done - start,
        "construct": constructed - spoc_done,
        "startup": started - began,
        "shutdown": stopped - started,
        "parts": dict(totals),
        "count": modules,
    }


class _CollectorClock:
    """Adds up the time the cyclic garbage collector runs, through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._began


def main(argv: list[str]) -> int:
    mode, base = argv[0], Path(argv[1]).resolve()
    clock = _CollectorClock()
    gc.callbacks.append(clock)
    result = floor(base) if mode == "floor" else framework(base)
    gc.callbacks.remove(clock)
    result["gc"] = clock.seconds
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
