"""spoc-logging: one structured JSON line for every ``fw.invoke`` call of a SPOC application.

Installed, it is found through the ``spoc.plugins`` entry point ``logging``.
It logs at DEBUG on the ``spoc.invoke`` logger by default, so nothing shows
until the project configures logging or ``[spoc.logging]``.
"""

from __future__ import annotations

from spoc_logging.plugin import InvokeLoggingPlugin
from spoc_logging.records import invoke_record

__all__ = ["InvokeLoggingPlugin", "invoke_record"]
