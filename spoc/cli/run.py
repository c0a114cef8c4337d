"""``spoc run``: start the project, run its workers until SIGINT/SIGTERM, then stop cleanly.

A long-running command, so it logs to stderr (``--log-level``) where the
other commands print reports; a second signal forces the exit.
"""

from __future__ import annotations

import argparse

from spoc.cli.context import CommandContext

HELP = "start the project and run its workers until SIGINT/SIGTERM, then stop cleanly"
# What the project prints while it runs is its own output, on stdout as with `python main.py`.
PROJECT_STDOUT = True
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--log-level``: how much the run logs to stderr."""
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="the least important log lines shown on stderr (default: INFO)",
    )


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Build the framework, then block in ``fw.run()`` until a signal stops it."""
    import logging

    logging.basicConfig(level=args.log_level, format=LOG_FORMAT)
    framework = context.framework()
    framework.run()
    return 0
