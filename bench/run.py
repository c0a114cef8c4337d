"""Run the benchmark suite: ``python -m bench [--quick] [--sections a,b] [--output FILE]``.

Generates every workload into a temp dir, runs the sections, prints one
table of ratios with the issue's targets, and writes it (with every raw
sample and the facts of the machine) as JSON to ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from bench import cli, discovery, dispatch, imports, scaleout, startup
from bench.harness import Row, child_env, format_table, run_json, write_json
from bench.workloads import make_project

__all__ = ["FULL", "QUICK", "SECTIONS", "Plan", "main", "run"]

REPO: Final = Path(__file__).resolve().parent.parent
SECTIONS: Final = ("startup", "dispatch", "discovery", "cli", "memory", "celery")
DEFAULT_OUTPUT: Final = REPO / "bench" / "results" / "latest.json"


@dataclass(frozen=True)
class Plan:
    """How much of everything to run; rounds are interleaved pairs (or sets)."""

    sizes: tuple[int, ...]
    rounds: dict[int, int]
    phase_rounds: dict[int, int]
    dispatch_rounds: int
    sample_ms: float
    dist_counts: tuple[int, ...] = (20, 320)
    discovery_rounds: int = 7
    cli_rounds: int = 9
    import_rounds: int = 15
    celery_tasks: int = 1000
    celery_rounds: int = 3
    notes: list[str] = field(default_factory=list)


FULL: Final = Plan(
    sizes=(10, 100, 1000),
    rounds={10: 7, 100: 5, 1000: 3},
    phase_rounds={10: 3, 100: 3, 1000: 2},
    dispatch_rounds=7,
    sample_ms=30,
)
QUICK: Final = Plan(
    sizes=(10, 100),
    rounds={10: 3, 100: 2},
    phase_rounds={10: 2, 100: 1},
    dispatch_rounds=3,
    sample_ms=10,
    discovery_rounds=3,
    cli_rounds=3,
    import_rounds=5,
    celery_tasks=200,
    celery_rounds=1,
)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(
    plan: Plan, sections: Sequence[str], workdir: Path, log: Callable[[str], None] = _log
) -> tuple[list[Row], dict[str, Any]]:
    """Run the chosen sections of ``plan`` with workloads under ``workdir``; return rows and raw samples."""
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    if "startup" in sections:
        made, raw["startup"] = startup.measure(workdir / "startup", plan.sizes, plan.rounds, plan.phase_rounds, log)
        rows += made
    if "dispatch" in sections:
        log("dispatch: ns per call")
        project = make_project(workdir / "dispatch", 3, "dataclass")
        command = [sys.executable, "-m", "bench.dispatch", str(project.path), str(plan.dispatch_rounds)]
        raw["dispatch"] = run_json([*command, str(plan.sample_ms)], env=child_env(), cwd=REPO)
        rows += dispatch.rows(raw["dispatch"])
    if "discovery" in sections:
        made, raw["discovery"] = discovery.measure(
            workdir / "discovery", plan.dist_counts, plan.discovery_rounds, REPO / "spoc", log
        )
        rows += made
    if "cli" in sections:
        project = make_project(workdir / "cli", 10, "dataclass")
        made, raw["cli"] = cli.measure(project.path, plan.cli_rounds, log)
        rows += made
    if "memory" in sections:
        made, raw["memory"] = imports.measure(plan.import_rounds, log)
        rows += made
    if "celery" in sections:
        made, raw["celery"] = scaleout.measure(workdir / "celery", plan.celery_tasks, plan.celery_rounds, log)
        rows += made
    order = {section: index for index, section in enumerate(SECTIONS)}
    return sorted(rows, key=lambda row: order[row.section]), raw


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    command = [git, "-C", str(REPO), "describe", "--always", "--dirty"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed command
    return done.stdout.strip() or "unknown"


def machine_facts() -> dict[str, Any]:
    """What a reader needs to judge the numbers: interpreter, versions, machine, load."""
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "spoc": importlib.metadata.version("spoc"),
        "pluggy": importlib.metadata.version("pluggy"),
        "commit": _commit(),
        "load_average_before": os.getloadavg(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run, print the table and write the JSON; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 10 and 100 only, fewer rounds: a smoke test")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of: {', '.join(SECTIONS)}")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON")
    parser.add_argument("--keep", action="store_true", help="keep the generated workloads and print where")
    args = parser.parse_args(argv)
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    plan = QUICK if args.quick else FULL
    meta = machine_facts()
    began = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="spoc-bench-"))
    try:
        rows, raw = run(plan, sections, workdir)
    finally:
        if args.keep:
            _log(f"workloads kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    meta.update(
        {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "quick": args.quick,
            "sections": sections,
            "plan": asdict(plan),
            "seconds": round(time.perf_counter() - began, 1),
            "load_average_after": os.getloadavg(),
            "autoload": "benchmark processes run with SPOC_DISABLE_PLUGIN_AUTOLOAD=1 unless a row says otherwise",
        }
    )
    print(
        f"SPOC {meta['spoc']} (pluggy {meta['pluggy']}), Python {meta['python']} on {meta['cpu']} x{meta['cpus']}, "
        f"load {meta['load_average_before'][0]:.1f} -> {meta['load_average_after'][0]:.1f}, {meta['seconds']} s"
    )
    print(format_table(rows))
    write_json(args.output, rows, meta, raw)
    _log(f"wrote {args.output}")
    return 0
