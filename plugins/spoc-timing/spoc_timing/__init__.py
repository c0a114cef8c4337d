"""spoc-timing: time every lifecycle step of a SPOC application and report the slowest.

Installed, it is found through the ``spoc.plugins`` entry point ``timing``.
It records quietly; ``[spoc.timing] report = true`` prints the slowest
startup steps to stderr once startup is done.
"""

from __future__ import annotations

from spoc_timing.plugin import TimingPlugin, find_plugin, timings
from spoc_timing.records import StepTiming, format_report

__all__ = ["StepTiming", "TimingPlugin", "find_plugin", "format_report", "timings"]
