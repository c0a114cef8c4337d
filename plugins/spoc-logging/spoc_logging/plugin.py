"""The plugin: a ``spoc_invoke`` wrapper that logs one JSON line per call.

The entry point names the class, so each Framework gets its own instance.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import spoc

from spoc_logging.records import invoke_record

if TYPE_CHECKING:
    import logging

    from spoc.framework import Framework

    from spoc_logging.settings import LoggingSettings

__all__ = ["SECTION", "InvokeLoggingPlugin"]

SECTION: Final = "logging"


class InvokeLoggingPlugin:
    """Log every ``fw.invoke`` call: component, duration, outcome, and optionally its arguments.

    Each record is one JSON line, the log message; the same dict is on the
    log record as ``record.spoc_invoke`` for handlers that format their own.
    """

    def __init__(self) -> None:
        self._resolved: _Resolved | None = None

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
        resolved = self._resolve(framework)
        if not (resolved.settings.enabled and resolved.logger.isEnabledFor(resolved.level)):
            # The common case in production: cost one check, build nothing.
            return (yield)
        emit = _Emitter(framework, component, resolved, (args, kwargs))
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

    def _resolve(self, framework: Framework) -> _Resolved:
        """Return the settings, logger and level, read once per settings object: this runs on every call."""
        resolved = self._resolved
        if resolved is None or resolved.source is not framework.settings:
            import logging  # here, not at import: `spoc --help` loads the plugin only to ask for commands

            settings = _settings(framework)
            logger = logging.getLogger(settings.logger)
            resolved = _Resolved(framework.settings, settings, logger, settings.level_number)
            self._resolved = resolved
        return resolved


class _Resolved(NamedTuple):
    """What a call needs from the settings, and the settings object it was read from."""

    source: object
    settings: LoggingSettings
    logger: logging.Logger
    level: int


class _Emitter:
    """Write the record of one call, once its outcome is known."""

    def __init__(
        self,
        framework: Framework,
        component: Any,
        resolved: _Resolved,
        arguments: tuple[tuple[Any, ...], dict[str, Any]],
    ) -> None:
        self.framework, self.component, self.resolved = framework, component, resolved
        self.arguments = arguments if resolved.settings.include_args else None

    def __call__(self, seconds: float, error: BaseException | None = None) -> None:
        import json  # as logging above; a call that is logged costs far more than this look-up

        record = invoke_record(self.framework, self.component, seconds, error, self.arguments)
        line = json.dumps(record, default=str)
        self.resolved.logger.log(self.resolved.level, "%s", line, extra={"spoc_invoke": record})


async def _logged(call: Coroutine[Any, Any, Any], emit: _Emitter) -> Any:
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
