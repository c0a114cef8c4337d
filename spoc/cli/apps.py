"""``spoc apps``: the apps of the current mode in load order, and where each is listed."""

from __future__ import annotations

import argparse

from spoc.cli.context import CommandContext, table

HELP = "list the apps in load order, with where each is listed"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--json`` prints machine-readable output."""
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the mode, its cascade and the apps."""
    project = context.framework().project
    if args.json:
        import json

        apps = [{"name": app.name, "listed_in": app.listed_in} for app in project.apps]
        document = {"format_version": FORMAT_VERSION, "mode": project.mode, "cascade": project.cascade, "apps": apps}
        print(json.dumps(document, indent=2))
        return 0
    print(f"mode: {project.mode} (loads {', '.join(project.cascade)})")
    rows = [["#", "app", "listed in"]]
    rows += [[str(index), app.name, app.listed_in] for index, app in enumerate(project.apps, start=1)]
    print(table(rows))
    return 0
