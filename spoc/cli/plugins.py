"""``spoc plugins``: every plugin, where it comes from, its status and its hooks.

A broken plugin never stops the listing: it shows with status ``failed`` and
its error, whatever ``plugin_errors`` says; its error follows the listing, and
the exit status is 1. The listing registers the plugins
as a Framework would (:mod:`spoc.inventory`) but reads no settings sections,
so no plugin's settings model (pydantic) is imported for it.
"""

from __future__ import annotations

import argparse
import warnings
from typing import TYPE_CHECKING, Any

from spoc.cli.context import CommandContext, table

if TYPE_CHECKING:
    from spoc.plugins.host import PluginRecord

HELP = "list plugins: name, version, distribution, source, status, hooks"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--all`` adds the built-ins; ``--json`` prints machine-readable output."""
    parser.add_argument("--all", action="store_true", help="include SPOC's built-in plugins")
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def listing(context: CommandContext, *, include_builtins: bool) -> list[PluginRecord]:
    """Return the plugins in registration order, blocked and failed ones last."""
    from spoc.plugins.discovery import PluginFailedWarning

    with warnings.catch_warnings():
        # Failed plugins are shown in the listing, and said again below it; a warning would repeat them.
        warnings.simplefilter("ignore", PluginFailedWarning)
        inventory = context.inventory()
    return [record for record in inventory.plugin_records if include_builtins or record.source != "builtin"]


def _as_dict(record: PluginRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "version": record.version,
        "distribution": record.distribution,
        "source": record.source,
        "status": record.status,
        "hooks": record.hooks,
        "error": record.error,
    }


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the plugins as a table or as JSON; exit 1 when one failed to load."""
    from spoc.cli.validation import plugin_load_error

    records = listing(context, include_builtins=args.all)
    failed = [plugin_load_error(record) for record in records if record.status == "failed"]
    out = context.out
    if args.json:
        import json

        plugins = [_as_dict(record) for record in records]
        print(json.dumps({"format_version": FORMAT_VERSION, "plugins": plugins}, indent=2), file=out)
    elif not records:
        print("no plugins (use --all to include the built-ins)", file=out)
    else:
        rows = [["name", "version", "distribution", "source", "status", "hooks"]]
        for record in records:
            hooks = ", ".join(record.hooks) if record.status == "active" else record.error or ""
            rows.append(
                [record.name, record.version or "-", record.distribution or "-", record.source, record.status, hooks]
            )
        print(table(rows), file=out)
    return context.fail(failed) if failed else 0
