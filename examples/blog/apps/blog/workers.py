"""Background work of the blog: index new posts, refresh the digest."""

from __future__ import annotations

import queue
import threading

from apps.blog.services import latest_posts, published
from apps.blog.tasks import index_post

import spoc


@spoc.worker
class Indexer:
    """Hand each published post to the index_post task, off the request path: a queue consumer."""

    def main(self, stop: threading.Event) -> None:
        # Until asked to stop, and then until the queue is empty: no post is left unindexed.
        while not (stop.is_set() and published.empty()):
            try:
                post = published.get(timeout=0.1)
            except queue.Empty:
                continue
            # In this process by default; on a Celery worker once [spoc.celery] names a broker.
            index_post.delay(post.slug, post.title, post.body)


latest_titles: list[str] = []


@spoc.worker(every=3600.0)
def digest() -> None:
    """Every hour, on the hour since startup (no drift), rebuild the list of the latest titles."""
    latest_titles[:] = [post.title for post in latest_posts(5)]
