"""django-tasks-db's `db_worker`, made to outlive a database outage and to report a heartbeat.

The library's worker exits on the first database error, leaving the task in
hand RUNNING for ever. This command (found before the library's, portal being
listed first in INSTALLED_APPS) runs the same worker, waits for the database
with a growing delay when it is lost, and starts again; a heartbeat thread
lets other workers queue its task again if it dies (portal.task_workers).
Before its first task it loads what tasks need (portal.task_workers.warm_up),
and idle, it looks for work every POLL_INTERVAL seconds rather than every one.
"""

import logging
import os
import time
from argparse import ArgumentParser
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from portal.task_workers import Heartbeat, beat, requeue_abandoned_tasks, warm_up

logger = logging.getLogger("portal.task_workers")

# Seconds between attempts to reach the database again: doubled each time, up to the last.
RECONNECT_DELAYS = (0.5, 1, 2, 4, 8, 15, 30)
DATABASE_LOST = (OperationalError, InterfaceError)
# Seconds an idle worker sleeps before it looks for work again (django-tasks-db's
# --interval, 1 s by default). A licence paid for waits this long at worst
# before a worker takes it: a quarter of a second is four cheap queries a
# second per idle worker, on a partial index of the ready tasks.
POLL_INTERVAL = 0.25


class Command(DatabaseWorkerCommand):
    help = (
        "Run the task worker: waits for the database when it is lost and starts again; "
        "queues again the tasks of workers that died; warms up before its first task."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(interval=POLL_INTERVAL)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"]:
            # One pass over what is due (a test, a cron job): no heartbeat to keep.
            requeue_abandoned_tasks()
            super().handle(*args, **options)
            return
        if options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only watches files; its child does the work.
            super().handle(*args, **options)
            return
        worker_id: str = options["worker_id"]
        heartbeat = Heartbeat(worker_id=worker_id)
        self.wait_for_database(worker_id, heartbeat)
        heartbeat.start()
        # Before the first task, not during it: that task's latency is a user's wait.
        warm_up()
        try:
            while True:
                try:
                    super().handle(*args, **options)
                    return  # stopped by a signal (or --max-tasks): not an outage
                except DATABASE_LOST as error:
                    logger.warning("Task worker %s lost the database: %s", worker_id, error)
                    self.wait_for_database(worker_id, heartbeat)
                    # Whatever task it held was cut off with the connection:
                    # it is not running any more, let a worker (this one) run it again.
                    requeue_abandoned_tasks(stopped_worker_ids={worker_id})
        finally:
            heartbeat.stop()

    def wait_for_database(self, worker_id: str, heartbeat: Heartbeat) -> None:
        """Return once the worker's heartbeat is written; retries with a growing delay."""
        attempt = 0
        while True:
            try:
                connection.close()
                beat(worker_id=worker_id, started_at=heartbeat.started_at)
            except DATABASE_LOST as error:
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                logger.warning(
                    "Task worker %s cannot reach the database, next try in %ss: %s",
                    worker_id,
                    delay,
                    error,
                )
                attempt += 1
                time.sleep(delay)
                continue
            if attempt:
                logger.info("Task worker %s reached the database again", worker_id)
            return
