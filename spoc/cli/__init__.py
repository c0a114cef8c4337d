"""The ``spoc`` command line (``python -m spoc``): one module per command, and what they share.

:mod:`spoc.cli.program` builds the parser and runs a command;
:mod:`spoc.cli.context` holds the global options; each command module has
``HELP``, ``add_arguments(parser)`` and ``run(args, context) -> int``.
"""

from __future__ import annotations

from spoc.cli.program import main

__all__ = ["main"]
