"""The ``[spoc.timing]`` settings section (imported only when SPOC asks for it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TimingSettings"]


class TimingSettings(BaseModel):
    """``[spoc.timing]`` in spoc.toml.

    Attributes:
        enabled: measure the steps at all; ``false`` leaves only the hook call.
        report: print the slowest startup steps to stderr when startup is done.
        slowest: how many steps the report shows.
        threshold_ms: leave steps faster than this out of the report.
    """

    # A misspelt key is an error rather than a setting silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    report: bool = False
    slowest: int = Field(default=5, ge=0)
    threshold_ms: float = Field(default=0.0, ge=0.0)
