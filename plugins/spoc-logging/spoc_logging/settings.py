"""The ``[spoc.logging]`` settings section (imported only when SPOC asks for it)."""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["LoggingSettings"]

LevelName = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class LoggingSettings(BaseModel):
    """``[spoc.logging]`` in spoc.toml.

    Attributes:
        enabled: log the calls at all.
        level: the level of each record; DEBUG keeps it quiet by default.
        logger: the logger's name, for the project's logging configuration.
        include_args: add the call's arguments (as ``repr``; secrets masked).
    """

    # A misspelt key is an error rather than a setting silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    level: LevelName = "DEBUG"
    logger: str = "spoc.invoke"
    include_args: bool = False

    @field_validator("level", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        """Accept ``level = "info"`` as readily as ``"INFO"``."""
        return value.upper() if isinstance(value, str) else value

    @property
    def level_number(self) -> int:
        """The level as the number ``logging`` uses."""
        number: int = getattr(logging, self.level)
        return number
