"""``spoc settings``: every setting in force, and the file, line or variable it came from.

Secrets (``SecretStr`` fields, names ending in KEY, TOKEN, SECRET or PASSWORD)
are printed as ``**********`` in the table and in ``--json``.
"""

from __future__ import annotations

import argparse

from spoc.cli.context import CommandContext, table

HELP = "list the settings in force, each with its source (secrets masked)"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``KEY`` narrows the listing; ``--json`` prints machine-readable output."""
    parser.add_argument("key", nargs="?", default="", help="only keys that start with KEY, e.g. spoc.timing")
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the settings as a table or as JSON."""
    import json

    from spoc.settings.listing import setting_rows  # with the framework, not for --help

    framework = context.framework()
    rows = [row for row in setting_rows(framework.settings, framework.project.sources) if row.key.startswith(args.key)]
    if args.json:
        document = {
            "format_version": FORMAT_VERSION,
            "mode": framework.settings.mode,
            "cascade": framework.settings.cascade,
            "settings": [
                {"key": r.key, "value": r.value, "source": r.source, "location": r.location, "secret": r.secret}
                for r in rows
            ],
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"mode: {framework.settings.mode} (loads {', '.join(framework.settings.cascade)})")
    if not rows:
        print(f"no setting starts with {args.key!r}")
        return 0
    lines = [["key", "value", "source"]]
    for row in rows:
        where = "--mode" if row.source == "argument" else row.location or row.source
        lines.append([row.key, json.dumps(row.value), where])
    print(table(lines))
    return 0
