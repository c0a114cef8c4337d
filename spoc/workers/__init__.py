"""Workers: declaring them (``@spoc.worker``), planning their lifecycle steps, and supervising them.

Threads, processes, asyncio loops and periodic schedules that live and die
with the application, and ``fw.run()``, which runs them until a signal.

- ``spec``: ``@spoc.worker`` and the :class:`~spoc.workers.spec.WorkerSpec` it checks.
- ``planning``: collect an application's workers; the startup steps that start and stop them.
- ``supervisor``: :class:`~spoc.workers.supervisor.Worker`, which runs, stops and restarts one worker.
- ``process``: a process worker's child, seen from its parent.
- ``body``: what runs inside a worker, on its thread or in its process.
- ``runner``: ``fw.run()``, until SIGINT or SIGTERM.

Only the supervisor, and what it uses, imports threads, processes and event
loops, and only for projects that have workers: importing this package
imports nothing else.
"""
