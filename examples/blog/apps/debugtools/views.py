"""Pages for developers only."""

from __future__ import annotations

import platform

from apps.core.components import view


@view("/_debug/python")
def python_version() -> str:
    """Show which Python serves the site."""
    return f"{platform.python_implementation()} {platform.python_version()}"
