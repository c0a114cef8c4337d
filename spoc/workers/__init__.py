"""Workers: declaring them (``@spoc.worker``), planning their lifecycle steps, and supervising them.

Threads, processes, asyncio loops and periodic schedules that live and die
with the application, and ``fw.run()``, which runs them until a signal. Only
the supervisor imports threading, multiprocessing and asyncio, and only for
projects that have workers: importing this package imports nothing else.
"""
