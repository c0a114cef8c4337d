"""Publishing: posts kept in an in-memory store."""

from __future__ import annotations

import queue

from apps.blog.models import Post
from apps.core.components import service
from apps.core.services import slugify
from apps.users.services import get_user


class PostStore:
    """An in-memory stand-in for a posts table, opened and closed with the app."""

    def __init__(self) -> None:
        self._posts: dict[str, Post] | None = None

    def open(self) -> None:
        self._posts = {}

    def close(self) -> None:
        self._posts = None

    @property
    def posts(self) -> dict[str, Post]:
        if self._posts is None:
            raise RuntimeError("the post store is closed: start the framework first")
        return self._posts


store = PostStore()
# Posts waiting for the indexer worker (apps/blog/workers.py), and its index: word -> slugs.
published: queue.Queue[Post] = queue.Queue()
search_index: dict[str, set[str]] = {}


def initialize() -> None:
    """Open the store; SPOC calls this right after importing the module."""
    store.open()
    print("  init      blog.services     in-memory post store opened")


def teardown() -> None:
    """Close the store; SPOC calls this at shutdown."""
    count = len(store.posts)
    store.close()
    print(f"  teardown  blog.services     post store closed ({count} posts)")


@service
def publish(author: str, title: str, body: str) -> Post:
    """Publish a post by the user ``author``; its slug comes from the title."""
    post = Post(slug=slugify(title), title=title, body=body, author=get_user(author))
    if post.slug in store.posts:
        raise ValueError(f"a post with the slug {post.slug!r} exists already")
    store.posts[post.slug] = post
    published.put(post)
    return post


@service
def latest_posts(limit: int) -> list[Post]:
    """Return up to ``limit`` posts, newest first."""
    return list(reversed(store.posts.values()))[:limit]


@service
def find_post(slug: str) -> Post:
    """Return the post with this slug."""
    try:
        return store.posts[slug]
    except KeyError:
        raise LookupError(f"no post {slug!r}") from None
