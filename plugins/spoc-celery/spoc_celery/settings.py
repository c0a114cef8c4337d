"""The ``[spoc.celery]`` settings section (imported only when SPOC asks for it).

The settings a SPOC project is most likely to set are typed fields, so a
wrong type is reported by SPOC with the file and line (or the variable) it
came from. Every other Celery setting is accepted by its lowercase name and
passed through as given; its name is checked against Celery's own list when
the Celery app is made (:func:`spoc_celery.binding.celery_config`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["CelerySettings", "PublishRetryPolicy", "TransportOptions"]


class TransportOptions(BaseModel):
    """``[spoc.celery.broker_transport_options]``: kombu's transport options, typed where it matters.

    Attributes:
        visibility_timeout: seconds before Redis hands an unacknowledged
            message to another worker (at-least-once delivery; kombu's default
            is one hour).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    visibility_timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    interval_start: float | None = Field(default=None, ge=0)
    interval_step: float | None = Field(default=None, ge=0)
    interval_max: float | None = Field(default=None, ge=0)


class PublishRetryPolicy(BaseModel):
    """``[spoc.celery.task_publish_retry_policy]``: how a client retries sending a task."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_retries: int | None = Field(default=None, ge=0)
    interval_start: float | None = Field(default=None, ge=0)
    interval_step: float | None = Field(default=None, ge=0)
    interval_max: float | None = Field(default=None, ge=0)
    retry_errors: Any = None


class CelerySettings(BaseModel):
    """``[spoc.celery]`` in spoc.toml, or ``SPOC_CELERY__<NAME>`` variables.

    Every key is a Celery setting by its lowercase name and is passed to the
    Celery app as it is; only the ones set are passed, so Celery's defaults
    hold for the rest. Without ``broker_url`` tasks run in the calling
    process (the embedded default).

    Attributes:
        broker_url: where tasks are sent, ``redis://host:6379/0``; a secret
            (it may hold a password), so SPOC never prints it.
        result_backend: where results are kept; a secret too.
    """

    # Any other Celery setting passes through; its name is checked when the app is made.
    model_config = ConfigDict(extra="allow", frozen=True)

    broker_url: SecretStr | None = None
    result_backend: SecretStr | None = None
    task_acks_late: bool | None = None
    task_reject_on_worker_lost: bool | None = None
    task_always_eager: bool | None = None
    task_ignore_result: bool | None = None
    task_publish_retry: bool | None = None
    task_publish_retry_policy: PublishRetryPolicy | None = None
    task_time_limit: float | None = Field(default=None, gt=0)
    task_soft_time_limit: float | None = Field(default=None, gt=0)
    worker_concurrency: int | None = Field(default=None, ge=1)
    worker_prefetch_multiplier: int | None = Field(default=None, ge=0)
    broker_connection_retry: bool | None = None
    broker_connection_retry_on_startup: bool | None = None
    broker_connection_max_retries: int | None = Field(default=None, ge=0)
    broker_connection_timeout: float | None = Field(default=None, gt=0)
    broker_transport_options: TransportOptions | None = None
    result_expires: float | None = Field(default=None, ge=0)
    timezone: str | None = None

    @property
    def embedded(self) -> bool:
        """Whether tasks run in the calling process: no broker is configured."""
        return self.broker_url is None or not self.broker_url.get_secret_value()

    def celery_config(self) -> dict[str, Any]:
        """Return the settings as Celery's configuration: the keys set, secrets revealed, tables as dicts."""
        config: dict[str, Any] = {}
        for name, value in self.model_dump(exclude_unset=True, exclude_none=True).items():
            config[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
        return config
