"""``spoc plugins``: every plugin, where it comes from, its status and its hooks.

A broken plugin never stops the listing: it shows with status ``failed`` and
its error, whatever ``plugin_errors`` says. The listing registers the plugins
as a Framework would (:mod:`spoc.inventory`) but reads no settings sections,
so no plugin's settings model (pydantic) is imported for it.
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from spoc.cli.context import CommandContext, table
from spoc.errors import SpocWarning

HELP = "list plugins: name, version, distribution, source, status, hooks"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--all`` adds the built-ins; ``--json`` prints machine-readable output."""
    parser.add_argument("--all", action="store_true", help="include SPOC's built-in plugins")
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def listing(context: CommandContext, *, include_builtins: bool) -> list[dict[str, Any]]:
    """Return one dict per plugin, in registration order, blocked and failed ones last."""
    with warnings.catch_warnings():
        # Failed plugins are shown in the listing; a warning line would only repeat it.
        warnings.simplefilter("ignore", SpocWarning)
        inventory = context.inventory(settings_overrides={"plugin_errors": "warn"})
    return [
        {
            "name": record.name,
            "version": record.version,
            "distribution": record.distribution,
            "source": record.source,
            "status": record.status,
            "hooks": record.hooks,
            "error": record.error,
        }
        for record in inventory.plugin_records
        if include_builtins or record.source != "builtin"
    ]


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the plugins as a table or as JSON."""
    plugins = listing(context, include_builtins=args.all)
    if args.json:
        import json

        print(json.dumps({"format_version": FORMAT_VERSION, "plugins": plugins}, indent=2))
        return 0
    if not plugins:
        print("no plugins (use --all to include the built-ins)")
        return 0
    rows = [["name", "version", "distribution", "source", "status", "hooks"]]
    for plugin in plugins:
        hooks = ", ".join(plugin["hooks"]) if plugin["status"] == "active" else plugin["error"] or ""
        rows.append(
            [
                plugin["name"],
                plugin["version"] or "-",
                plugin["distribution"] or "-",
                plugin["source"],
                plugin["status"],
                hooks,
            ]
        )
    print(table(rows))
    return 0
