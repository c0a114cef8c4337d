"""Pages of the site as a whole."""

from __future__ import annotations

from apps.core.components import view


@view("/health")
def health() -> str:
    """Answer the load balancer."""
    return "ok"
