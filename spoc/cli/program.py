"""The ``spoc`` command line: see into a project without writing code.

The parser is built inside :func:`main` (nothing at import time), so tests
call ``main([...])`` in-process and plugins add commands through the
``spoc_add_commands`` hook without reloads. Each command lives in its own
module of ``spoc.cli``. A :class:`SpocError` prints as one ``error:``
message on stderr and exits 1 (:mod:`spoc.cli.output`); usage errors exit 2.

``--help`` builds every command's parser, so this module and the command
modules import at their top only what a parser needs; what a command needs
(the framework, json, pluggy) is imported when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spoc.cli.context import COMMANDS, CommandContext
from spoc.cli.output import print_errors, project_output_to_stderr, warnings_as_lines
from spoc.errors import SpocError, SpocWarning

__all__ = ["EXIT_OK", "EXIT_PROBLEM", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2


def _global_options(parser: argparse.ArgumentParser) -> None:
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
    parser.add_argument(
        "--loose", action="store_true", help="skip Schema modules an app lacks, like Framework(strict=False)"
    )
    parser.add_argument("--traceback", action="store_true", help="show the full traceback of errors")


def build_parser(context: CommandContext | None = None, *, plugin_commands: bool = False) -> argparse.ArgumentParser:
    """Return the parser with the global options and every command.

    Args:
        context: the global options as first read (``--project``, ``--mode``,
            ``-p``), which choose the plugins asked for commands.
        plugin_commands: also ask plugins for their commands (``spoc_add_commands``).

    Raises:
        PluginHookError: a plugin's ``spoc_add_commands`` raised.
    """
    parser = argparse.ArgumentParser(
        prog="spoc", description="See into a SPOC project: apps, plugins, hooks, components; check, graph, init."
    )
    _global_options(parser)
    parser.add_argument(
        "--version", action="store_true", help="print the versions of SPOC, pluggy, Python and the plugins, and exit"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"spoc.cli.{name}")
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run, project_stdout=getattr(module, "PROJECT_STDOUT", False))
    if plugin_commands:
        add_plugin_commands(commands, context or CommandContext(None))
    for sub in set(commands.choices.values()):
        _accept_traceback(sub)
    return parser


def _accept_traceback(parser: argparse.ArgumentParser) -> None:
    """Accept ``--traceback`` after the command too (``spoc check --traceback``), where users add it to rerun."""
    with contextlib.suppress(argparse.ArgumentError):  # a plugin's command may use the name itself
        parser.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


class _PreParseError(Exception):
    """The quick look at the command line failed; the real parser will say why."""


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise _PreParseError(message)


@dataclass(frozen=True)
class _FirstLook:
    """What the command line asks for, read before the parser exists (plugins add commands to it)."""

    plugin_command: bool = False
    context: CommandContext = field(default_factory=lambda: CommandContext(None))


def _first_look(argv: Sequence[str]) -> _FirstLook:
    """Return whether the command is not a built-in one (or is missing, as with ``--help``), and the global options.

    Built-in commands never load plugin command code, so a broken plugin cannot stop ``check``;
    nor does ``--version`` alone, which lists the installed plugins without importing them.
    """
    parser = _QuietParser(add_help=False)
    _global_options(parser)
    parser.add_argument("--version", action="store_true")
    parser.add_argument("command", nargs="?")
    try:
        known, _ = parser.parse_known_args(argv)
    except _PreParseError:
        return _FirstLook(context=CommandContext(None, show_traceback="--traceback" in argv))
    context = _context(known, argv)
    if known.version and known.command is None:
        return _FirstLook(False, context)
    return _FirstLook(known.command not in COMMANDS, context)


def _context(args: argparse.Namespace, argv: Sequence[str]) -> CommandContext:
    context = CommandContext.from_options(args.project, args.mode, args.plugin_options)
    context.strict = not args.loose
    # --traceback is a global option, also accepted after the command, where users add it to rerun.
    context.show_traceback = bool(args.traceback) or "--traceback" in argv
    return context


def add_plugin_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], context: CommandContext
) -> None:
    """Ask the installed and ``-p NAME`` plugins for commands.

    The plugins are chosen as a Framework would choose them: ``-p NAME`` and
    ``-p no:NAME``, the environment's variables, and ``disable_plugins`` of the
    project, when there is one. What they print while they load goes to stderr.

    Raises:
        PluginHookError: a plugin's ``spoc_add_commands`` raised; it names the
            plugin, its distribution and version, and chains the cause.
    """
    from spoc.plugins.discovery import PluginSelection, load_entry_point_plugins, load_named_plugins
    from spoc.plugins.host import PluginHost, impl_location

    selection = PluginSelection.from_environment(context.block, context.load)
    if selection.only == frozenset() and not selection.requested:
        # Autoload is off and no -p NAME: no plugin can add a command, so none is looked for.
        return
    selection = PluginSelection.from_environment([*_disabled_by_project(context), *context.block], context.load)

    host = PluginHost()
    with contextlib.redirect_stdout(sys.stderr):
        with warnings.catch_warnings():
            # Broken plugins are reported by the commands themselves (`plugins`, `check`).
            warnings.simplefilter("ignore", SpocWarning)
            records = load_entry_point_plugins(host, selection, "warn")
        # A -p NAME may be a dotted path importable only once the project is: the command reports it then.
        with contextlib.suppress(SpocError):
            records += load_named_plugins(context.load, {record.name for record in records} | set(host.unloaded))
        for record in records:
            with contextlib.suppress(SpocError):
                host.register_record(record)
        builtin = dict(subparsers.choices)
        for impl in host.ordered_impls("spoc_add_commands"):
            before = set(subparsers.choices)
            host.call_plugin("spoc_add_commands", impl, subparsers=subparsers)
            for name, parser in builtin.items():
                if subparsers.choices[name] is not parser:
                    # Python 3.10 lets a name be taken twice; later versions raise this error in the plugin.
                    subparsers.choices[name] = parser
                    taken = argparse.ArgumentError(None, f"conflicting subparser: {name}")
                    raise host.hook_error(impl.plugin_name, "spoc_add_commands", impl_location(impl.function), taken)
            for name in set(subparsers.choices) - before:
                subparsers.choices[name].set_defaults(spoc_plugin=impl.plugin_name)


def _disabled_by_project(context: CommandContext) -> list[str]:
    """Return ``disable_plugins`` of the project, if there is one and its configuration can be read."""
    from spoc.settings.project import read_plugin_selection

    try:
        given = context.settings()
        return read_plugin_selection(context.project_dir().resolve(), given, label=given.label).disable_plugins
    except SpocError:
        return []  # no project here, or a broken one: the command says so when it runs


def version_text(context: CommandContext) -> str:
    """Return SPOC's, pluggy's and Python's versions and the installed plugins, like ``pytest -VV``."""
    import platform

    import pluggy

    import spoc
    from spoc.plugins.discovery import PluginSelection, find_entry_points, warn_unknown_only

    lines = [
        f"spoc {spoc.__version__} at {Path(spoc.__file__).parent}",
        f"pluggy {pluggy.__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()}) at {sys.executable}",
    ]
    selection = PluginSelection.from_environment(context.block, context.load)
    entry_points = find_entry_points()
    warn_unknown_only(selection, entry_points)
    lines.append("installed plugins (spoc.plugins entry points):" if entry_points else "no installed plugins")
    for entry_point in entry_points:
        known = entry_point.distribution is not None
        where = f"{entry_point.distribution} {entry_point.version}" if known else "unknown distribution"
        state = "" if selection.wants(entry_point.name) else "  (disabled)"
        lines.append(f"  {entry_point.name}: {where}{state}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    A :class:`SpocError` prints as one ``error:`` message on stderr and exits
    1, with a line saying how to see its traceback (``--traceback``); a
    :class:`SpocWarning` prints as one ``warning:`` line. While a built-in
    command runs, what the project prints goes to stderr.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    first = _first_look(argv)
    with warnings_as_lines():
        try:
            parser = build_parser(first.context, plugin_commands=first.plugin_command)
            args = parser.parse_args(argv)
            context = _context(args, argv)
            if context.block:
                from spoc.plugins.discovery import warn_unknown_blocked

                warn_unknown_blocked(context.block)
            if args.version:
                print(version_text(context))
                return EXIT_OK
            if args.command is None:
                parser.error("a command is required; see 'spoc --help' for the list")
            run = _runner(args)
            if getattr(args, "spoc_plugin", None) is not None or getattr(args, "project_stdout", False):
                status: int = run(args, context)
            else:
                with project_output_to_stderr() as context.out:
                    status = run(args, context)
                    # Flush here, not at exit, so that a reader who went away is handled below.
                    context.out.flush()
            sys.stdout.flush()
        except SpocError as exc:
            with contextlib.suppress(OSError):
                sys.stdout.flush()  # what the command printed before the error comes first
            print_errors([exc], show_traceback=first.context.show_traceback)
            return EXIT_PROBLEM
        except BrokenPipeError:
            # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_OK
    return status


def _runner(args: argparse.Namespace) -> Any:
    run = getattr(args, "run", None)
    if run is None:
        plugin = getattr(args, "spoc_plugin", None)
        raise SpocError(
            f"the command {args.command!r} of plugin {plugin!r} has no function to run: the plugin's "
            "spoc_add_commands must call parser.set_defaults(run=function), with function(args, context) -> int."
        )
    return run
