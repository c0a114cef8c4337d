"""The site itself."""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.components import model


@model
@dataclass(frozen=True)
class Site:
    """The site's name and tagline, shown on every page."""

    name: str
    tagline: str = "a modular monolith, one app at a time"
