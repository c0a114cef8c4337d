"""Every error SPOC raises, as one tree under :class:`SpocError`.

Each error carries the facts as attributes so that tools (the CLI, tests,
plugins) can act on them without parsing messages, and each message says what
went wrong, where, and how to fix it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    from builtins import ExceptionGroup as _ExceptionGroup
else:  # pragma: no cover - depends on the interpreter
    from exceptiongroup import ExceptionGroup as _ExceptionGroup

__all__ = [
    "AppImportError",
    "AppNotFoundError",
    "AsyncHookError",
    "ConfigError",
    "CycleError",
    "DuplicateComponentError",
    "HookValidationError",
    "ModuleMissingError",
    "NotStartedError",
    "PluginHookError",
    "PluginLoadError",
    "PluginOrderError",
    "ShutdownError",
    "SpocError",
    "SpocWarning",
    "StartupError",
    "WorkerError",
    "WorkerTimeoutError",
    "did_you_mean",
    "warn_from_user_code",
]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return a `` (did you mean 'x'?)`` hint, or an empty string."""
    import difflib  # only when there is an error to explain

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _choices(choices: Sequence[str]) -> str:
    return ", ".join(repr(choice) for choice in choices) if choices else "none"


class SpocError(Exception):
    """Base of every error SPOC raises."""


class ConfigError(SpocError):
    """The project configuration is invalid.

    Attributes:
        path: the file the value came from, or ``None`` for code or variables.
        key: the dotted key that is wrong, e.g. ``spoc.mode``.
        line: the line of ``path`` where the key is, when known.
    """

    def __init__(
        self, message: str, *, path: Path | None = None, key: str | None = None, line: int | None = None
    ) -> None:
        self.path = path
        self.key = key
        self.line = line
        where = "" if path is None else f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{message}")


class AppNotFoundError(SpocError):
    """An app named in the configuration has no package under ``apps/``."""

    def __init__(self, app: str, apps_dir: Path, available: Sequence[str], listed: str = "") -> None:
        self.app = app
        self.path = apps_dir / app
        self.available = list(available)
        self.listed = listed
        where = f": it is listed in {listed}" if listed else ""
        super().__init__(
            f"app {app!r} not found: expected a package at {self.path}"
            f"{did_you_mean(app, available)}. Apps that exist: {_choices(available)}. "
            f"Create the folder with an __init__.py, or remove the app from the configuration{where}."
        )


class AppImportError(SpocError):
    """Importing an app package or one of its modules raised an exception.

    The error is about the module whose file holds the failing statement: when
    ``views.py`` imports a broken ``models.py``, that is ``apps.blog.models``,
    so one fault is reported once, at its source.

    Attributes:
        app: the app of that module.
        module: its dotted name, e.g. ``apps.blog.models``.
        path: its file.
        line: the line of the failing statement in ``path``, when known.
        hint: how to fix it.
    """

    def __init__(
        self,
        app: str,
        module: str,
        path: Path,
        cause: BaseException,
        *,
        line: int | None = None,
        hint: str = "",
        raised_in: str = "",
        excerpt: str = "",
    ) -> None:
        self.app = app
        self.module = module
        self.path = path
        self.line = line
        self.hint = hint or _import_hint(cause, "at that line" if line else "in that file")
        where = f"at {path}:{line}" if line else f"in {path}"
        if isinstance(cause, SyntaxError):
            text = cause.msg or "invalid syntax"
            raised = f" (in {raised_in})" if raised_in else ""
            tail = f"\n{excerpt}\n{self.hint}" if excerpt else f". {self.hint}"
            super().__init__(
                f"importing {module!r} of app {app!r} failed {where}: {type(cause).__name__}{raised}: {text}{tail}"
            )
            return
        raised = f" (raised in {raised_in})" if raised_in else ""
        super().__init__(
            f"importing {module!r} of app {app!r} failed {where}: "
            f"{_sentence(f'{type(cause).__name__}: {cause}{raised}')} {self.hint}"
        )


def _sentence(text: str) -> str:
    """End a quoted message with a full stop unless it ends a sentence already."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _said(cause: BaseException) -> str:
    """Quote an exception as ``Type: message.``, one full stop at its end."""
    return _sentence(f"{type(cause).__name__}: {cause}")


def _import_hint(cause: BaseException, where: str) -> str:
    if isinstance(cause, IndentationError):
        return f"Correct the indentation {where}."
    if isinstance(cause, SyntaxError):
        return f"Correct the syntax {where}."
    if isinstance(cause, ModuleNotFoundError) and cause.name:
        top = cause.name.partition(".")[0]
        return f"Install the package {top!r} (pip install {top}), or correct the import {where}."
    return f"Fix the code {where}; the traceback of the cause shows the calls that led to it."


class ModuleMissingError(SpocError):
    """A module named by the Schema does not exist in an app (strict mode)."""

    def __init__(self, app: str, module: str, path: Path) -> None:
        self.app = app
        self.module = module
        self.path = path
        super().__init__(
            f"app {app!r} has no {module!r} module: expected {path} (or a package "
            f"{path.with_suffix('')}/__init__.py). Create it, or build the Framework with "
            "strict=False to skip missing modules."
        )


class CycleError(SpocError):
    """The Schema's module dependencies form a cycle."""

    def __init__(self, cycle: Sequence[str], where: str = "the Schema's dependencies") -> None:
        self.cycle = list(cycle)
        self.where = where
        chain = " -> ".join(self.cycle)
        super().__init__(
            f"the module dependencies form a cycle: {chain} (declared in {where}). "
            "Remove one of these dependencies so that the modules can be imported in order."
        )


class DuplicateComponentError(SpocError):
    """Two components were registered under the same ``app.Name`` in one kind."""

    def __init__(self, kind: str, name: str, first: str, second: str) -> None:
        self.kind = kind
        self.name = name
        self.locations = (first, second)
        super().__init__(
            f"component {name!r} of kind {kind!r} is defined twice: at {first} and at {second}. "
            "Rename one of them or remove the duplicate registration."
        )


class HookValidationError(SpocError):
    """A plugin implements a hook wrongly: an unknown name or unknown arguments."""

    def __init__(self, message: str, *, plugin: str, hook: str, location: str) -> None:
        self.plugin = plugin
        self.hook = hook
        self.location = location
        super().__init__(message)


class PluginLoadError(SpocError):
    """A plugin found through an entry point could not be loaded or registered."""

    def __init__(self, plugin: str, distribution: str | None, version: str | None, cause: BaseException) -> None:
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        dist = f" from {distribution} {version}" if distribution else ""
        super().__init__(
            f"plugin {plugin!r}{dist} failed to load: {_said(cause)} "
            f"Upgrade or uninstall it, or disable it: disable_plugins = [{plugin!r}] under [spoc], "
            f"'-p no:{plugin}' on the command line, or SPOC_DISABLE_PLUGIN_AUTOLOAD=1; "
            'plugin_errors = "warn" under [spoc] skips broken plugins with a warning instead.'
        )


class PluginHookError(SpocError):
    """A plugin's hook implementation raised while the framework was built or inspected.

    Attributes:
        plugin: the plugin's name.
        distribution: the distribution that ships it, if known; ``version`` its version.
        hook: the hook that raised, e.g. ``spoc_load_settings``.
        location: ``file:line`` of the implementation.
    """

    def __init__(
        self,
        plugin: str,
        hook: str,
        location: str,
        cause: BaseException,
        *,
        distribution: str | None = None,
        version: str | None = None,
        source: str = "",
    ) -> None:
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        self.hook = hook
        self.location = location
        dist = f" ({distribution} {version})" if distribution else ""
        how = (
            f"Fix the plugin or upgrade it, or disable it: -p no:{plugin}, "
            f"or disable_plugins = [{plugin!r}] under [spoc]."
            if source == "entrypoint"
            else "Fix the implementation."
        )
        who = f"{source} plugin" if source else "plugin"
        super().__init__(f"{who} {plugin!r}{dist} raised in {hook} at {location}: {_said(cause)} {how}")


class NotStartedError(SpocError):
    """Components were asked for before ``startup()``: the registry fills as the modules are imported."""


class PluginOrderError(SpocError):
    """A plugin's ``spoc_requires``/``spoc_before``/``spoc_after`` cannot be satisfied.

    Attributes:
        plugin: the plugin whose declaration fails.
        chain: the plugins involved: ``[plugin, missing requirement]`` or the cycle.
    """

    def __init__(self, message: str, *, plugin: str, chain: Sequence[str] = ()) -> None:
        self.plugin = plugin
        self.chain = list(chain)
        super().__init__(message)


class AsyncHookError(SpocError):
    """The synchronous lifecycle met an ``async def`` implementation."""

    def __init__(self, step: str, location: str) -> None:
        self.step = step
        self.location = location
        super().__init__(
            f"{step} is an async function ({location}), but the framework was started with "
            "the synchronous startup()/shutdown(). Use 'await fw.astartup()' and "
            "'await fw.ashutdown()' (or 'async with Framework(...)') instead."
        )


class StartupError(SpocError):
    """A startup step failed; everything started before it was stopped again.

    Attributes:
        step: a readable name of the failing step, e.g. ``import blog.models``.
        location: ``file:line`` of the statement that raised, in the user's code, when known.
        undo_errors: errors raised while undoing the steps already done.
    """

    def __init__(
        self, step: str, cause: BaseException, undo_errors: Sequence[BaseException] = (), location: str | None = None
    ) -> None:
        self.step = step
        self.undo_errors = list(undo_errors)
        self.location = location
        raised = f" (raised at {self.location})" if self.location else ""
        extra = ""
        if self.undo_errors:
            extra = f" Undoing the earlier steps also failed {len(self.undo_errors)} time(s): " + "; ".join(
                str(err) for err in self.undo_errors
            )
        super().__init__(
            f"startup failed at step `{step}`: {_sentence(f'{type(cause).__name__}: {cause}{raised}')} "
            f"Every step already done was undone in reverse order.{extra}"
        )


class ShutdownError(SpocError, _ExceptionGroup[Exception]):
    """One or more shutdown steps failed; every other step still ran.

    An ``ExceptionGroup``: ``except* SomeError`` and ``.exceptions`` work.
    """

    def __new__(cls, message: str, exceptions: Sequence[Exception]) -> ShutdownError:
        return super().__new__(cls, message, exceptions)

    def derive(self, excs: Sequence[Exception]) -> ShutdownError:  # type: ignore[override]
        """Keep the type when Python splits the group (``except*``)."""
        return ShutdownError(self.message, excs)


class WorkerError(SpocError):
    """A worker is declared wrongly, or failed while it ran.

    Attributes:
        worker: the worker's name (empty when it has none yet).
        site: ``file:line`` where it is defined, when known.
        remote_traceback: for a process worker, the traceback printed in its process.
    """

    def __init__(self, message: str, *, worker: str, site: str = "", remote_traceback: str = "") -> None:
        self.worker = worker
        self.site = site
        self.remote_traceback = remote_traceback
        super().__init__(message)


class WorkerTimeoutError(WorkerError):
    """A worker did not stop within its ``stop_timeout``; a process worker's process was terminated.

    Attributes:
        timeout: the stop timeout, in seconds.
    """

    def __init__(self, worker: str, kind: str, timeout: float, site: str = "") -> None:
        self.timeout = timeout
        ended = (
            "its process was terminated"
            if kind == "process"
            else "its main task was cancelled"
            if kind == "asyncio"
            else "its thread is left running as a daemon"
        )
        super().__init__(
            f"worker {worker!r} ({site or 'unknown location'}) did not stop within {timeout:g} s of being asked to; "
            f"{ended}. Make its main() return soon after `stop` is set (wait on it instead of sleeping), "
            "or give it more time: @spoc.worker(stop_timeout=...).",
            worker=worker,
            site=site,
        )


class SpocWarning(UserWarning):
    """Something in the project is probably a mistake, but SPOC can go on."""


_SPOC_FOLDER = str(Path(__file__).parent)


def warn_from_user_code(message: str, category: type[SpocWarning] = SpocWarning) -> None:
    """Warn as from the first caller outside SPOC, so that the source line Python prints is the user's."""
    import sys
    import warnings

    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_SPOC_FOLDER):
        level, frame = level + 1, frame.f_back  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)
