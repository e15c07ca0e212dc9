"""Task workers that outlive their faults: heartbeats, abandoned tasks queued again, queue health.

django-tasks-db marks a task RUNNING when a worker claims it and leaves it so
if that worker dies (SIGKILL, out of memory, a lost machine): nothing would
ever run it. Each worker (portal's `db_worker`) writes a heartbeat; a RUNNING
task whose worker's heartbeat has lapsed is made READY again, up to
MAX_CLAIMS workers in all, then failed with a log line saying it was given up.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Min
from django.dispatch import Signal
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from portal.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Workers that may start a task before it is given up: two deaths are bad
# luck, a third says the task itself kills its worker (memory, a crash).
MAX_CLAIMS = 3
# A worker that never wrote a heartbeat (a plain django-tasks-db worker, or
# one from before heartbeats) is taken for dead only this long after it
# started a task: none of our tasks takes minutes.
SILENT_WORKER_TIMEOUT = timedelta(hours=1)
# Heartbeats of workers gone this long are deleted.
HEARTBEAT_RETENTION = timedelta(days=1)


# Sent by `db_worker` once, before it takes its first task (no kwargs). A
# receiver loads what the first task of its kind would otherwise pay for in
# the middle of the work (imports, fonts, a signing key): seconds on a cold
# process, so the first licence after a worker starts was the slowest (make bench).
worker_starting = Signal()


def warm_up() -> None:
    """Load the URL conf (and with it every view module) and let each app warm up its tasks."""
    # Links in emails and PDFs are reversed: the first reverse imports all URL modules.
    reverse("healthz")
    for receiver, error in worker_starting.send_robust(sender=None):
        if error is not None:
            # Only a head start: the task that needs it loads it (or fails) as before.
            logger.error("Task worker warm-up %s failed: %r", receiver, error)


class WorkerLost(Exception):
    """Recorded as a task's error when its workers kept dying while running it."""


def worker_timeout() -> timedelta:
    """How long a worker may stay silent before its task is run by another."""
    return timedelta(seconds=settings.TASK_WORKER_TIMEOUT_SECONDS)


def heartbeat_interval() -> float:
    # Several beats fit in one timeout, so one slow write never looks like a death.
    return max(settings.TASK_WORKER_TIMEOUT_SECONDS / 6, 0.2)


def beat(*, worker_id: str, started_at: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": timezone.now(),
        },
    )


def requeue_abandoned_tasks(*, stopped_worker_ids: Collection[str] = ()) -> int:
    """Make READY again each RUNNING task whose worker is dead; returns how many.

    A worker is dead when its heartbeat is older than TASK_WORKER_TIMEOUT_SECONDS.
    A task whose MAX_CLAIMS workers all died is failed instead, and logged as
    given up. `stopped_worker_ids` are workers that lost the database mid-task
    and know they no longer run it: their tasks are made READY with the claim
    taken back, since an outage says nothing about the task itself (a task
    outliving three outages must not be failed as "3 workers died").
    """
    now = timezone.now()
    requeued = 0
    with transaction.atomic():
        # skip_locked: two workers recovering at once each take different rows.
        running = list(DBTaskResult.objects.running().select_for_update(skip_locked=True))
        last_workers = {row.worker_ids[-1] for row in running if row.worker_ids}
        seen = dict(
            WorkerHeartbeat.objects.filter(worker_id__in=last_workers).values_list(
                "worker_id", "seen_at"
            )
        )
        for row in running:
            worker_id = row.worker_ids[-1] if row.worker_ids else ""
            if worker_id in stopped_worker_ids:
                DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.READY, started_at=None, worker_ids=row.worker_ids[:-1]
                )
                requeued += 1
                logger.warning(
                    "Task %s (%s) queued again: worker %s lost the database while running it "
                    "(not counted as a death)",
                    row.id,
                    row.task_path,
                    worker_id,
                )
                continue
            if worker_id in seen:
                if seen[worker_id] >= now - worker_timeout():
                    continue
                how = f"stopped its heartbeat at {seen[worker_id].isoformat()}"
            elif row.started_at is None or row.started_at < now - SILENT_WORKER_TIMEOUT:
                how = "never sent a heartbeat"
            else:
                continue
            claims = len(row.worker_ids)
            if claims >= MAX_CLAIMS:
                row.set_failed(
                    WorkerLost(f"{claims} workers died running this task; the last {how}.")
                )
                logger.error(
                    "Task %s (%s) given up: %s workers died running it; worker %s %s",
                    row.id,
                    row.task_path,
                    claims,
                    worker_id,
                    how,
                )
                continue
            DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, started_at=None
            )
            requeued += 1
            logger.warning(
                "Task %s (%s) queued again: worker %s %s while running it (claim %s of %s)",
                row.id,
                row.task_path,
                worker_id,
                how,
                claims,
                MAX_CLAIMS,
            )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_RETENTION).delete()
    return requeued


class Heartbeat(threading.Thread):
    """Beats for one worker every heartbeat_interval() and queues dead workers' tasks again.

    A thread of the worker process with its own database connection, so a
    long task does not silence it. While the database is away each beat
    fails quietly; the worker itself logs the outage.
    """

    def __init__(self, *, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def beat_and_recover(self) -> None:
        close_old_connections()
        try:
            beat(worker_id=self.worker_id, started_at=self.started_at)
            requeue_abandoned_tasks()
        except DatabaseError as error:
            logger.debug("Heartbeat of worker %s not written: %s", self.worker_id, error)
            connection.close()
        except Exception:
            # Anything else must not end the thread: a silent worker would
            # have its task taken over while it still runs it.
            logger.exception("Heartbeat of worker %s failed", self.worker_id)
            connection.close()

    def run(self) -> None:
        try:
            while not self.stopping.wait(heartbeat_interval()):
                self.beat_and_recover()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()


def queue_health() -> dict[str, Any]:
    """Whether the task queue is being worked: the age of the oldest ready task, live workers.

    "stalled" when a task has waited longer than TASK_WORKER_TIMEOUT_SECONDS
    to start, or tasks wait and no worker is alive.
    """
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db."):
        return {"state": "immediate"}
    now = timezone.now()
    ready = DBTaskResult.objects.ready()
    # A task queued without run_after holds django-tasks-db's "never" date: it
    # waits since it was queued; a deferred one since its run_after. Matched
    # exactly, not by year: 9999-01-01 UTC is still 9998 west of UTC.
    never = get_date_max()
    oldest = [
        ready.filter(run_after=never).aggregate(due=Min("enqueued_at"))["due"],
        ready.exclude(run_after=never).aggregate(due=Min("run_after"))["due"],
    ]
    due = min((value for value in oldest if value is not None), default=None)
    waiting = None if due is None else max(0, int((now - due).total_seconds()))
    workers = WorkerHeartbeat.objects.filter(seen_at__gte=now - worker_timeout()).count()
    stalled = waiting is not None and (
        waiting > settings.TASK_WORKER_TIMEOUT_SECONDS or workers == 0
    )
    return {
        "state": "stalled" if stalled else "ok",
        "oldest_ready_seconds": waiting,
        "workers": workers,
    }
