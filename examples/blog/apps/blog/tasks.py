"""Tasks of the blog: index a post's words, here or on a Celery worker."""

from __future__ import annotations

from apps.blog.services import search_index
from spoc_celery import task


@task
def index_post(slug: str, title: str, body: str) -> int:
    """Index the words of one post; return how many distinct words it has.

    Without a broker in [spoc.celery] it runs in the process that sends it;
    with one, on a Celery worker (python -m spoc celery worker), whose index
    is its own: a real project writes to a shared store instead.
    """
    words = {word.strip(".,!?:;") for word in f"{title} {body}".lower().split()}
    for word in words:
        search_index.setdefault(word, set()).add(slug)
    return len(words)
