"""The ``spoc`` command line: see into a project without writing code.

Built inside :func:`main` (nothing at import time), so tests call
``main([...])`` in-process. A :class:`SpocError` prints as one ``error:``
line and exits 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from spoc.config import find_toml_files
from spoc.errors import SpocError

__all__ = ["find_project", "main"]

EXIT_OK = 0
EXIT_PROBLEM = 1


def find_project(start: Path) -> Path | None:
    """Return the nearest folder upward from ``start`` holding spoc.toml or config/spoc.toml."""
    for folder in (start, *start.parents):
        if find_toml_files(folder):
            return folder
    return None


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spoc", description="Inspect a SPOC project.")
    parser.add_argument("--project", type=Path, help="the project folder (default: nearest with spoc.toml)")
    parser.add_argument("--mode", help="the mode to load (overrides SPOC_MODE and spoc.toml)")
    parser.add_argument("--traceback", action="store_true", help="show the traceback of errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("apps", help="list the apps in load order, with where each is listed")
    commands.add_parser("plugins", help="list the registered plugins and the hooks they implement")
    return parser


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def _run(args: argparse.Namespace) -> int:
    from spoc.framework import Framework

    project = args.project or find_project(Path.cwd())
    if project is None:
        raise SpocError(
            f"no SPOC project found in {Path.cwd()} or above: no spoc.toml or config/spoc.toml. "
            "Run inside a project or pass --project DIR."
        )
    settings = {"mode": args.mode} if args.mode else None
    framework = Framework(project, settings=settings)
    if args.command == "apps":
        print(f"mode: {framework.settings.mode} (loads {', '.join(framework.config.cascade)})")
        rows = [["#", "app", "listed in"]]
        rows += [[str(i), app, source] for i, (app, source) in enumerate(framework.config.apps, start=1)]
        print(_table(rows))
    elif args.command == "plugins":
        rows = [["name", "source", "hooks"]]
        for record in framework.plugin_records:
            rows.append([record.name, record.source, ", ".join(record.hooks)])
        print(_table(rows))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _build_parser().parse_args(argv)
    try:
        return _run(args)
    except SpocError as exc:
        if args.traceback:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
