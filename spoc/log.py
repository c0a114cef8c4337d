"""SPOC's loggers, which import :mod:`logging` only when a record could be shown.

Importing ``logging`` costs several milliseconds, as much as the rest of a
small project's start. Until something imports it, no handler or level can
have been configured, so a record below WARNING would be dropped by
logging's last-resort handler anyway: it is skipped without the import.
Once the application imports ``logging`` (to configure it, at any time),
every record goes through the real logger as usual.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import logging

__all__ = ["LazyLogger", "get_logger"]

DEBUG: Final = 10
INFO: Final = 20
WARNING: Final = 30
ERROR: Final = 40


class LazyLogger:
    """A stand-in for ``logging.getLogger(name)`` with the methods SPOC uses."""

    __slots__ = ("_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    @property
    def logger(self) -> logging.Logger:
        """The real logger; importing :mod:`logging` if nothing has yet."""
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self.name)
        return self._logger

    def isEnabledFor(self, level: int) -> bool:
        """Whether a record of ``level`` would be handled; ``False`` below WARNING while logging is unimported."""
        if level < WARNING and "logging" not in sys.modules:
            return False
        return self.logger.isEnabledFor(level)

    def debug(self, message: str, *args: Any) -> None:
        """Log at DEBUG, as ``logging.Logger.debug``."""
        if self.isEnabledFor(DEBUG):
            self.logger.debug(message, *args, stacklevel=2)

    def info(self, message: str, *args: Any) -> None:
        """Log at INFO, as ``logging.Logger.info``."""
        if self.isEnabledFor(INFO):
            self.logger.info(message, *args, stacklevel=2)

    def warning(self, message: str, *args: Any) -> None:
        """Log at WARNING, as ``logging.Logger.warning``."""
        self.logger.warning(message, *args, stacklevel=2)

    def error(self, message: str, *args: Any) -> None:
        """Log at ERROR, as ``logging.Logger.error``."""
        self.logger.error(message, *args, stacklevel=2)

    def exception(self, message: str, *args: Any) -> None:
        """Log at ERROR with the exception being handled, as ``logging.Logger.exception``."""
        self.logger.exception(message, *args, stacklevel=2)


def get_logger(name: str) -> LazyLogger:
    """Return the lazy logger of ``name`` (``spoc``, ``spoc.loader``...)."""
    return LazyLogger(name)
