"""Run the benchmark suite: ``python -m bench [SECTION ...] [--quick] [--output FILE]``.

Generates every workload into a temp dir, runs the sections, prints one
table of ratios with the issue's targets (and the upstream and removed
summaries when those ran), and writes it, with every raw sample and the
facts of the machine, as JSON to ``bench/results/latest.json``.
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

from bench import cli, discovery, dispatch, imports, removed, scaleout, startup, upstream
from bench.harness import BenchError, Row, child_env, format_table, run_json, write_json
from bench.workloads import make_project

__all__ = ["DEFAULT_SECTIONS", "FULL", "QUICK", "SECTIONS", "Options", "Plan", "main", "run"]

REPO: Final = Path(__file__).resolve().parent.parent
SECTIONS: Final = ("startup", "dispatch", "discovery", "cli", "imports", "upstream", "celery", "removed")
# `removed` needs a tree of the commit before the removals (--before): it runs only when named.
DEFAULT_SECTIONS: Final = SECTIONS[:-1]
DEFAULT_OUTPUT: Final = REPO / "bench" / "results" / "latest.json"
DEFAULT_VENVS: Final = REPO / ".venv-bench"


@dataclass(frozen=True)
class Plan:
    """How much of everything to run; rounds are interleaved pairs (or sets)."""

    sizes: tuple[int, ...]
    rounds: dict[int, int]
    phase_rounds: dict[int, int]
    dispatch_rounds: int
    sample_ms: float
    dist_counts: tuple[int, ...] = (20, 320)
    discovery_rounds: int = 5
    cli_rounds: int = 9
    import_rounds: int = 11
    upstream_rounds: dict[int, int] = field(default_factory=lambda: {10: 9, 100: 7, 1000: 5})
    celery_tasks: int = 1000
    celery_rounds: int = 3
    removed_rounds: int = 7


FULL: Final = Plan(
    sizes=(10, 100, 1000),
    rounds={10: 9, 100: 7, 1000: 5},
    phase_rounds={10: 3, 100: 3, 1000: 2},
    dispatch_rounds=7,
    sample_ms=30,
)
QUICK: Final = Plan(
    sizes=(10, 30),
    rounds={10: 3, 30: 2},
    phase_rounds={10: 1, 30: 1},
    dispatch_rounds=2,
    sample_ms=5,
    dist_counts=(20,),
    discovery_rounds=2,
    cli_rounds=2,
    import_rounds=3,
    upstream_rounds={10: 2},
    celery_tasks=200,
    celery_rounds=1,
    removed_rounds=2,
)


@dataclass(frozen=True)
class Options:
    """What the sections that need more than the plan are given."""

    python313: str | None = None
    venvs: Path = DEFAULT_VENVS
    before: Path | None = None


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(
    plan: Plan,
    sections: Sequence[str],
    workdir: Path,
    log: Callable[[str], None] = _log,
    options: Options | None = None,
) -> tuple[list[Row], dict[str, Any]]:
    """Run the chosen sections of ``plan`` with workloads under ``workdir``; return rows and raw samples."""
    options = options or Options()
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
    if "imports" in sections:
        made, raw["imports"] = imports.measure(plan.import_rounds, log)
        rows += made
    if "upstream" in sections:
        rows += _upstream(plan, workdir / "upstream", options, log, raw)
    if "celery" in sections:
        made, raw["celery"] = scaleout.measure(workdir / "celery", plan.celery_tasks, plan.celery_rounds, log)
        rows += made
    if "removed" in sections:
        if options.before is None:
            rows.append(
                Row.skipped("removed", "the removed mechanisms", "needs --before PATH (a tree of the commit before)")
            )
        else:
            made, raw["removed"] = removed.measure(workdir / "removed", options.before, plan.removed_rounds, log)
            rows += made
    order = {section: index for index, section in enumerate(SECTIONS)}
    return sorted(rows, key=lambda row: order[row.section]), raw


def _upstream(
    plan: Plan, workdir: Path, options: Options, log: Callable[[str], None], raw: dict[str, Any]
) -> list[Row]:
    python313 = upstream.find_python313(options.python313)
    if python313 is None:
        why = "no Python 3.13 found (give one with --python313 PATH)"
        log(f"upstream: skipped, {why}")
        return upstream.skipped(why)
    try:
        interpreters = upstream.prepare(options.venvs, python313, log)
    except (BenchError, OSError, subprocess.SubprocessError) as exc:
        why = f"the venvs could not be made under {options.venvs} (offline?): {exc}"
        log(f"upstream: skipped, {why}")
        return upstream.skipped(why)
    sizes = tuple(size for size in plan.sizes if size in plan.upstream_rounds)
    made, raw["upstream"] = upstream.measure(workdir, sizes, plan.upstream_rounds, interpreters, log)
    return made


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
        "pydantic_settings": importlib.metadata.version("pydantic-settings"),
        "commit": _commit(),
        "load_average_before": os.getloadavg(),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "sections",
        nargs="*",
        metavar="SECTION",
        help=f"what to run, of: {', '.join(SECTIONS)} (default: all but removed)",
    )
    parser.add_argument("--quick", action="store_true", help="N = 10 and 30 only, fewer rounds: a smoke test")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON")
    parser.add_argument("--keep", action="store_true", help="keep the generated workloads and print where")
    parser.add_argument("--python313", metavar="PATH", help="the Python 3.13 the upstream section makes its venvs with")
    parser.add_argument(
        "--venvs", type=Path, default=DEFAULT_VENVS, help="where the upstream section keeps its venvs (%(default)s)"
    )
    parser.add_argument(
        "--before", type=Path, metavar="PATH", help="for `removed`: a worktree of the commit before the removals"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run, print the table and write the JSON; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    sections = [name.strip() for item in args.sections for name in item.split(",") if name.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    sections = sections or list(DEFAULT_SECTIONS)
    plan = QUICK if args.quick else FULL
    options = Options(args.python313, args.venvs.resolve(), args.before.resolve() if args.before else None)
    meta = machine_facts()
    began = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="spoc-bench-"))
    try:
        rows, raw = run(plan, sections, workdir, options=options)
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
        f"SPOC {meta['spoc']} at {meta['commit']} (pluggy {meta['pluggy']}, pydantic-settings "
        f"{meta['pydantic_settings']}), Python {meta['python']} on {meta['cpu']} x{meta['cpus']}, "
        f"load {meta['load_average_before'][0]:.1f} -> {meta['load_average_after'][0]:.1f}, {meta['seconds']} s"
    )
    print(format_table(rows))
    if "upstream" in raw:
        print("\nUpstream, Python 3.13, medians in ms (own = run - floor):")
        print(upstream.summary(raw["upstream"]))
    write_json(args.output, rows, meta, raw)
    _log(f"wrote {args.output}")
    return 0
