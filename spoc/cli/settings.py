"""``spoc settings``: every setting in force, and the file, line or variable it came from.

Secrets (``SecretStr`` fields, names ending in KEY, TOKEN, SECRET or PASSWORD)
are printed as ``**********`` in the table and in ``--json``. When an app is
missing or fails to import, the settings are listed all the same, the list
naming that app is marked, and the error follows (exit status 1).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from spoc.cli.context import CommandContext, table

if TYPE_CHECKING:
    from spoc.cli.validation import Validation
    from spoc.settings.listing import SettingRow

HELP = "list the settings in force, each with its source (secrets masked)"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``KEY`` narrows the listing; ``--json`` prints machine-readable output."""
    parser.add_argument("key", nargs="?", default="", help="only keys that start with KEY, e.g. spoc.timing")
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def _rows(validation: Validation) -> list[SettingRow]:
    """Every setting: the project's own, and the sections of the plugins and apps that could be loaded."""
    from spoc.settings.listing import setting_rows

    framework = validation.framework
    assert validation.settings is not None and validation.project is not None  # checked by the caller
    if framework is not None and not validation.broken_apps:
        return setting_rows(framework.settings, framework.project.sources)
    rows = setting_rows(validation.settings, validation.project.sources)
    if framework is None:
        return rows
    # Built without the broken apps: its app lists are not the project's, but its sections are.
    sections = tuple(f"spoc.{name}." for name in framework.settings.sections)
    contributed = setting_rows(framework.settings, framework.project.sources)
    contributed = [row for row in contributed if row.key.startswith(sections)]
    own = sum(row.key.startswith("spoc.") for row in rows)
    return [*rows[:own], *contributed, *rows[own:]]


def _marks(rows: list[SettingRow], broken: dict[str, str]) -> list[str]:
    """Say, for each row listing apps, which of them is broken."""
    marks = []
    for row in rows:
        listed = row.value if row.key.startswith("spoc.apps.") or row.key == "INSTALLED_APPS" else []
        names = [app for app in listed if isinstance(app, str) and app in broken] if isinstance(listed, list) else []
        marks.append(", ".join(f"{app!r} {broken[app]}" for app in names))
    return marks


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the settings as a table or as JSON; then the problems found, if any."""
    import json

    validation = context.validate()
    settings = validation.settings
    if settings is None or validation.project is None:
        return context.fail(validation.problems)
    rows = [row for row in _rows(validation) if row.key.startswith(args.key)]
    out = context.out
    if args.json:
        document = {
            "format_version": FORMAT_VERSION,
            "mode": settings.mode,
            "cascade": settings.cascade,
            "settings": [
                {"key": r.key, "value": r.value, "source": r.source, "location": r.location, "secret": r.secret}
                for r in rows
            ],
        }
        print(json.dumps(document, indent=2), file=out)
    else:
        print(f"mode: {settings.mode} (loads {', '.join(settings.cascade)})", file=out)
        if not rows:
            print(f"no setting starts with {args.key!r}", file=out)
        else:
            marks = _marks(rows, validation.broken_apps)
            problem = ["problem"] if any(marks) else []
            lines = [["key", "value", "source", *problem]]
            for row, mark in zip(rows, marks, strict=True):
                where = "--mode" if row.source == "argument" else row.location or row.source
                lines.append([row.key, json.dumps(row.value), where, *([mark] if problem else [])])
            print(table(lines), file=out)
    errors = validation.errors()
    return context.fail(errors) if errors else 0
