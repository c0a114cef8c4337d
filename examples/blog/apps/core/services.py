"""The current site, and text helpers that every app uses."""

from __future__ import annotations

import re

from apps.core.components import service
from apps.core.models import Site

_current: dict[str, Site] = {}


def open_site(site: Site) -> None:
    """Make ``site`` the current site (core's spoc_startup does, from the settings)."""
    _current["site"] = site


def close_site() -> None:
    """Forget the current site (core's spoc_shutdown)."""
    _current.clear()


@service
def current_site() -> Site:
    """Return the site being served."""
    try:
        return _current["site"]
    except KeyError:
        raise RuntimeError("no current site: start the framework first") from None


@service
def slugify(text: str) -> str:
    """Return a URL-safe slug: ``"Hello, SPOC!"`` becomes ``"hello-spoc"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@service
def excerpt(text: str, words: int = 8) -> str:
    """Return the first ``words`` words of ``text``, with an ellipsis if cut."""
    parts = text.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")
