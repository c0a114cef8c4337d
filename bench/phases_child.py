"""Time one start of a generated project in-process, phase by phase; print JSON.

Run as a script in a fresh process: ``python phases_child.py spoc|floor PROJECT``.
Both modes first import SPOC's declared dependencies (pluggy,
pydantic-settings), timed apart. ``floor`` then imports the app packages with
the collector on, and the Schema modules with it paused, as SPOC's
construction and startup do (``pause_gc``); the modules' decorators are
SPOC's own, as in ``floor.py``. ``spoc`` builds a Framework, starts and stops it, and times each
startup step through a ``spoc_run_step`` wrapper, public API only, so that
the two can be subtracted. Times are the process's CPU time
(``time.process_time``), which other work on the machine does not stretch as
it does the wall time. Stdlib and spoc only: this file is what the measured
process runs.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path
from typing import Any

DEPENDENCIES = ("pluggy", "pydantic_settings")


def _read_order(base: Path) -> list[str]:
    return (base / "import_order.txt").read_text(encoding="utf-8").split()


def _import_dependencies() -> float:
    began = time.process_time()
    for name in DEPENDENCIES:
        importlib.import_module(name)
    return time.process_time() - began


def floor(base: Path) -> dict[str, Any]:
    """Import the modules as plain Python would; time dependencies, packages and modules apart."""
    order = _read_order(base)
    sys.path.insert(0, str(base))
    dependencies = _import_dependencies()
    packages = [name for name in order if name.count(".") == 1]
    modules = [name for name in order if name.count(".") == 2]
    began = time.process_time()
    for name in packages:
        importlib.import_module(name)
    packages_done = time.process_time()
    gc.disable()
    try:
        for name in modules:
            importlib.import_module(name)
    finally:
        gc.enable()
    end = time.process_time()
    return {
        "dependencies": dependencies,
        "packages": packages_done - began,
        "modules": end - packages_done,
        "count": len(modules),
    }


def framework(base: Path) -> dict[str, Any]:
    """Build, start and stop a Framework; time the import, construction, every step kind and shutdown."""
    dependencies = _import_dependencies()
    began = time.process_time()
    import spoc
    from spoc.framework import Framework

    imported = time.process_time()
    steps: dict[str, float] = defaultdict(float)

    class StepTimer:
        """Times every lifecycle step SPOC runs, by kind (its own cost is in ``machinery``)."""

        @spoc.hookimpl(wrapper=True)
        def spoc_run_step(self, step: Any, undo: bool) -> Generator[None, Any, Any]:
            start = time.process_time()
            try:
                return (yield)
            finally:
                steps[("undo " if undo else "") + step.kind] += time.process_time() - start

    fw = Framework(base, plugins=[StepTimer()])
    constructed = time.process_time()
    fw.startup()
    started = time.process_time()
    modules = len(fw.modules)
    fw.shutdown()
    stopped = time.process_time()
    return {
        "dependencies": dependencies,
        "import_spoc": imported - began,
        "construct": constructed - imported,
        "startup": started - constructed,
        "shutdown": stopped - started,
        "steps": dict(steps),
        "count": modules,
    }


class _CollectorClock:
    """Adds up the time the cyclic garbage collector runs, through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.process_time()
        else:
            self.seconds += time.process_time() - self._began


def main(argv: list[str]) -> int:
    mode, base = argv[0], Path(argv[1]).resolve()
    # This file's folder (bench/) is not the project's: nothing should be imported from it.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    os.chdir(base)
    clock = _CollectorClock()
    gc.callbacks.append(clock)
    result = floor(base) if mode == "floor" else framework(base)
    gc.callbacks.remove(clock)
    result["gc"] = clock.seconds
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
