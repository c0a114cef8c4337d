"""Background work of the blog: index new posts, refresh the digest."""

from __future__ import annotations

import queue
import threading

from apps.blog.services import latest_posts, published, search_index

import spoc


@spoc.worker
class Indexer:
    """Index the words of each published post, off the request path: a queue consumer."""

    def main(self, stop: threading.Event) -> None:
        # Until asked to stop, and then until the queue is empty: no post is left unindexed.
        while not (stop.is_set() and published.empty()):
            try:
                post = published.get(timeout=0.1)
            except queue.Empty:
                continue
            for word in f"{post.title} {post.body}".lower().split():
                search_index.setdefault(word.strip(".,!?:;"), set()).add(post.slug)


latest_titles: list[str] = []


@spoc.worker(every=3600.0)
def digest() -> None:
    """Every hour, on the hour since startup (no drift), rebuild the list of the latest titles."""
    latest_titles[:] = [post.title for post in latest_posts(5)]
