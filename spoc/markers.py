"""The pluggy markers for the project name ``spoc``.

Kept apart from :mod:`spoc.hookspecs` so that plugins can import the markers
without pulling in anything else.
"""

from __future__ import annotations

from typing import Final

import pluggy

PROJECT_NAME: Final = "spoc"

hookspec: Final = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl: Final = pluggy.HookimplMarker(PROJECT_NAME)
