"""Run Celery's worker and beat for a SPOC project, with SPOC's lifecycle in every task process.

The main process imports the project's Schema modules
(``Framework.import_modules()``) to learn every task name, and starts
nothing: the task processes it forks would inherit whatever it opened. Each
task process starts the application on Celery's ``worker_process_init``,
before its first task, and stops it on ``worker_process_shutdown``, which a
warm shutdown (SIGTERM) sends to every one of them. A task process whose
startup fails reports the error, asks the main process for a warm shutdown
and exits: the worker stops with that error rather than fork a new process
that would fail the same way, again and again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from spoc_celery.binding import START_RETRIES, Binding, tasks_in
from spoc_celery.errors import BROKER_SETTING, DOCS, CeleryPluginError, WorkerStartupError
from spoc_celery.plugin import find_plugin

if TYPE_CHECKING:
    from spoc.framework import Framework

__all__ = ["EXIT_STARTUP_FAILED", "TaskProcesses", "run_beat", "run_worker"]

logger = logging.getLogger("spoc.celery")

# The exit status of a task process whose SPOC startup failed.
EXIT_STARTUP_FAILED: Final = 3
# Celery's message for each failed attempt to reach the broker starts so.
_CANNOT_CONNECT: Final = "consumer: Cannot connect"
# ...and its message when it gives up because retrying is turned off contains this.
_BROKER_DISABLED: Final = "connection to the message broker"


class _StartupFailed(BaseException):
    """The application did not start in the worker's own process (``--pool solo``).

    A ``BaseException``: Celery's signal dispatch logs and swallows an ``Exception``.
    """


class TaskProcesses:
    """Start the application in each task process before its first task; stop it on a warm shutdown.

    Args:
        framework: the project's Framework, built (and its modules imported) in the main process.
        report: a file where a task process whose startup failed writes its error.
    """

    def __init__(self, framework: Framework, report: Path) -> None:
        self.framework = framework
        self.report = report
        self.main_pid = os.getpid()

    @contextlib.contextmanager
    def connected(self) -> Iterator[None]:
        """Connect to Celery's process signals for the duration of the run."""
        from celery import signals  # type: ignore[import-untyped]

        handlers = [
            (signals.worker_process_init, self.start),
            (signals.worker_process_shutdown, self.stop),
            # --pool solo: the main process runs the tasks, and gets no worker_process_shutdown.
            (signals.worker_shutdown, self.stop),
        ]
        for signal_, handler in handlers:
            signal_.connect(handler, weak=False)
        try:
            yield
        finally:
            for signal_, handler in handlers:
                signal_.disconnect(handler)

    def start(self, **_: Any) -> None:
        """``worker_process_init``: start the application in this task process."""
        try:
            self.framework.startup()
        except BaseException as exc:  # noqa: BLE001 - any failure stops the worker, reported
            self._failed(exc)

    def stop(self, **_: Any) -> None:
        """``worker_process_shutdown`` and ``worker_shutdown``: stop the application if it runs here."""
        if not self.framework.started:
            return
        try:
            self.framework.shutdown()
        except Exception:
            logger.exception("spoc-celery: the SPOC shutdown of task process %d failed", os.getpid())

    def _failed(self, exc: BaseException) -> None:
        pid = os.getpid()
        text = f"{type(exc).__name__}: {exc}"
        with self.report.open("a", encoding="utf-8") as report:
            # One record per line; the error's own line breaks are kept as a visible marker.
            report.write(f"task process {pid}: {text}".replace("\n", "\\n") + "\n")
        print(f"spoc-celery: task process {pid} could not start the SPOC application: {text}", file=sys.stderr)
        sys.stderr.flush()
        if pid == self.main_pid:
            raise _StartupFailed from exc
        # Ask the main process for a warm shutdown, then leave without running a task.
        os.kill(self.main_pid, signal.SIGTERM)
        os._exit(EXIT_STARTUP_FAILED)

    def reports(self) -> list[str]:
        """Return what failed task processes reported, each distinct error once (with its first pid)."""
        try:
            lines = self.report.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        seen: dict[str, str] = {}
        for line in lines:
            _, _, error = line.partition(": ")
            seen.setdefault(error, line.replace("\\n", "\n    "))
        return list(seen.values())


class _BrokerHint(logging.Filter):
    """Follow Celery's consumer log: add where the broker is set to its first "Cannot connect" line.

    Attributes:
        failed: Celery reported that it could not reach the broker.
        ready: the worker reached the broker and consumes.
    """

    def __init__(self, binding: Binding) -> None:
        super().__init__()
        self.binding = binding
        self.told = self.failed = self.ready = False

    def on_ready(self, **_: Any) -> None:
        self.ready = True

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if _BROKER_DISABLED in message:
            self.failed = True
        if not self.told and message.startswith(_CANNOT_CONNECT):
            self.told = self.failed = True
            logger.error(
                "spoc-celery: the broker %s is unreachable. It is %s; Celery retries as %s (see %s).",
                self.binding.broker,
                BROKER_SETTING,
                START_RETRIES,
                DOCS,
            )
        return True


@contextlib.contextmanager
def _broker_hint(binding: Binding) -> Iterator[_BrokerHint]:
    from celery import signals

    consumer_logger = logging.getLogger("celery.worker.consumer.consumer")
    hint = _BrokerHint(binding)
    consumer_logger.addFilter(hint)
    signals.worker_ready.connect(hint.on_ready, weak=False)
    try:
        yield hint
    finally:
        signals.worker_ready.disconnect(hint.on_ready)
        consumer_logger.removeFilter(hint)


def _prepare(framework: Framework, program: str, argv: Sequence[str]) -> Binding:
    """Import the project's modules (start nothing) and bind every task they define."""
    modules = framework.import_modules()
    binding = find_plugin(framework).prepare(framework, tasks_in(modules.values()))
    if binding.embedded and not {"-h", "--help"} & set(argv):  # Celery's help needs no broker
        raise CeleryPluginError(
            f"celery {program} needs a broker, and the project names none: without one, tasks run in the "
            f'process that sends them. Set {BROKER_SETTING}, e.g. broker_url = "redis://localhost:6379/0". '
            f"See {DOCS}."
        )
    binding.bind_all()
    return binding


def _start(app: Any, argv: Sequence[str]) -> int:
    """Run Celery's command line for ``app``, named as the user typed it; return its exit status.

    What ``Celery.start`` does, with the program's name given to click; and the
    standard streams, which Celery's worker redirects into its log, are handed
    back afterwards, so that SPOC's own messages print as usual.
    """
    import click
    from celery.bin.celery import celery  # type: ignore[import-untyped]

    streams = sys.stdout, sys.stderr
    redirect = os.environ.get("CELERY_LOG_REDIRECT")
    celery.params[0].default = app
    try:
        celery.main(args=list(argv), prog_name="python -m spoc celery", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    finally:
        celery.params[0].default = None
        sys.stdout, sys.stderr = streams
        if redirect is None:
            os.environ.pop("CELERY_LOG_REDIRECT", None)
    return 0


def run_worker(framework: Framework, argv: Sequence[str]) -> int:
    """Run ``celery worker`` with ``argv`` for the project; return its exit status.

    Raises:
        WorkerStartupError: a task process could not start the application.
        BrokerUnreachableError: the worker failed and its broker cannot be reached.
    """
    binding = _prepare(framework, "worker", argv)
    descriptor, name = tempfile.mkstemp(prefix="spoc-celery-", suffix=".errors")
    os.close(descriptor)
    processes = TaskProcesses(framework, Path(name))
    try:
        with processes.connected(), _broker_hint(binding) as hint:
            try:
                status = _start(binding.app, ["worker", *argv])
            except _StartupFailed:
                status = EXIT_STARTUP_FAILED
        reports = processes.reports()
        if reports:
            raise WorkerStartupError(reports)
        # Celery may stop with status 0 when it gives up on the broker: the reason is checked, not the status.
        if hint.failed or (status != 0 and not hint.ready):
            binding.check_broker()
        return status
    finally:
        Path(name).unlink(missing_ok=True)
        find_plugin(framework).release()


def run_beat(framework: Framework, argv: Sequence[str]) -> int:
    """Run ``celery beat`` with ``argv``: it sends each periodic task once per interval; return its exit status.

    Beat only sends; it never starts the application. Run exactly one beat
    for the whole deployment: each beat sends every periodic task.
    """
    binding = _prepare(framework, "beat", argv)
    try:
        if not any(True for _ in binding.periodic()):
            logger.warning("spoc-celery: no task is declared with @task(every=...): beat has nothing to send")
        status = _start(binding.app, ["beat", *argv])
        if status != 0:
            binding.check_broker()
        return status
    finally:
        find_plugin(framework).release()
