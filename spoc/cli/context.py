"""What every command of ``python -m spoc`` shares: the global options, the project, a table printer.

A command module has ``HELP``, ``add_arguments(parser)`` and
``run(args, context) -> int``. ``--help`` imports every command module, so a
module imports at its top only what its parser needs, and the rest (the
framework, json, logging) in ``run``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from spoc.errors import SpocError

if TYPE_CHECKING:
    from spoc.cli.validation import Validation
    from spoc.framework import Framework
    from spoc.plugins.inventory import PluginInventory
    from spoc.settings.sources import Overrides

__all__ = ["COMMANDS", "CommandContext", "find_project", "table"]

COMMANDS: Final = ("apps", "plugins", "hooks", "components", "check", "graph", "init", "run", "settings")


def find_project(start: Path) -> Path | None:
    """Return the nearest folder upward from ``start`` holding spoc.toml or config/spoc.toml."""
    from spoc.settings.files import find_toml_files

    for folder in (start, *start.parents):
        if find_toml_files(folder):
            return folder
    return None


@dataclass
class CommandContext:
    """The global options, and what the commands build from them: a Framework, or only its plugins.

    Attributes:
        out: where a command prints its own output (stdout); while a built-in
            command runs, ``print()`` without a file goes to stderr, so that what
            apps and plugins print never mixes into a listing or a JSON document.
        show_traceback: ``--traceback``: errors print their traceback.
    """

    project: Path | None
    mode: str | None = None
    load: list[str] = field(default_factory=list)
    block: list[str] = field(default_factory=list)
    strict: bool = True
    out: TextIO = field(default_factory=lambda: sys.stdout)
    show_traceback: bool = False

    @classmethod
    def from_options(cls, project: Path | None, mode: str | None, plugin_options: Sequence[str]) -> CommandContext:
        """Split ``-p NAME`` (load) from ``-p no:NAME`` (block)."""
        block = [option.removeprefix("no:") for option in plugin_options if option.startswith("no:")]
        load = [option for option in plugin_options if not option.startswith("no:")]
        return cls(project, mode, load, block)

    def project_dir(self) -> Path:
        """Return ``--project``, or the nearest project upward from the working folder."""
        found = self.project or find_project(Path.cwd())
        if found is None:
            raise SpocError(
                f"no SPOC project found in {Path.cwd()} or above: no spoc.toml or config/spoc.toml. "
                "Run inside a project, or pass --project DIR."
            )
        return found

    def settings(self, overrides: Mapping[str, Any] | None = None) -> Overrides:
        """Return the settings the global options impose (``--mode``), with ``overrides`` on top."""
        from spoc.settings.sources import Overrides

        values = {**({"mode": self.mode} if self.mode else {}), **(overrides or {})}
        return Overrides(values, "--mode" if self.mode else "the command line")

    def framework(self, settings_overrides: Mapping[str, Any] | None = None) -> Framework:
        """Build the project's Framework with the global options applied."""
        from spoc.framework import Framework

        settings = self.settings(settings_overrides)
        return Framework(
            self.project_dir(), strict=self.strict, settings=settings, disable_plugins=self.block, plugins=self.load
        )

    def validate(self) -> Validation:
        """Build the Framework, or as much of it as can be, and find every problem (:mod:`spoc.cli.validation`)."""
        from spoc.cli.validation import validate

        return validate(self)

    def inventory(self) -> PluginInventory:
        """Register the project's plugins as its Framework would, without settings sections or startup machinery.

        For the commands that show registration (``plugins``, ``hooks``): no
        ``spoc_load_settings`` call, so no plugin's settings model (pydantic) is
        imported. The plugin selection is read as written first, so that a
        value every other command rejects is rejected here too; then the
        plugins are registered with ``plugin_errors = "warn"``, so that a
        broken one is listed as ``failed`` instead of stopping the listing.
        """
        from spoc.plugins.inventory import plugin_inventory
        from spoc.settings.project import read_plugin_selection

        given = self.settings()
        read_plugin_selection(self.project_dir().resolve(), given, label=given.label)
        tolerant = self.settings({"plugin_errors": "warn"})
        return plugin_inventory(
            self.project_dir(),
            settings=tolerant,
            label=tolerant.label,
            disable_plugins=self.block,
            plugins=self.load,
        )

    def fail(self, problems: Sequence[BaseException]) -> int:
        """Print each problem as an ``error:`` line on stderr (with ``--traceback``, its traceback); return 1."""
        from spoc.cli.output import print_errors

        self.out.flush()  # what the command printed comes first
        print_errors(problems, show_traceback=self.show_traceback)
        return 1


def table(rows: Sequence[Sequence[str]]) -> str:
    """Format rows as columns sized to their content; the first row is the header."""
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)
