"""/healthz: what load balancers and the deployment checks poll.

tests/test_rate_limits_cache_down.py shows "cache" with a hung Redis, and
tests/test_task_workers.py "tasks" with a real worker.
"""

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.models import WorkerHeartbeat


def test_healthy(client: Client, db) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "tasks": {"state": "immediate"},
    }
    assert "no-cache" in response["Cache-Control"]


def queue_a_task() -> None:
    from licensing.tasks import send_request_email

    send_request_email.enqueue(request_id=1, email="request_received")


def test_queue_worked(client: Client, db, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w1", hostname="h", pid=1, started_at=now, seen_at=now)
    assert client.get("/healthz").json()["tasks"] == {
        "state": "ok",
        "oldest_ready_seconds": None,
        "workers": 1,
    }
    queue_a_task()
    DBTaskResult.objects.update(enqueued_at=now - timedelta(seconds=5))
    tasks = client.get("/healthz").json()["tasks"]
    assert tasks["state"] == "ok"
    assert 5 <= tasks["oldest_ready_seconds"] < 30


def test_queue_stalled_without_workers_or_when_a_task_waits_too_long(
    client: Client, db, settings
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_WORKER_TIMEOUT_SECONDS = 60
    queue_a_task()
    response = client.get("/healthz")
    # The site itself is fine: only the queue is reported stalled.
    assert response.status_code == 200
    assert response.json()["tasks"] == {"state": "stalled", "oldest_ready_seconds": 0, "workers": 0}

    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w1", hostname="h", pid=1, started_at=now, seen_at=now)
    DBTaskResult.objects.update(enqueued_at=now - timedelta(minutes=5))
    assert client.get("/healthz").json()["tasks"]["state"] == "stalled"


def test_database_unreachable_gives_503(client: Client, db, monkeypatch) -> None:
    from django.db.utils import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    # Break the connection itself, the way a stopped server does.
    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_post_not_allowed(client: Client, db) -> None:
    assert client.post("/healthz").status_code == 405


def test_queue_health_in_a_zone_west_of_utc(client: Client, db, settings) -> None:
    # "Never" (a task queued without run_after) is 9999-01-01 UTC: still 9998
    # in New York, where a filter on the year 9999 overflowed into a 500.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TIME_ZONE = "America/New_York"
    queue_a_task()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(seconds=5))
    response = client.get("/healthz")
    assert response.status_code == 200
    tasks = response.json()["tasks"]
    assert tasks["state"] == "stalled"
    assert 5 <= tasks["oldest_ready_seconds"] < 30


def test_a_failing_extra_is_reported_not_a_500(client: Client, db, monkeypatch) -> None:
    from portal import views

    class BrokenCache:
        def get(self, key: str) -> None:
            raise RuntimeError("a bug in the cache client")

    def broken() -> dict:
        raise RuntimeError("a bug in the queue check")

    monkeypatch.setattr(views, "queue_health", broken)
    monkeypatch.setattr(views, "cache", BrokenCache())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "unknown",
        "tasks": {"state": "unknown"},
    }
