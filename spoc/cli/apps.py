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
    framework = context.framework()
    config = framework.config
    if args.json:
        import json

        apps = [{"name": app, "listed_in": source} for app, source in config.apps]
        document = {"format_version": FORMAT_VERSION, "mode": config.mode, "cascade": config.cascade, "apps": apps}
        print(json.dumps(document, indent=2))
        return 0
    print(f"mode: {framework.settings.mode} (loads {', '.join(config.cascade)})")
    rows = [["#", "app", "listed in"]]
    rows += [[str(index), app, source] for index, (app, source) in enumerate(config.apps, start=1)]
    print(table(rows))
    return 0
