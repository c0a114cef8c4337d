"""Posts, each written by a user of the users app."""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.components import model
from apps.users.models import User  # imported, so not one of blog's components


@model
@dataclass(frozen=True)
class Post:
    """A published post, found by its slug."""

    slug: str
    title: str
    body: str
    author: User
