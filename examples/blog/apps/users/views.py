"""Pages about people."""

from __future__ import annotations

from apps.core.components import view
from apps.users.services import all_users


@view("/users")
def list_users() -> str:
    """List the site's authors."""
    return "\n".join(f"@{user.username}: {user.name}{' (staff)' if user.staff else ''}" for user in all_users())
