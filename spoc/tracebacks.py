"""Point at the user's code in a traceback, and keep SPOC's own frames out of its way.

When ``fw.startup()`` fails in a user's ``initialize()``, Python would print a
dozen frames of SPOC, pluggy and importlib between ``main.py`` and the line at
fault. The public entry points of a ``Framework`` re-raise a ``SpocError``
without those frames (pytest hides its own the same way, and frames that set
``__tracebackhide__ = True`` are hidden too); ``SPOC_FULL_TRACEBACK=1`` keeps
every frame, for debugging SPOC itself.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Final, ParamSpec, TypeVar

__all__ = [
    "FULL_TRACEBACK_VARIABLE",
    "full_traceback_requested",
    "hidden_frames",
    "hidden_frames_async",
    "innermost",
    "is_internal",
    "syntax_excerpt",
    "user_location",
    "without_internal_frames",
]

FULL_TRACEBACK_VARIABLE: Final = "SPOC_FULL_TRACEBACK"

P = ParamSpec("P")
R = TypeVar("R")

_SPOC_DIR: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep


def full_traceback_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Return whether ``SPOC_FULL_TRACEBACK`` asks for every frame (set, and not 0/false/no/off)."""
    value = (os.environ if environ is None else environ).get(FULL_TRACEBACK_VARIABLE, "")
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def _package_dir(name: str) -> str | None:
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(file)) + os.sep if file else None


def _internal_dirs() -> tuple[str, ...]:
    """The folders whose frames are SPOC's machinery: SPOC, pluggy (its hook calls), importlib (its imports)."""
    return tuple(path for path in (_SPOC_DIR, _package_dir("pluggy"), _package_dir("importlib")) if path)


def is_internal(filename: str) -> bool:
    """Return whether a frame's file is SPOC's, pluggy's or importlib's."""
    return filename.startswith(_internal_dirs()) or filename.startswith("<frozen importlib")


def _hidden(frame: FrameType, internal: tuple[str, ...]) -> bool:
    filename = frame.f_code.co_filename
    if filename.startswith(internal) or filename.startswith("<frozen importlib"):
        return True
    return bool(frame.f_locals.get("__tracebackhide__") or frame.f_globals.get("__tracebackhide__"))


def _library_dirs() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    return tuple(os.path.abspath(path) + os.sep for path in found)


def frames(tb: TracebackType | None) -> Iterator[TracebackType]:
    """Yield the entries of a traceback, outermost first."""
    while tb is not None:
        yield tb
        tb = tb.tb_next


def innermost(tb: TracebackType | None, keep: Callable[[str], bool]) -> tuple[Path, int] | None:
    """Return the file and line of the innermost frame whose file ``keep`` accepts, if any."""
    found: tuple[Path, int] | None = None
    for entry in frames(tb):
        filename = entry.tb_frame.f_code.co_filename
        if keep(filename):
            found = (Path(filename), entry.tb_lineno)
    return found


def user_location(exc: BaseException) -> str | None:
    """Return ``file:line`` of the innermost frame of ``exc`` that is neither SPOC's nor a library's, if any."""
    skipped = (*_internal_dirs(), *_library_dirs())

    def is_user_code(filename: str) -> bool:
        library = filename.startswith(skipped) or "-packages" + os.sep in filename
        return not filename.startswith("<") and not library

    found = innermost(exc.__traceback__, is_user_code)
    return f"{found[0]}:{found[1]}" if found else None


def syntax_excerpt(exc: SyntaxError) -> str:
    """Return the line of a syntax error and its caret as Python prints them, each behind a ``| `` gutter.

    The gutter keeps the caret's column whatever indents the message, and no line
    of it starts with spaces (a caller may split a message on an indented line).
    """
    import traceback

    printed = "".join(traceback.format_exception_only(type(exc), exc)).splitlines()
    # Python prints: '  File "x.py", line 3', then the line and the caret indented by 4, then 'SyntaxError: ...'.
    shown = [line[4:] for line in printed[1:-1] if line.startswith("    ")]
    return "\n".join(f"| {line}".rstrip() for line in shown)


def without_internal_frames(exc: BaseException) -> BaseException:
    """Drop SPOC's, pluggy's and importlib's frames from ``exc``, its causes and its group's members.

    Returns:
        ``exc`` itself, its tracebacks shortened (unless ``SPOC_FULL_TRACEBACK`` is set).
    """
    if full_traceback_requested():
        return exc
    internal = _internal_dirs()
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = _kept(current.__traceback__, internal)
        pending += [current.__cause__, current.__context__]
        pending += list(getattr(current, "exceptions", ()))
        pending += list(getattr(current, "undo_errors", ()))
    return exc


def _kept(tb: TracebackType | None, internal: tuple[str, ...]) -> TracebackType | None:
    kept = [entry for entry in frames(tb) if not _hidden(entry.tb_frame, internal)]
    chain: TracebackType | None = None
    for entry in reversed(kept):
        chain = TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain


def hidden_frames(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a public entry point: a ``SpocError`` leaves it without SPOC's frames (see the module)."""
    from spoc.errors import SpocError

    @functools.wraps(function)
    def spoc_entry_point(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except SpocError as error:
            failure = error
        raise without_internal_frames(failure)  # SPOC's own frames are hidden; SPOC_FULL_TRACEBACK=1 shows them

    return spoc_entry_point


def hidden_frames_async(function: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Decorate a public ``async`` entry point like :func:`hidden_frames`."""
    from spoc.errors import SpocError

    @functools.wraps(function)
    async def spoc_entry_point(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await function(*args, **kwargs)
        except SpocError as error:
            failure = error
        raise without_internal_frames(failure)  # SPOC's own frames are hidden; SPOC_FULL_TRACEBACK=1 shows them

    return spoc_entry_point
