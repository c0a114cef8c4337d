"""``python -m spoc celery worker|beat [celery options]``: Celery's own programs, for a SPOC project.

The parsers are built when the command line is (``spoc_add_commands``);
everything else, Celery included, is imported when a command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

import spoc

__all__ = ["add_commands"]

HELP = "run Celery for this project: a worker (task processes run SPOC's lifecycle) or beat (periodic tasks)"
WORKER_HELP = "run a Celery worker; every task process starts the project before its first task"
BEAT_HELP = "run Celery beat: send each @task(every=...) once per interval, for every worker together"


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``celery`` with its ``worker`` and ``beat`` subcommands; the rest of the line goes to Celery."""
    parser = subparsers.add_parser("celery", help=HELP, description=HELP)
    commands = parser.add_subparsers(dest="celery_command", metavar="{worker,beat}")
    for name, text, function in (("worker", WORKER_HELP, _worker), ("beat", BEAT_HELP, _beat)):
        sub = commands.add_parser(
            name,
            help=text,
            description=f"{text}. Every option after '{name}' is Celery's (celery {name} --help lists them).",
            # No option of its own, and no option prefix: every word after the subcommand,
            # `-c 2` included, is Celery's, so argparse hands it on rather than refusing it.
            add_help=False,
            prefix_chars="+",
        )
        sub.add_argument("celery_args", nargs=argparse.REMAINDER, help=f"options of celery {name}")
        sub.set_defaults(run=function)
    parser.set_defaults(run=_usage(parser))


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace, context: spoc.CommandContext) -> int:
        parser.print_help()
        return 2

    return run


def _worker(args: argparse.Namespace, context: spoc.CommandContext) -> int:
    from spoc_celery.worker import run_worker

    return run_worker(context.framework(), list(args.celery_args))


def _beat(args: argparse.Namespace, context: spoc.CommandContext) -> int:
    from spoc_celery.worker import run_beat

    return run_beat(context.framework(), list(args.celery_args))
