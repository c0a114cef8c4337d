"""``spoc check``: a dry run that constructs, starts and stops the project and reports every problem."""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from spoc.cli.context import CommandContext, table

if TYPE_CHECKING:  # the dry run's machinery is imported when the command runs, not for --help
    from spoc.checks import Problem
    from spoc.cli.dry_run import CheckReport

HELP = "start and stop the project in a dry run and report every problem found"
FORMAT_VERSION = 1
DEFAULT_DURATIONS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--timings``/``--durations N`` time the lifecycle steps; ``--json`` prints the report."""
    parser.add_argument(
        "--timings", action="store_true", help=f"also show the {DEFAULT_DURATIONS} slowest lifecycle steps"
    )
    parser.add_argument(
        "--durations", type=_count, metavar="N", help="also show the N slowest lifecycle steps (0: every step)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def _count(text: str) -> int:
    """Parse ``--durations N``: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 (every step) or a positive whole number, got {text!r}")
    return value


def _line(problem: Problem) -> str:
    tags = " ".join(f"[{tag}]" for tag in (problem.id, "warning" if problem.level == "warning" else None) if tag)
    line = f"{problem.area}: {tags + ' ' if tags else ''}{problem.message}"
    return line + (f"\n    hint: {problem.hint}" if problem.hint else "")


def _durations(args: argparse.Namespace) -> int | None:
    if args.durations is not None:
        return int(args.durations)
    return DEFAULT_DURATIONS if args.timings else None


def _print_timings(report: CheckReport, count: int) -> None:
    slowest = sorted(report.timings, key=lambda timing: timing.seconds, reverse=True)
    shown = slowest[:count] if count else slowest
    total = sum(timing.seconds for timing in report.timings)
    print(f"slowest {len(shown)} of {len(report.timings)} lifecycle steps ({total * 1000:.1f} ms in all):")
    rows = [["ms", "kind", "step"]]
    rows += [[f"{timing.seconds * 1000:.1f}", timing.kind, timing.label] for timing in shown]
    print("\n".join("  " + line for line in table(rows).splitlines()))


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print each problem as ``area: message``, then the count; exit 1 if any is an error."""
    from spoc.cli.dry_run import dry_run

    count = _durations(args)
    project = context.project_dir()
    # What the project prints while it starts goes to stderr, so the report (or JSON) stays clean.
    with contextlib.redirect_stdout(sys.stderr):
        report = dry_run(project, context.framework, context.settings(), timed=count is not None)
    errors = len(report.errors)
    if args.json:
        import json

        document: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "ok": errors == 0,
            "problems": [asdict(problem) for problem in report.problems],
            "timings": [asdict(timing) for timing in report.timings],
        }
        print(json.dumps(document, indent=2))
        return 1 if errors else 0
    for problem in report.problems:
        print(_line(problem))
    if count is not None and report.timings:
        _print_timings(report, count)
    warnings = len(report.problems) - errors
    also = f", {warnings} warning(s)" if warnings else ""
    if errors:
        print(f"{errors} problem(s) found{also}")
        return 1
    print(
        f"OK: {report.apps} app(s), {report.modules} module(s) and {report.plugins} plugin(s) "
        f"constructed, started and stopped without a problem{also}"
    )
    return 0
