"""What a ``spoc_check`` implementation reports: :class:`Problem`, one per thing wrong.

``python -m spoc check`` gathers them with SPOC's own findings
(:mod:`spoc.cli.dry_run`); plugins and apps import it as ``spoc.Problem``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Level", "Problem"]

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One problem found in a project.

    Attributes:
        area: what part of the project it is in: ``config``, ``apps``,
            ``import``, ``components``, ``plugins``, ``startup``, ``shutdown``,
            or a plugin's or app's own name.
        message: what is wrong and where.
        hint: how to fix it, if the message does not already say.
        id: a stable identifier to look it up or silence it, e.g. ``blog.E001``.
        level: ``error`` makes ``check`` fail; a ``warning`` is shown only.
    """

    area: str
    message: str
    hint: str | None = None
    id: str | None = None
    level: Level = "error"
