"""``spoc apps``: the apps of the current mode in load order, and where each is listed."""

from __future__ import annotations

import argparse

from spoc.commands import CommandContext, table

HELP = "list the apps in load order, with where each is listed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``apps`` takes no arguments of its own."""


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the mode, its cascade and the apps."""
    framework = context.framework()
    print(f"mode: {framework.settings.mode} (loads {', '.join(framework.config.cascade)})")
    rows = [["#", "app", "listed in"]]
    rows += [[str(index), app, source] for index, (app, source) in enumerate(framework.config.apps, start=1)]
    print(table(rows))
    return 0
