"""Accounts of the people who use the site."""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.components import model


@model
@dataclass(frozen=True)
class User:
    """One account; ``staff`` may publish for others."""

    username: str
    name: str
    staff: bool = False
