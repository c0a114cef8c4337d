"""``spoc check``: a dry run that constructs, starts and stops the project and reports every problem."""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final

from spoc.cli.context import CommandContext, table
from spoc.errors import SpocError, SpocWarning

if TYPE_CHECKING:  # the dry run's machinery is imported when the command runs, not for --help
    from spoc.checks import Problem
    from spoc.cli.dry_run import CheckReport

HELP = "start and stop the project in a dry run and report every problem found"
FORMAT_VERSION = 1
DEFAULT_DURATIONS = 10
TRACEBACK_HINT: Final = "hint: rerun with --traceback to see the traceback of each problem"


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


def _print_timings(report: CheckReport, count: int, context: CommandContext) -> None:
    slowest = sorted(report.timings, key=lambda timing: timing.seconds, reverse=True)
    shown = slowest[:count] if count else slowest
    total = sum(timing.seconds for timing in report.timings)
    out = context.out
    print(f"slowest {len(shown)} of {len(report.timings)} lifecycle steps ({total * 1000:.1f} ms in all):", file=out)
    rows = [["ms", "kind", "step"]]
    rows += [[f"{timing.seconds * 1000:.1f}", timing.kind, timing.label] for timing in shown]
    print("\n".join("  " + line for line in table(rows).splitlines()), file=out)


def _chains(cause: BaseException) -> bool:
    """Whether a problem comes from an exception of the project's or a plugin's code, whose traceback helps."""
    return cause.__cause__ is not None or not isinstance(cause, SpocError)


def _print_traceback(cause: BaseException, context: CommandContext) -> None:
    import traceback

    context.out.flush()  # the problem's line first
    sys.stderr.write("".join(traceback.format_exception(type(cause), cause, cause.__traceback__)))


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print each problem as ``area: message``, then the count; exit 1 if any is an error.

    With ``--traceback``, each problem that comes from an exception is followed
    by its traceback on stderr.
    """
    from spoc.cli.dry_run import dry_run

    count = _durations(args)
    report = dry_run(context, timed=count is not None)
    try:
        return _report(args, context, report, count)
    finally:
        context.out.flush()  # the report first, then what the reader should also know
        for note in report.notes:
            warnings.warn(note, SpocWarning, stacklevel=1)


def _report(args: argparse.Namespace, context: CommandContext, report: CheckReport, count: int | None) -> int:
    errors = len(report.errors)
    out = context.out
    if args.json:
        import json

        document: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "ok": errors == 0,
            "problems": [asdict(problem) for problem in report.problems],
            "timings": [asdict(timing) for timing in report.timings],
        }
        print(json.dumps(document, indent=2), file=out)
        return 1 if errors else 0
    for problem in report.problems:
        print(_line(problem), file=out)
        cause = report.causes.get(problem)
        if cause is not None and context.show_traceback:
            _print_traceback(cause, context)
    if count is not None and report.timings:
        _print_timings(report, count, context)
    warnings = len(report.problems) - errors
    also = f", {warnings} warning(s)" if warnings else ""
    if errors:
        print(f"{errors} problem(s) found{also}", file=out)
        if not context.show_traceback and any(_chains(cause) for cause in report.causes.values()):
            out.flush()
            print(TRACEBACK_HINT, file=sys.stderr)
        return 1
    print(
        f"OK: {report.apps} app(s), {report.modules} module(s) and {report.plugins} plugin(s) "
        f"constructed, started and stopped without a problem{also}",
        file=out,
    )
    return 0
