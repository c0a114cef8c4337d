"""Section 1 (and the N = 1,000 half of 5): a whole start against the plain-import floor.

For each flavour and size: whole processes (``run_spoc.py`` against
``run_floor.py``: wall time and peak RSS), then in-process phase timings
(``phases_child.py``), each pair interleaved round by round.
"""

from __future__ import annotations

import compileall
import statistics
import sys
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench.harness import Row, Stat, child_env, interleave, ratios, run_json, run_process
from bench.workloads import FLAVOURS, Project, make_project

__all__ = ["PHASES", "measure", "own_phases"]

PHASES_CHILD: Final = Path(__file__).with_name("phases_child.py")
LARGE: Final = 1000
# The targets, at N = 1,000.
WHOLE_LIMIT: Final = {"dataclass": 1.03, "plain": 1.08}
OWN_US_LIMIT: Final = 10.0
LINEAR_LIMIT: Final = 1.2
RSS_LIMIT: Final = 1.02
MODES: Final = ("floor", "spoc")
PHASES: Final = ("construct", "import", "components", "hooks", "dispatch", "shutdown")
# SPOC's own work that grows with the project. Not construct (its fixed part would flatter the
# ratio) nor import (SPOC's import steps less the floor's imports: a difference of two large
# numbers, below zero once the floor's garbage collections outweigh SPOC's own import work).
_SCALING: Final = ("components", "hooks", "dispatch", "shutdown")
_STEP_HOOKS: Final = ("schema_hook", "initialize", "spoc_register_components", "spoc_startup", "prepare")


def own_phases(floor: Mapping[str, Any], spoc: Mapping[str, Any]) -> dict[str, float]:
    """SPOC's own seconds per phase, from one floor and one framework phase run.

    ``construct`` less the floor's app-package imports, ``import`` steps less
    the components inside them and the floor's module imports, ``hooks`` the
    other steps, ``dispatch`` what startup spent outside any step (the step
    hook's own call cost), ``shutdown`` the whole of it.
    """
    parts: Mapping[str, float] = spoc["parts"]
    steps = sum(value for key, value in parts.items() if key.startswith("step "))
    components = parts.get("components", 0.0)
    own = {
        "construct": spoc["construct"] - floor["packages"],
        "import": parts.get("step import", 0.0) - components - floor["modules"],
        "components": components,
        "hooks": sum(parts.get(f"step {kind}", 0.0) for kind in _STEP_HOOKS),
        "dispatch": spoc["startup"] - steps,
        "shutdown": spoc["shutdown"],
    }
    for part in ("config", "discovery", "ordering"):
        if part in parts:
            own[f"construct: {part}"] = parts[part]
    own["total"] = sum(own[phase] for phase in PHASES)
    return own


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def _whole(project: Project, rounds: int, warm_up: bool) -> dict[str, list[Any]]:
    env = child_env()
    python = sys.executable
    commands = {"floor": [python, str(project.floor_script)], "spoc": [python, str(project.spoc_script)]}
    # Bytecode caches written here, not by whichever process happens to run first.
    compileall.compile_dir(project.path / "apps", quiet=1)
    if warm_up:  # brings SPOC's and its dependencies' files into the page cache; not measured
        for command in commands.values():
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


def measure(
    root: Path, sizes: Sequence[int], rounds: Mapping[int, int], phase_rounds: Mapping[int, int], log: Any = print
) -> tuple[list[Row], dict[str, Any]]:
    """Generate, run and summarise every size and flavour; return table rows and raw samples."""
    rows: list[Row] = []
    memory: list[Row] = []
    raw: dict[str, Any] = {}
    largest = max(sizes)
    for flavour in FLAVOURS:
        per_module_total: dict[int, list[float]] = {}
        for size in sizes:
            project = make_project(root, size, flavour)
            log(f"startup: {flavour}, N={size} ({project.modules} modules)")
            whole = _whole(project, rounds[size], warm_up=size == min(sizes))
            floor_s = [sample.seconds for sample in whole["floor"]]
            spoc_s = [sample.seconds for sample in whole["spoc"]]
            detail = f"floor {_seconds(statistics.median(floor_s))}, spoc {_seconds(statistics.median(spoc_s))}"
            rows.append(
                Row(
                    "startup",
                    f"whole process / floor, {flavour}, N={size}",
                    ratios(spoc_s, floor_s),
                    "x",
                    WHOLE_LIMIT[flavour] if size == LARGE else None,
                    detail,
                )
            )
            own_us = [(spoc - floor) / project.modules * 1e6 for spoc, floor in zip(spoc_s, floor_s, strict=True)]
            rows.append(
                Row(
                    "startup",
                    f"SPOC own per module (whole process), {flavour}, N={size}",
                    Stat.of(own_us),
                    "us",
                    OWN_US_LIMIT if size == LARGE else None,
                    "(spoc - floor) / modules",
                )
            )
            phases = _phases(project, phase_rounds[size])
            own = [own_phases(floor, spoc) for floor, spoc in zip(phases["floor"], phases["spoc"], strict=True)]
            per_module_total[size] = [
                sum(sample[phase] for phase in _SCALING) / project.modules * 1e6 for sample in own
            ]
            if size == largest:
                for phase in own[0]:
                    rows.append(
                        Row(
                            "startup",
                            f"in-process {phase}, {flavour}, N={size}",
                            Stat.of([sample[phase] / project.modules * 1e6 for sample in own]),
                            "us",
                            detail="per module",
                        )
                    )
                for mode in MODES:
                    rows.append(
                        Row(
                            "startup",
                            f"in-process cyclic GC during the start, {mode}, {flavour}, N={size}",
                            Stat.of([sample["gc"] / project.modules * 1e6 for sample in phases[mode]]),
                            "us",
                            detail="per module; pause_gc = true" if mode == "spoc" else "per module",
                        )
                    )
                floor_rss = [sample.max_rss for sample in whole["floor"]]
                spoc_rss = [sample.max_rss for sample in whole["spoc"]]
                memory.append(
                    Row(
                        "memory",
                        f"peak RSS / floor, {flavour}, N={size}",
                        ratios(spoc_rss, floor_rss),
                        "x",
                        RSS_LIMIT if size == LARGE else None,
                        f"floor {statistics.median(floor_rss) / 2**20:.1f} MiB, "
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
            rows.append(_linearity(flavour, sizes, per_module_total))
    return rows + memory, raw


def _linearity(flavour: str, sizes: Sequence[int], per_module: Mapping[int, list[float]]) -> Row:
    """Per-module cost of SPOC's own scaling phases (:data:`_SCALING`) at the largest N over the next one down.

    Construction is left out: its fixed part (reading config, discovery)
    would make any per-module ratio look better than linear.
    """
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
        LINEAR_LIMIT if big == LARGE else None,
        f"components+hooks+dispatch+shutdown: {statistics.median(top):.1f} vs {statistics.median(bottom):.1f} us",
    )
