"""The errors spoc-celery raises: each a :class:`spoc.SpocError` that says what, where and how to fix it."""

from __future__ import annotations

from typing import Final

from spoc.errors import SpocError

__all__ = ["BrokerUnreachableError", "CeleryPluginError", "TaskNotBoundError", "WorkerStartupError", "masked_url"]

DOCS: Final = "docs/scale-out.md"
# Where the broker is configured, as a user would write it.
BROKER_SETTING: Final = "broker_url in [spoc.celery] of spoc.toml (or the variable SPOC_CELERY__BROKER_URL)"


def masked_url(url: str | None) -> str:
    """Return ``url`` with its password replaced by ``****``: ``redis://:****@host:6379/0``."""
    if not url:
        return "(none)"
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':****' if colon else ''}@{host}"


class CeleryPluginError(SpocError):
    """Base of spoc-celery's errors."""


class TaskNotBoundError(CeleryPluginError):
    """A task was sent before the SPOC application of this process started.

    Attributes:
        task: the task's name, ``blog.tasks.index_post``.
    """

    def __init__(self, task: str, attribute: str) -> None:
        self.task = task
        super().__init__(
            f"task {task!r} was used ({attribute}) before the SPOC application started: no Celery app is "
            "bound in this process yet, so SPOC does not know the broker nor whether the application is "
            "ready. Start the framework first (fw.startup(), or `with Framework(...) as fw:`), and send "
            "tasks from code that runs after it (a view, a service, a spoc_startup hook). In a Celery "
            "worker (python -m spoc celery worker) every task process is started for you. If the task "
            "runs in a started project, check that the celery plugin is not disabled "
            f"(-p no:celery, disable_plugins, SPOC_DISABLE_PLUGIN_AUTOLOAD). See {DOCS}."
        )


class BrokerUnreachableError(CeleryPluginError):
    """The broker could not be reached after Celery's own retries.

    Attributes:
        url: the broker URL with its password masked.
        task: the task that could not be sent, if any.
    """

    def __init__(self, url: str, cause: BaseException, *, task: str | None = None, retries: str = "") -> None:
        self.url = url
        self.task = task
        what = f"task {task!r} was not sent" if task else "the Celery worker stopped"
        super().__init__(
            f"{what}: the broker at {url} is unreachable ({type(cause).__name__}: {cause}). "
            f"Check that the broker runs and that {BROKER_SETTING} points at it; Celery retried "
            f"as {retries or 'its retry settings say'}. See {DOCS}."
        )


class WorkerStartupError(CeleryPluginError):
    """A Celery worker's task process could not start the SPOC application.

    Attributes:
        reports: what each failed process reported: ``pid N: <the SPOC error>``.
    """

    def __init__(self, reports: list[str]) -> None:
        self.reports = list(reports)
        listed = "\n  ".join(self.reports)
        super().__init__(
            "the Celery worker stopped: its task process could not start the SPOC application, so no "
            f"task was run and no process was restarted:\n  {listed}\n"
            "Fix the error above (it is the same one `python -m spoc check` reports), then start the worker again."
        )
