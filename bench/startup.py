"""Startup: a whole start against the plain-import floor, N apps x 3 modules.

For each flavour and size: whole processes (``run.py`` against ``floor.py``:
wall time, CPU time and peak RSS), then in-process phase timings
(``phases_child.py``), each pair interleaved round by round. The floor
imports SPOC's declared dependencies, then the same modules in the same
order (:mod:`bench.workloads`). The target is given on both clocks: the wall
time is what the issue names, the CPU time (user + system, the child's own)
is what other work on a shared machine stretches least.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench.harness import Row, Stat, child_env, compile_bytecode, interleave, median_ms, ratios, run_json, run_process
from bench.workloads import FLAVOURS, Project, make_project

__all__ = ["PHASES", "measure", "own_phases"]

PHASES_CHILD: Final = Path(__file__).with_name("phases_child.py")
LARGE: Final = 1000
WHOLE_LIMIT: Final = 1.10  # issue 12: at N = 1,000, both flavours
MODES: Final = ("floor", "spoc")
PHASES: Final = ("import spoc", "construct", "import", "hooks", "machinery", "shutdown")
# SPOC's own work that grows with the project. Not construct (its fixed part would flatter the ratio), nor
# import (SPOC's import steps less the floor's imports: a difference of two large numbers, mostly noise).
_SCALING: Final = ("hooks", "machinery", "shutdown")


def own_phases(floor: Mapping[str, Any], spoc: Mapping[str, Any]) -> dict[str, float]:
    """SPOC's own seconds per phase, from one floor and one framework phase run.

    ``construct`` less the floor's app-package imports, ``import`` (the
    import steps: importing, registering hookimpls, collecting components)
    less the floor's module imports, ``hooks`` every other step,
    ``machinery`` what startup spent outside any step (planning the steps,
    the ``spoc_run_step`` call through pluggy and the timing wrapper itself),
    ``shutdown`` the whole of it.
    """
    steps: Mapping[str, float] = spoc["steps"]
    in_steps = sum(value for key, value in steps.items() if not key.startswith("undo "))
    own = {
        "import spoc": spoc["import_spoc"],
        "construct": spoc["construct"] - floor["packages"],
        "import": steps.get("import", 0.0) - floor["modules"],
        "hooks": in_steps - steps.get("import", 0.0),
        "machinery": spoc["startup"] - in_steps,
        "shutdown": spoc["shutdown"],
    }
    own["total"] = sum(own[phase] for phase in PHASES)
    return own


def _whole(project: Project, rounds: int) -> dict[str, list[Any]]:
    env = child_env()
    python = sys.executable
    commands = {"floor": [python, str(project.floor_script)], "spoc": [python, str(project.run_script)]}
    compile_bytecode(python, project.path)
    for command in commands.values():  # brings every file into the page cache; not measured
        run_process(command, env=env, cwd=project.path, capture=True)
    runs = {
        name: partial(run_process, command, env=env, cwd=project.path, capture=True)
        for name, command in commands.items()
    }
    return interleave(runs, rounds)


def _phases(project: Project, rounds: int) -> dict[str, list[Any]]:
    env = child_env()
    python = sys.executable
    runs = {mode: partial(run_json, [python, str(PHASES_CHILD), mode, str(project.path)], env=env) for mode in MODES}
    return interleave(runs, rounds)


def _whole_rows(project: Project, whole: Mapping[str, list[Any]]) -> list[Row]:
    flavour, size = project.flavour, project.apps
    limit = WHOLE_LIMIT if size == LARGE else None
    floor_s = [sample.seconds for sample in whole["floor"]]
    spoc_s = [sample.seconds for sample in whole["spoc"]]
    floor_cpu = [sample.cpu for sample in whole["floor"]]
    spoc_cpu = [sample.cpu for sample in whole["spoc"]]
    own_us = [(spoc - floor) / project.modules * 1e6 for spoc, floor in zip(spoc_cpu, floor_cpu, strict=True)]
    return [
        Row(
            "startup",
            f"whole process / floor, wall time, {flavour}, N={size}",
            ratios(spoc_s, floor_s),
            "x",
            limit,
            f"floor {median_ms(floor_s)}, spoc {median_ms(spoc_s)}",
        ),
        Row(
            "startup",
            f"whole process / floor, CPU time, {flavour}, N={size}",
            ratios(spoc_cpu, floor_cpu),
            "x",
            limit,
            f"floor {median_ms(floor_cpu)}, spoc {median_ms(spoc_cpu)} (user + system)",
        ),
        Row(
            "startup",
            f"SPOC own per module (whole process, CPU time), {flavour}, N={size}",
            Stat.of(own_us),
            "us",
            detail="(spoc - floor) / modules",
        ),
    ]


def _phase_rows(project: Project, phases: Mapping[str, list[Any]], own: list[dict[str, float]]) -> list[Row]:
    flavour, size = project.flavour, project.apps
    rows = [
        Row(
            "startup",
            f"in-process {phase}, {flavour}, N={size}",
            Stat.of([sample[phase] / project.modules * 1e6 for sample in own]),
            "us",
            detail="per module" + (" (fixed cost, spread over the modules)" if phase == "import spoc" else ""),
        )
        for phase in own[0]
    ]
    for mode in MODES:
        rows.append(
            Row(
                "startup",
                f"in-process cyclic GC during the start, {mode}, {flavour}, N={size}",
                Stat.of([sample["gc"] / project.modules * 1e6 for sample in phases[mode]]),
                "us",
                detail="per module; both pause it while importing the modules",
            )
        )
    return rows


def measure(
    root: Path, sizes: Sequence[int], rounds: Mapping[int, int], phase_rounds: Mapping[int, int], log: Any = print
) -> tuple[list[Row], dict[str, Any]]:
    """Generate, run and summarise every size and flavour; return table rows and raw samples."""
    rows: list[Row] = []
    memory: list[Row] = []
    raw: dict[str, Any] = {}
    largest = max(sizes)
    for flavour in FLAVOURS:
        per_module: dict[int, list[float]] = {}
        for size in sizes:
            project = make_project(root, size, flavour)
            log(f"startup: {flavour}, N={size} ({project.modules} modules)")
            whole = _whole(project, rounds[size])
            rows += _whole_rows(project, whole)
            phases = _phases(project, phase_rounds[size])
            own = [own_phases(floor, spoc) for floor, spoc in zip(phases["floor"], phases["spoc"], strict=True)]
            per_module[size] = [sum(sample[phase] for phase in _SCALING) / project.modules * 1e6 for sample in own]
            if size == largest:
                rows += _phase_rows(project, phases, own)
                floor_rss = [sample.max_rss for sample in whole["floor"]]
                spoc_rss = [sample.max_rss for sample in whole["spoc"]]
                memory.append(
                    Row(
                        "imports",
                        f"peak RSS / floor, {flavour}, N={size}",
                        ratios(spoc_rss, floor_rss),
                        "x",
                        detail=f"floor {statistics.median(floor_rss) / 2**20:.1f} MiB, "
                        f"spoc {statistics.median(spoc_rss) / 2**20:.1f} MiB",
                    )
                )
            raw[f"{flavour}/{size}"] = {
                "modules": project.modules,
                "whole": {name: [vars(sample) for sample in samples] for name, samples in whole.items()},
                "phases": phases,
                "own": own,
            }
        if len(sizes) > 1:
            rows.append(_linearity(flavour, sizes, per_module))
    return rows + memory, raw


def _linearity(flavour: str, sizes: Sequence[int], per_module: Mapping[int, list[float]]) -> Row:
    """Per-module cost of SPOC's own scaling phases (:data:`_SCALING`) at the largest N over the next one down."""
    big, small = sorted(sizes)[-1], sorted(sizes)[-2]
    top, bottom = per_module[big], per_module[small]
    stat = Stat(
        statistics.median(top) / statistics.median(bottom), min(top) / max(bottom), max(top) / min(bottom), len(top)
    )
    return Row(
        "startup",
        f"linearity: per-module cost N={big} / N={small}, {flavour}",
        stat,
        "x",
        detail=f"{'+'.join(_SCALING)}: {statistics.median(top):.1f} vs {statistics.median(bottom):.1f} us",
    )
