"""Pages of the blog: the list of posts and each post."""

from __future__ import annotations

from apps.blog.services import find_post, latest_posts
from apps.core.components import view
from apps.core.services import current_site, excerpt


@view("/posts")
def list_posts(limit: int = 5) -> str:
    """List the latest posts, newest first."""
    posts = latest_posts(limit)
    lines = [f"{current_site().name}: {len(posts)} latest post(s)"]
    lines += [f"- {post.title} by {post.author.name}: {excerpt(post.body)}" for post in posts]
    return "\n".join(lines)


@view("/posts/<slug>")
def show_post(slug: str) -> str:
    """Show one post in full."""
    post = find_post(slug)
    return f"{post.title}\nby {post.author.name}\n\n{post.body}"
