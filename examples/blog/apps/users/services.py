"""The user directory: an in-memory stand-in for a users table."""

from __future__ import annotations

from apps.core.components import service
from apps.users.models import User

_directory: dict[str, User] = {}


def initialize() -> None:
    """Load the directory; SPOC calls this right after importing the module."""
    for user in (User("ada", "Ada Lovelace", staff=True), User("grace", "Grace Hopper")):
        _directory[user.username] = user
    print(f"  init      users.services    user directory loaded ({len(_directory)} users)")


def teardown() -> None:
    """Empty the directory; SPOC calls this at shutdown, before the Schema's shutdown hook."""
    _directory.clear()
    print("  teardown  users.services    user directory emptied")


@service
def get_user(username: str) -> User:
    """Return the user called ``username``."""
    try:
        return _directory[username]
    except KeyError:
        raise LookupError(f"no user {username!r}; users: {', '.join(_directory) or 'none'}") from None


@service
def all_users() -> list[User]:
    """Return every user, in the order they joined."""
    return list(_directory.values())
