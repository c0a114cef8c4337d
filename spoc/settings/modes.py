"""Modes and the apps they load: ``development`` loads development + staging + production apps.

Plain functions over plain values, shared by the validated settings and by the
quick read of the inspection commands, so that both pick the same apps in the
same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from spoc.errors import did_you_mean
from spoc.settings.origins import ConfigProblem, Origin

__all__ = ["BUILTIN_MODES", "DEFAULT_MODE", "ListedApp", "check_modes", "known_modes", "select_apps"]

BUILTIN_MODES: Final[Mapping[str, Sequence[str]]] = {
    "development": ("development", "staging", "production"),
    "staging": ("staging", "production"),
    "production": ("production",),
}
DEFAULT_MODE: Final = "development"


@dataclass(frozen=True)
class ListedApp:
    """One app to load, and where it is listed.

    Attributes:
        name: the app's name (its folder under ``apps/``).
        listed_in: ``INSTALLED_APPS`` or ``apps.<mode>``.
        origin: the file and line (or variable) of that list, when known.
    """

    name: str
    listed_in: str
    origin: Origin | None = None

    def where(self) -> str:
        """Say where the app is listed, for messages: ``apps.production at config/spoc.toml:6``."""
        return f"{self.listed_in} at {self.origin}" if self.origin is not None else self.listed_in


def known_modes(declared: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Return every mode and its cascade, strongest first: the built-in ones, then ``[spoc.modes]``."""
    modes = {name: list(cascade) for name, cascade in BUILTIN_MODES.items()}
    modes.update({name: list(cascade) for name, cascade in declared.items()})
    return modes


def _mode_source(origin: Origin | None) -> str:
    if origin is None:
        return "the default"
    if origin.source == "argument":
        return origin.label if origin.label.startswith("--") else "Framework(settings={'mode': ...})"
    if origin.source in ("environment", "dotenv"):
        return f"the environment variable {origin.variable}" if origin.source == "environment" else str(origin.variable)
    if origin.source == "settings_module":
        return "MODE"
    return "spoc.mode"


def check_modes(
    mode: str,
    modes: Mapping[str, Sequence[str]],
    per_mode: Mapping[str, Sequence[str]],
    origin_of: Callable[[tuple[str, ...]], Origin | None],
) -> list[ConfigProblem]:
    """Return the problems of the mode and of ``[spoc.apps]``: a mode that no cascade declares."""
    problems: list[ConfigProblem] = []
    if mode not in modes:
        origin = origin_of(("mode",))
        problems.append(
            ConfigProblem(
                f"unknown mode {mode!r} (from {_mode_source(origin)}){did_you_mean(mode, modes)}; "
                f"valid modes: {', '.join(modes)}. Declare others under [spoc.modes].",
                origin if origin is not None and origin.path is not None else None,
                "spoc.mode",
            )
        )
    for listed in per_mode:
        if listed not in modes:
            problems.append(
                ConfigProblem(
                    f"[spoc.apps] lists apps for unknown mode {listed!r}{did_you_mean(listed, modes)}; "
                    f"valid modes: {', '.join(modes)}",
                    origin_of(("apps", listed)),
                    f"spoc.apps.{listed}",
                )
            )
    return problems


def select_apps(
    installed: Sequence[str],
    installed_origin: Origin | None,
    per_mode: Mapping[str, Sequence[str]],
    cascade: Sequence[str],
    origin_of: Callable[[tuple[str, ...]], Origin | None],
) -> list[ListedApp]:
    """Return the apps to load: ``INSTALLED_APPS`` first, then the cascade base first, without duplicates.

    The cascade is written strongest first; apps load base first (production's,
    then staging's, then development's), as Django projects append debug apps.
    """
    apps: dict[str, ListedApp] = {}
    for app in installed:
        apps.setdefault(app, ListedApp(app, "INSTALLED_APPS", installed_origin))
    for mode in reversed(cascade):
        for app in per_mode.get(mode, ()):
            apps.setdefault(app, ListedApp(app, f"apps.{mode}", origin_of(("apps", mode))))
    return list(apps.values())
