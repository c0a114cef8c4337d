"""The base class of every Celery task spoc-celery makes (imported only with Celery itself)."""

from __future__ import annotations

from typing import Any

from celery import Task  # type: ignore[import-untyped]
from kombu.exceptions import OperationalError

from spoc_celery.errors import BrokerUnreachableError

__all__ = ["SpocCeleryTask"]


class SpocCeleryTask(Task):  # type: ignore[misc]
    """A Celery task whose send failures name the broker and the settings to change.

    Celery retries a send as ``task_publish_retry_policy`` says; when it gives
    up, kombu's ``OperationalError`` says only ``Connection refused``. The
    caller gets a :class:`BrokerUnreachableError` instead, with the masked
    broker URL, chained to kombu's error: the task was not sent, and says so.
    """

    def apply_async(self, args: Any = None, kwargs: Any = None, *more: Any, **options: Any) -> Any:
        try:
            return super().apply_async(args, kwargs, *more, **options)
        except OperationalError as exc:
            from spoc_celery.binding import PUBLISH_RETRIES

            binding = getattr(self.app, "spoc_binding", None)
            url = binding.broker if binding is not None else "(unknown)"
            raise BrokerUnreachableError(url, exc, task=self.name, retries=PUBLISH_RETRIES) from exc
