"""What the command line prints besides a command's own output: errors, warnings, and what the project prints.

- A :class:`~spoc.errors.SpocError` prints as ``error: <message>`` on stderr,
  then one line saying how to see its traceback; with ``--traceback``, the
  traceback (and its chained causes) comes first and the hint is left out.
- A :class:`~spoc.errors.SpocWarning` prints as one ``warning: <message>``
  line on stderr, once however often it is raised: its message already says
  which file or variable to change, so Python's ``file:line`` of SPOC's own
  code, and that line's source, would only be noise. It is a message to the
  person running the command, so it prints even under ``-W error``.
- What apps and plugins print while a command loads or starts them goes to
  stderr, so that stdout holds the command's own output (a ``--json``
  document and nothing else).
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Final, TextIO

from spoc.errors import SpocWarning

__all__ = ["TRACEBACK_HINT", "print_errors", "project_output_to_stderr", "warnings_as_lines"]

TRACEBACK_HINT: Final = "hint: rerun with --traceback to see the full traceback"


def print_errors(errors: Sequence[BaseException], *, show_traceback: bool, hint: str = TRACEBACK_HINT) -> None:
    """Print each error as ``error: <message>`` on stderr, then the ``--traceback`` hint (or, asked, the tracebacks).

    Args:
        errors: the errors, in the order found.
        show_traceback: print each error's traceback, with its chained causes, before its message.
        hint: the line that ends the errors when no traceback is shown.
    """
    for error in errors:
        if show_traceback:
            import traceback

            sys.stderr.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
        print(f"error: {error}", file=sys.stderr)
    if errors and not show_traceback:
        print(hint, file=sys.stderr)


@contextlib.contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Show each SpocWarning as one ``warning: <message>`` line on stderr, once; other warnings as Python does."""
    shown: set[str] = set()
    python_way = warnings.showwarning

    def show(  # noqa: PLR0917 - the signature of warnings.showwarning
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if not issubclass(category, SpocWarning):
            python_way(message, category, filename, lineno, file, line)
            return
        text = str(message)
        if text not in shown:
            shown.add(text)
            print(f"warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        warnings.simplefilter("always", SpocWarning)  # shown once by `show`, whatever -W says
        yield


@contextlib.contextmanager
def project_output_to_stderr() -> Iterator[TextIO]:
    """Send whatever is printed meanwhile to stderr; yield the stream for the command's own output (stdout)."""
    own = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        yield own
