"""blog: posts, written by the users of the users app."""

from __future__ import annotations

import spoc


@spoc.hookimpl
def spoc_startup() -> None:
    """Publish the welcome post; every module of every app is imported by now."""
    from apps.blog.services import publish, store

    if not store.posts:
        publish("ada", "Hello, SPOC!", "Four apps in one process, started in order and stopped in reverse.")
    print(f"  start     blog              accepting posts ({len(store.posts)} published)")


@spoc.hookimpl
def spoc_shutdown() -> None:
    """Stop accepting posts; the workers stopped already, the store closes later in teardown()."""
    from apps.blog.services import search_index, store

    indexed = len(set().union(*search_index.values()))
    print(f"  stop      blog              no longer accepting posts ({len(store.posts)} published, {indexed} indexed)")
