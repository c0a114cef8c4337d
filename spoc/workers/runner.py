"""Run an application until it is told to stop: ``fw.run()`` and ``python -m spoc run``.

On the main thread SIGINT and SIGTERM ask it to stop; a second signal forces
the exit. The signal handler only writes a byte to a socket, which is safe
whatever the main thread was doing (no lock is taken in a handler).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from spoc.framework import Framework

__all__ = ["Runner"]

logger = logging.getLogger("spoc")

SIGNALS: Final = ("SIGINT", "SIGTERM")
WAKE_INTERVAL: Final = 1.0  # the wait is a loop of bounded waits, never one endless call


class Runner:
    """Start a framework, block until asked to stop, then shut it down."""

    def __init__(self, framework: Framework) -> None:
        self.framework = framework
        self.reason: str | None = None
        self._signals = 0
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)

    def request_stop(self, reason: str = "stop requested") -> None:
        """Make :meth:`run` shut down and return; safe from any thread and from a signal handler."""
        if self.reason is None:
            self.reason = reason
        with contextlib.suppress(OSError):  # the buffer is full (already woken) or the run is over
            self._wake_write.send(b"\0")

    def run(self) -> None:
        """Start, wait for a stop request, shut down; the signal handlers last only as long."""
        previous = self._install_handlers()
        try:
            self.framework.startup()
            workers = self.framework.workers
            logger.info(
                "running with %d worker(s)%s; stop with Ctrl+C or SIGTERM",
                len(workers),
                f": {', '.join(worker.name for worker in workers)}" if workers else "",
            )
            self._wait()
            logger.info("stopping: %s", self.reason)
            self.framework.shutdown()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._wake_read.close()
            self._wake_write.close()

    def _wait(self) -> None:
        while self.reason is None:
            readable, _, _ = select.select([self._wake_read], [], [], WAKE_INTERVAL)
            if readable:
                with contextlib.suppress(OSError):  # woken by nothing: look at the reason again
                    self._wake_read.recv(64)

    def _install_handlers(self) -> dict[int, Any]:
        """Handle SIGINT and SIGTERM on the main thread; elsewhere the caller stops the run."""
        if threading.current_thread() is not threading.main_thread():
            logger.debug("fw.run() off the main thread: no signal handlers; call fw.request_stop() to stop")
            return {}
        previous: dict[int, Any] = {}
        for name in SIGNALS:
            signum = getattr(signal, name, None)
            if signum is not None:
                previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        name = signal.Signals(signum).name
        if self._signals == 1:
            self.request_stop(f"received {name}")
            return
        # Shutdown is stuck or too slow and the user insists: leave now, worker processes too.
        os.write(2, f"spoc: received {name} again; forcing exit\n".encode())
        processes = sys.modules.get("spoc.workers.process")
        if processes is not None:
            processes.kill_processes()
        os._exit(128 + signum)
