"""``spoc hooks [NAME]``: each hook's implementations in the exact order they are called.

Like ``spoc plugins``, it shows registration (:mod:`spoc.inventory`), so it
reads no settings sections and imports no plugin's settings model.
"""

from __future__ import annotations

import argparse
import warnings
from typing import TYPE_CHECKING, Any, Protocol

from spoc.cli.context import CommandContext
from spoc.errors import SpocError, did_you_mean

if TYPE_CHECKING:
    import pluggy


class Registration(Protocol):
    """What the hook listings read: a ``Framework`` or a :class:`~spoc.inventory.PluginInventory`."""

    @property
    def hook(self) -> pluggy.HookRelay: ...

    def lifecycle_call_order(self, hook_name: str) -> list[pluggy.HookImpl]: ...


HELP = "list hooks and their implementations in call order (wrappers, tryfirst, trylast marked)"
FORMAT_VERSION = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """An optional hook name, and ``--json``."""
    parser.add_argument("name", nargs="?", help="show only this hook")
    parser.add_argument("--json", action="store_true", help="print JSON (format_version 1)")


def _marks(impl: pluggy.HookImpl) -> list[str]:
    names = ("wrapper", "hookwrapper", "tryfirst", "trylast", "optionalhook")
    return [name for name in names if getattr(impl, name)]


def call_order(registration: Registration, name: str) -> list[pluggy.HookImpl]:
    """Return a hook's implementations in the order a call reaches them, outermost wrapper first."""
    from spoc.hookspecs import LIFECYCLE_HOOKS

    impls = getattr(registration.hook, name).get_hookimpls()
    wrappers = [impl for impl in reversed(impls) if impl.wrapper or impl.hookwrapper]
    if name in LIFECYCLE_HOOKS:
        return wrappers + registration.lifecycle_call_order(name)
    return wrappers + [impl for impl in reversed(impls) if not (impl.wrapper or impl.hookwrapper)]


def describe(registration: Registration, name: str) -> dict[str, Any]:
    """Return one hook with its implementations, as the JSON output shows it."""
    from spoc.plugins.host import impl_location

    caller = getattr(registration.hook, name)
    opts = caller.spec.opts if caller.spec else {}
    return {
        "name": name,
        "firstresult": bool(opts.get("firstresult")),
        "historic": bool(opts.get("historic")),
        "implementations": [
            {"plugin": impl.plugin_name, "location": impl_location(impl.function), "marks": _marks(impl)}
            for impl in call_order(registration, name)
        ],
    }


def run(args: argparse.Namespace, context: CommandContext) -> int:
    """Print each hook and its implementations."""
    from spoc.plugins.discovery import PluginFailedWarning

    with warnings.catch_warnings():
        # A broken plugin is left out of the hooks; `spoc plugins` lists it with its error.
        warnings.simplefilter("ignore", PluginFailedWarning)
        registration = context.inventory()
    names = sorted(name for name in vars(registration.hook) if getattr(registration.hook, name).has_spec())
    if args.name is not None:
        if args.name not in names:
            raise SpocError(f"no hook named {args.name!r}{did_you_mean(args.name, names)}; hooks: {', '.join(names)}")
        names = [args.name]
    hooks = [describe(registration, name) for name in names]
    if args.json:
        import json

        print(json.dumps({"format_version": FORMAT_VERSION, "hooks": hooks}, indent=2), file=context.out)
        return 0
    for hook in hooks:
        flags = [flag for flag in ("firstresult", "historic") if hook[flag]]
        print(f"{hook['name']}" + (f"  [{', '.join(flags)}]" if flags else ""), file=context.out)
        if not hook["implementations"]:
            print("    (no implementations)", file=context.out)
        width = max((len(impl["plugin"]) for impl in hook["implementations"]), default=0)
        for position, impl in enumerate(hook["implementations"], start=1):
            marks = f"  [{', '.join(impl['marks'])}]" if impl["marks"] else ""
            print(f"  {position}. {impl['plugin'].ljust(width)}  {impl['location']}{marks}", file=context.out)
    return 0
