"""The plugin: a ``spoc_invoke`` wrapper that logs one JSON line per call.

The entry point names the class, so each Framework gets its own instance.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any, Final

import spoc

from spoc_logging.records import invoke_record

if TYPE_CHECKING:
    import logging

    from spoc.framework import Framework

    from spoc_logging.settings import LoggingSettings

__all__ = ["NAME", "SECTION", "InvokeLoggingPlugin"]

# The entry point's name in pyproject.toml: SPOC registers the plugin under it.
NAME: Final = "logging"
SECTION: Final = "logging"


class InvokeLoggingPlugin:
    """Log every ``fw.invoke`` call: component, duration, outcome, and optionally its arguments.

    Each record is one JSON line, the log message; the same dict is on the
    log record as ``record.spoc_invoke`` for handlers that format their own.
    The plugin keeps no state: the settings and the logger are looked up on
    each call, so a framework built with other settings, or a logger the
    project reconfigures, is always what a call sees.
    """

    @spoc.hookimpl
    def spoc_load_settings(self) -> dict[str, Any]:
        """Declare ``[spoc.logging]``."""
        from spoc_logging.settings import LoggingSettings

        return {SECTION: LoggingSettings}

    # tryfirst: the outermost middleware, so that a call refused by an inner one is logged too.
    @spoc.hookimpl(wrapper=True, tryfirst=True)
    def spoc_invoke(
        self, framework: Framework, component: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Generator[None, Any, Any]:
        """Time the call and log how it ended; the result and any exception pass through unchanged."""
        # Imported here, not with the module: `spoc --help` loads every plugin only to ask for its commands.
        import logging

        settings = _settings(framework)
        logger = logging.getLogger(settings.logger)
        if not (settings.enabled and logger.isEnabledFor(settings.level_number)):
            # The common case in production: one check, nothing built.
            return (yield)
        emit = _Emitter(framework, component, settings, logger, (args, kwargs))
        started = time.perf_counter()
        try:
            result = yield
        except BaseException as exc:
            emit(time.perf_counter() - started, exc)
            raise
        if inspect.iscoroutine(result):
            # An async component: what matters is how long the awaited call takes.
            return _logged(result, emit)
        emit(time.perf_counter() - started)
        return result


class _Emitter:
    """Write the record of one call, once its outcome is known."""

    def __init__(
        self,
        framework: Framework,
        component: Any,
        settings: LoggingSettings,
        logger: logging.Logger,
        arguments: tuple[tuple[Any, ...], dict[str, Any]],
    ) -> None:
        self.framework, self.component, self.logger = framework, component, logger
        self.level = settings.level_number
        self.arguments = arguments if settings.include_args else None

    def __call__(self, seconds: float, error: BaseException | None = None) -> None:
        import json  # as logging above

        record = invoke_record(self.framework, self.component, seconds, error, self.arguments)
        line = json.dumps(record, default=str)
        self.logger.log(self.level, "%s", line, extra={"spoc_invoke": record})


async def _logged(call: Coroutine[Any, Any, Any], emit: _Emitter) -> Any:
    """Await an async component's call and log it with the time the await took."""
    started = time.perf_counter()
    try:
        result = await call
    except BaseException as exc:
        emit(time.perf_counter() - started, exc)
        raise
    emit(time.perf_counter() - started)
    return result


def _settings(framework: Framework) -> LoggingSettings:
    """Return ``[spoc.logging]``; the defaults when the plugin was registered after settings were read."""
    try:
        section: LoggingSettings = framework.settings.section(SECTION)
    except KeyError:
        from spoc_logging.settings import LoggingSettings

        return LoggingSettings()
    return section
