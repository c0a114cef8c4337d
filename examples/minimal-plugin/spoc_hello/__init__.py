"""spoc-hello: the smallest SPOC plugin, to copy when you write your own.

One module, one hook, one entry point (``hello``, in pyproject.toml).
Installed, it is active in every SPOC project of the environment and logs,
at INFO on the logger ``spoc_hello``, which apps started. It logs rather than
prints because an installed plugin runs in every project, and what a project
prints is the project's business.
"""

from __future__ import annotations

import logging

import spoc

logger = logging.getLogger(__name__)


@spoc.hookimpl
def spoc_startup(framework: spoc.Framework) -> None:
    """Log which apps started: one line that shows the plugin is installed and runs."""
    apps = framework.installed_apps
    logger.info("%d app(s) started: %s", len(apps), ", ".join(apps))
