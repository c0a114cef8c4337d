"""core: what every other app builds on; listed in INSTALLED_APPS, so it loads first.

An app's package is imported when the Framework is built, before startup
imports any module, so it holds hook implementations and imports its own
modules inside them: by the time they run, startup has imported those modules
in order.
"""

from __future__ import annotations

import spoc


@spoc.hookimpl
def spoc_startup(framework: spoc.Framework) -> None:
    """Open the site described by the settings; core is registered first, so it starts first."""
    from apps.core.models import Site
    from apps.core.services import open_site

    settings = framework.settings
    open_site(Site(name=settings.SITE_NAME))
    print(f"  start     core              site {settings.SITE_NAME!r} is up in {settings.mode} mode")


@spoc.hookimpl
def spoc_after_worker_started(worker: spoc.Worker) -> None:
    """Say that a worker runs: called on its thread once its setup is done; startup waits for it."""
    every = f", every {worker.spec.every:g} s" if worker.spec.every else ""
    print(f"  start     {worker.name:<17} {worker.kind} worker{every}")


@spoc.hookimpl
def spoc_after_worker_stopped(worker: spoc.Worker) -> None:
    """Say that a worker stopped: workers stop before any app's spoc_shutdown."""
    print(f"  stop      {worker.name:<17} {worker.kind} worker {worker.state}")


@spoc.hookimpl
def spoc_shutdown() -> None:
    """Close the site; core stops last, the exact reverse of starting."""
    from apps.core.services import close_site

    close_site()
    print("  stop      core              site is down")
