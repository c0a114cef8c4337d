"""``spoc apps``: the apps of the current mode in load order, and where each is listed.

An app that is missing or fails to import is listed all the same, marked, and
its error follows (exit status 1).
"""

from __future__ import annotations

import argparse

from spoc.cli.context import CommandContext, table

HELP = "list the apps in load order, with where each is listed"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--json`` prints machine-readable output."""
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the mode, its cascade and the apps; then the problems found, if any."""
    validation = context.validate()
    project = validation.project
    if project is None:
        return context.fail(validation.problems)
    broken = validation.broken_apps
    if args.json:
        import json

        apps = [{"name": app.name, "listed_in": app.listed_in, "problem": broken.get(app.name)} for app in project.apps]
        document = {"format_version": FORMAT_VERSION, "mode": project.mode, "cascade": project.cascade, "apps": apps}
        print(json.dumps(document, indent=2), file=context.out)
    else:
        print(f"mode: {project.mode} (loads {', '.join(project.cascade)})", file=context.out)
        rows = [["#", "app", "listed in", *(["problem"] if broken else [])]]
        for index, app in enumerate(project.apps, start=1):
            rows.append([str(index), app.name, app.listed_in, *([broken.get(app.name, "")] if broken else [])])
        print(table(rows), file=context.out)
    errors = validation.errors()
    return context.fail(errors) if errors else 0
