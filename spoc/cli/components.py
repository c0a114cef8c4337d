"""``spoc components [KIND]``: every collected component, with where it is defined.

Components are collected while modules are imported, so this command starts
the project and stops it again. The start goes on past a failing step, as
``check``'s does: the components of every module that could be imported are
listed, and the errors follow (exit status 1).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoc.cli.context import CommandContext, table
from spoc.errors import SpocError, SpocWarning, did_you_mean

if TYPE_CHECKING:
    from spoc.framework import Framework

HELP = "list every collected component: kind, name, type, module, file:line (starts and stops the project)"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """An optional module kind, and ``--json``."""
    parser.add_argument("kind", nargs="?", help="show only this module kind, e.g. models")
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def collected(framework: Framework, kinds: list[str]) -> list[dict[str, Any]]:
    """Return one dict per component of the started framework, by kind then collection order."""
    from spoc.components import get_info, location_of

    found: list[dict[str, Any]] = []
    for kind in kinds:
        for name, obj in getattr(framework.components, kind).items():
            info = get_info(obj)
            found.append(
                {
                    "kind": kind,
                    "name": name,
                    "app": name.partition(".")[0],
                    "type": info.type if info else None,
                    "module": getattr(obj, "__module__", None),
                    "location": framework.components.site(kind, name) or location_of(obj),
                }
            )
    return found


def relative(location: str, base_dir: Path) -> str:
    """Return ``file:line`` relative to the project folder when the file is inside it."""
    path = Path(location)
    return str(path.relative_to(base_dir)) if path.is_relative_to(base_dir) else location


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Start the project, list its components, stop it; then the problems found, if any."""
    from spoc.cli.dry_run import no_module_kinds, started_tolerantly

    validation = context.validate()
    framework = validation.framework
    if framework is None:
        return context.fail(validation.problems)
    problems = validation.errors()
    with started_tolerantly(framework, lambda area, error: problems.append(error), validation.imports):
        kinds = framework.components.kinds()
        if args.kind is not None and args.kind not in kinds:
            raise SpocError(
                f"no module kind {args.kind!r}{did_you_mean(args.kind, kinds)}; kinds: {', '.join(kinds) or 'none'}. "
                "The kinds are the modules of [spoc.schema] in spoc.toml."
            )
        components = collected(framework, [args.kind] if args.kind else kinds)
    out = context.out
    if args.json:
        import json

        print(json.dumps({"format_version": FORMAT_VERSION, "components": components}, indent=2), file=out)
    elif not components:
        print("no components" + (f" of kind {args.kind!r}" if args.kind else ""), file=out)
    else:
        rows = [["kind", "name", "type", "module", "defined at"]]
        for item in components:
            location = relative(item["location"], framework.base_dir)
            rows.append([item["kind"], item["name"], item["type"] or "-", item["module"] or "-", location])
        print(table(rows), file=out)
    why = no_module_kinds(framework)
    if why is not None:
        out.flush()
        warnings.warn(why, SpocWarning, stacklevel=1)
    return context.fail(problems) if problems else 0
