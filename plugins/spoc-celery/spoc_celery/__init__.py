"""spoc-celery: scale a SPOC project out on Celery.

Installed, it is found through the ``spoc.plugins`` entry point ``celery``.
``@task`` declares a task in an app's Schema module; ``[spoc.celery]``
configures Celery (without a broker, tasks run in the calling process);
``python -m spoc celery worker`` and ``python -m spoc celery beat`` run
Celery's own programs, with SPOC's lifecycle in every task process.
Importing this package imports nothing of Celery.
"""

from __future__ import annotations

from spoc_celery.errors import BrokerUnreachableError, CeleryPluginError, TaskNotBoundError, WorkerStartupError
from spoc_celery.plugin import CeleryPlugin, find_plugin
from spoc_celery.tasks import SpocTask, task

__all__ = [
    "BrokerUnreachableError",
    "CeleryPlugin",
    "CeleryPluginError",
    "SpocTask",
    "TaskNotBoundError",
    "WorkerStartupError",
    "find_plugin",
    "task",
]
