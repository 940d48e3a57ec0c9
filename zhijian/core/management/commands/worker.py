"""``zhijian worker``: the background-job worker (django-tasks' ``db_worker``) with a heartbeat.

Same options as ``db_worker``; while it runs, a thread records its sign of life every 30 s for
``/readyz`` and ``zhijian status``.
"""
import os
import socket

from django_tasks_db.management.commands.db_worker import Command as DbWorker

from zhijian.core import heartbeat


class Command(DbWorker):
    help = "Run background jobs (imports, grading runs, reports) and record a heartbeat."

    def handle(self, *args, **options):
        stop = heartbeat.start("worker", f"{socket.gethostname()} pid {os.getpid()}")
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
