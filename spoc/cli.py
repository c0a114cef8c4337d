"""The ``spoc`` command line: see into a project without writing code.

The parser is built inside :func:`main` (nothing at import time), so tests
call ``main([...])`` in-process. Each command lives in its own module under
``spoc.commands``. A :class:`SpocError` prints as one ``error:`` line on
stderr and exits 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from spoc.commands import COMMANDS, CommandContext
from spoc.errors import SpocError

__all__ = ["EXIT_OK", "EXIT_PROBLEM", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with the global options and every command."""
    parser = argparse.ArgumentParser(prog="spoc", description="See into a SPOC project: apps, plugins, hooks.")
    parser.add_argument("--project", type=Path, metavar="DIR", help="the project (default: nearest with spoc.toml)")
    parser.add_argument("--mode", help="the mode to load (overrides SPOC_MODE and spoc.toml)")
    parser.add_argument(
        "-p",
        dest="plugin_options",
        action="append",
        default=[],
        metavar="NAME",
        help="load plugin NAME (an entry point, or a dotted path); -p no:NAME blocks it",
    )
    parser.add_argument("--traceback", action="store_true", help="show the full traceback of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"spoc.commands.{name}")
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    context = CommandContext.from_options(args.project, args.mode, args.plugin_options)
    try:
        status: int = args.run(args, context)
    except SpocError as exc:
        if args.traceback:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return status
