"""What one measured step looks like, and the report of the slowest ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["StepTiming", "format_report", "slowest"]


@dataclass(frozen=True)
class StepTiming:
    """The duration of one lifecycle step or of its undo.

    Attributes:
        kind: the step's kind: ``import``, ``schema_hook``, ``initialize``,
            ``spoc_register_components``, ``spoc_startup`` or ``prepare``.
        target: what it acted on: ``blog.models`` or a plugin's name.
        label: SPOC's description of the step, as its errors quote it.
        undo: ``True`` for the undo action run at shutdown.
        seconds: how long it took.
        failed: whether it raised.
    """

    kind: str
    target: str
    label: str
    undo: bool
    seconds: float
    failed: bool = False

    @property
    def milliseconds(self) -> float:
        """The duration in milliseconds, as the report prints it."""
        return self.seconds * 1000


def slowest(timings: Sequence[StepTiming], count: int, threshold_ms: float = 0.0) -> list[StepTiming]:
    """Return at most ``count`` timings of at least ``threshold_ms``, slowest first (stable for ties)."""
    kept = [timing for timing in timings if timing.milliseconds >= threshold_ms]
    return sorted(kept, key=lambda timing: timing.seconds, reverse=True)[: max(count, 0)]


def format_report(timings: Sequence[StepTiming], count: int, threshold_ms: float = 0.0) -> str:
    """Return the report of the slowest startup steps: a heading, then one aligned line per step."""
    startup = [timing for timing in timings if not timing.undo]
    chosen = slowest(startup, count, threshold_ms)
    total = sum(timing.milliseconds for timing in startup)
    above = f" of at least {threshold_ms:g} ms" if threshold_ms > 0 else ""
    heading = (
        f"spoc-timing: the {len(chosen)} slowest startup step(s){above}, of {len(startup)} ({total:.2f} ms in all)"
    )
    if not chosen:
        return heading
    durations = [f"{timing.milliseconds:.2f} ms" for timing in chosen]
    kinds = [timing.kind + (" (failed)" if timing.failed else "") for timing in chosen]
    width, kind_width = max(map(len, durations)), max(map(len, kinds))
    rows = [
        f"  {duration.rjust(width)}  {kind.ljust(kind_width)}  {timing.target}".rstrip()
        for duration, kind, timing in zip(durations, kinds, chosen, strict=True)
    ]
    return "\n".join([heading, *rows])
