"""The task worker against real faults: a real `db_worker` process on PostgreSQL.

The worker runs as `manage.py db_worker` (portal's, portal.task_workers) in a
process of its own, its database and mail server reached through
tests/fault_proxy.py so a test can cut or hang them; mail goes to a real SMTP
server (tests/smtp_sink.py). Killing is SIGKILL: no handler, no cleanup.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from licensing.models import Article
from portal.models import WorkerHeartbeat
from portal.task_workers import MAX_CLAIMS, requeue_abandoned_tasks
from tests.factories import make_request
from tests.fault_proxy import FaultProxy, fault_proxy
from tests.smtp_sink import Inbox, smtp_sink

ROOT = Path(__file__).resolve().parent.parent
# A short timeout so a dead worker's task is taken over within seconds.
TIMEOUT_SECONDS = 2

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a database server to cut, and a second process sharing the test database",
)


def wait_until(condition: Callable[[], object], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


class Worker:
    """`manage.py db_worker` in a process group of its own, its output in a file."""

    def __init__(self, log: Path, *, database_port: int, smtp_port: int) -> None:
        db = connection.settings_dict
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "CACHE_URL"}}
        env.update(
            DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{database_port}/{db['NAME']}",
            TASKS_BACKEND="database",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            TASK_WORKER_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        self.log = log
        self._out = log.open("w")
        command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"]
        self.process = subprocess.Popen(  # noqa: S603 (our own manage.py)
            [*command, "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def postgres() -> Iterator[FaultProxy]:
    with fault_proxy(int(connection.settings_dict["PORT"] or 5432)) as proxy:
        yield proxy


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, FaultProxy]]:
    with smtp_sink() as (inbox, port), fault_proxy(port) as proxy:
        yield inbox, proxy


@pytest.fixture
def start_worker(tmp_path, postgres, mail) -> Iterator[Callable[[], Worker]]:
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(
            tmp_path / f"worker-{len(workers)}.log",
            database_port=postgres.port,
            smtp_port=mail[1].port,
        )
        workers.append(worker)
        assert wait_until(lambda: "Starting worker" in worker.output()), worker.output()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def statuses() -> list[str]:
    return sorted(DBTaskResult.objects.values_list("status", flat=True))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_is_killed_is_run_by_the_next(
    article: Article, database_tasks, mail, start_worker
) -> None:
    inbox, smtp = mail
    first = start_worker()
    smtp.hang()  # the email is being sent when the worker dies
    req = make_request(article)
    assert wait_until(lambda: DBTaskResult.objects.running().exists())
    running = DBTaskResult.objects.running().get()

    first.kill()
    smtp.restore()
    second = start_worker()

    # Both emails arrive: the one cut off and the one still waiting.
    assert len(inbox.wait_for(2)) == 2, second.output()
    assert all(req.reference in subject for subject in inbox.subjects())
    assert wait_until(lambda: statuses() == ["SUCCESSFUL", "SUCCESSFUL"])
    running.refresh_from_db()
    assert len(running.worker_ids) == 2  # claimed by the killed worker, then by the second
    assert f"queued again: worker {running.worker_ids[0]}" in second.output()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_worker_rides_out_a_database_outage(
    article: Article, database_tasks, mail, postgres, start_worker
) -> None:
    inbox, _ = mail
    worker = start_worker()
    make_request(article)
    assert len(inbox.wait_for(2)) == 2

    postgres.cut()
    assert wait_until(lambda: "cannot reach the database" in worker.output(), timeout=10)
    time.sleep(2)  # a few attempts, each refused
    assert worker.alive(), worker.output()

    postgres.restore()
    second = make_request(article)  # queued through the test's own connection
    assert len(inbox.wait_for(4)) == 4, worker.output()
    assert sum(second.reference in subject for subject in inbox.subjects()) == 2
    assert "reached the database again" in worker.output()
    assert worker.alive()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_emails_queued_during_a_mail_outage_are_all_sent_after_it(
    article: Article, database_tasks, mail, start_worker
) -> None:
    inbox, smtp = mail
    worker = start_worker()
    smtp.cut()
    references = [make_request(article).reference for _ in range(3)]
    # Each of the six emails failed once and is queued again for later.
    assert wait_until(lambda: DBTaskResult.objects.filter(status="READY").count() == 6), (
        worker.output()
    )
    assert inbox.subjects() == []

    smtp.restore()
    # The retries' time comes (a minute after each failure, portal.mail_retries).
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    assert len(inbox.wait_for(6)) == 6, worker.output()
    for reference in references:
        assert sum(reference in subject for subject in inbox.subjects()) == 2


def running_task(*, worker_ids: list[str], started_ago: timedelta) -> DBTaskResult:
    from licensing.tasks import send_request_email

    result = send_request_email.enqueue(request_id=1, email="request_received")
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", worker_ids=worker_ids, started_at=timezone.now() - started_ago
    )
    return DBTaskResult.objects.get(pk=result.id)


def heartbeat(worker_id: str, *, seen_ago: timedelta) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="h", pid=1, started_at=now, seen_at=now - seen_ago
    )


@pytest.mark.django_db
def test_only_tasks_of_dead_workers_are_queued_again(database_tasks, settings, caplog) -> None:
    settings.TASK_WORKER_TIMEOUT_SECONDS = 60
    heartbeat("alive", seen_ago=timedelta(seconds=5))
    heartbeat("dead", seen_ago=timedelta(minutes=5))
    of_alive = running_task(worker_ids=["alive"], started_ago=timedelta(minutes=10))
    of_dead = running_task(worker_ids=["dead"], started_ago=timedelta(minutes=5))
    # No heartbeat at all: a worker without them, given an hour.
    of_silent_recent = running_task(worker_ids=["silent"], started_ago=timedelta(minutes=5))
    of_silent_old = running_task(worker_ids=["silent"], started_ago=timedelta(hours=2))

    assert requeue_abandoned_tasks() == 2

    status = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert status[of_alive.pk] == status[of_silent_recent.pk] == "RUNNING"
    assert status[of_dead.pk] == status[of_silent_old.pk] == "READY"
    assert "queued again: worker dead stopped its heartbeat" in caplog.text


@pytest.mark.django_db
def test_a_task_that_keeps_killing_its_workers_is_given_up(
    database_tasks, settings, caplog
) -> None:
    settings.TASK_WORKER_TIMEOUT_SECONDS = 60
    dead = [f"dead-{n}" for n in range(MAX_CLAIMS)]
    for worker_id in dead:
        heartbeat(worker_id, seen_ago=timedelta(minutes=5))
    task = running_task(worker_ids=dead, started_ago=timedelta(minutes=5))

    assert requeue_abandoned_tasks() == 0

    task.refresh_from_db()
    assert task.status == "FAILED"
    assert task.exception_class_path == "portal.task_workers.WorkerLost"
    [record] = [r for r in caplog.records if "given up" in r.getMessage()]
    assert record.levelname == "ERROR"
    assert f"{MAX_CLAIMS} workers died running it" in record.getMessage()


@pytest.mark.django_db
def test_a_worker_that_lost_the_database_gives_back_its_own_task(database_tasks) -> None:
    # Alive (it is the one asking), but the task it held died with its connection.
    heartbeat("me", seen_ago=timedelta(seconds=1))
    mine = running_task(worker_ids=["me"], started_ago=timedelta(seconds=3))

    assert requeue_abandoned_tasks(stopped_worker_ids={"me"}) == 1

    mine.refresh_from_db()
    assert mine.status == "READY"
    # An outage is not a death: the claim it cut off is not counted.
    assert mine.worker_ids == []


@pytest.mark.django_db
def test_database_outages_never_give_a_task_up(database_tasks, settings) -> None:
    settings.TASK_WORKER_TIMEOUT_SECONDS = 60
    heartbeat("dead", seen_ago=timedelta(minutes=5))
    heartbeat("me", seen_ago=timedelta(seconds=1))
    # One worker died running it; the next lost the database, more times than MAX_CLAIMS.
    task = running_task(worker_ids=["dead", "me"], started_ago=timedelta(seconds=3))
    for _ in range(MAX_CLAIMS + 1):
        assert requeue_abandoned_tasks(stopped_worker_ids={"me"}) == 1
        task.refresh_from_db()
        assert task.status == "READY"
        assert task.worker_ids == ["dead"]
        task.claim("me")  # run again by the same worker, its connection lost again
    assert requeue_abandoned_tasks(stopped_worker_ids={"me"}) == 1

    # Only deaths count: two more workers dying gives it up.
    task.refresh_from_db()
    task.claim("dead-2")
    heartbeat("dead-2", seen_ago=timedelta(minutes=5))
    assert requeue_abandoned_tasks() == 1
    task.refresh_from_db()
    task.claim("dead-3")
    heartbeat("dead-3", seen_ago=timedelta(minutes=5))
    assert requeue_abandoned_tasks() == 0
    task.refresh_from_db()
    assert task.status == "FAILED"
