"""The cache that counts rate limits (Redis in production) is down: the pages still answer.

Rate limits protect the forms; they must not take them down. While the cache
cannot be reached nothing is counted (logged as an error) and the request goes on.
"""

import socket

import pytest
from django.core.cache import caches
from django.test import Client

from licensing.models import Article, RepublicationRequest
from tests.factories import request_form_data
from tests.fault_proxy import fault_proxy


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        },
    }
    yield
    caches["default"].close()


def test_request_form_is_sent_while_the_rate_limit_cache_is_down(
    client: Client, article: Article, cache_down, caplog
) -> None:
    response = client.post(article.get_republish_url(), request_form_data())
    assert response.status_code == 302
    assert RepublicationRequest.objects.count() == 1
    assert any(r.name == "portal.rate_limits" and r.levelname == "ERROR" for r in caplog.records)


def test_licence_check_answers_while_the_rate_limit_cache_is_down(
    client: Client, db, cache_down
) -> None:
    assert client.get("/verify/LIC-2026-000001/").status_code == 404


def test_staff_sign_in_answers_while_the_rate_limit_cache_is_down(
    client: Client, db, cache_down
) -> None:
    response = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    assert response.status_code == 200


# A Redis that accepts connections and then never answers (tests/fault_proxy.py
# in front of the real server on 127.0.0.1:6379): each page must still answer
# well within a second. Database 11 is this file's own.
REDIS_DB = 11


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_behind_proxy(settings, monkeypatch):
    """The cache as portal/settings.py configures it from CACHE_URL, through a fault proxy."""
    if not redis_reachable():
        pytest.skip("no Redis on 127.0.0.1:6379")
    import importlib

    import portal.settings

    with fault_proxy(6379) as proxy:
        monkeypatch.setenv("CACHE_URL", f"redis://127.0.0.1:{proxy.port}/{REDIS_DB}")
        try:
            configured = importlib.reload(portal.settings).CACHES["default"]
        finally:
            monkeypatch.undo()
            importlib.reload(portal.settings)
        settings.CACHES = {**settings.CACHES, "default": configured}
        caches["default"].clear()
        yield proxy
        proxy.restore()
        caches["default"].clear()
        caches["default"].close()


def timed(call) -> tuple[float, object]:
    """Run `call` in a thread; a page stuck on the socket fails the test instead of hanging it."""
    import threading
    import time

    from django.db import connections

    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        finally:
            connections.close_all()  # this thread's own: the test database can be dropped

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(timeout=10)
    elapsed = time.monotonic() - started
    assert outcome, f"still waiting on the cache after {elapsed:.1f}s"
    return elapsed, outcome[0]


@pytest.mark.django_db(transaction=True)
def test_pages_answer_quickly_while_redis_hangs(article: Article, redis_behind_proxy, caplog):
    client = Client()
    # Healthy first: the limits count in Redis.
    assert client.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 200
    assert caches["default"].get("never-set") is None

    redis_behind_proxy.hang()
    pages = {
        "request form": lambda: client.post(article.get_republish_url(), request_form_data()),
        "sign-in": lambda: client.post("/accounts/login/", {"username": "x", "password": "y"}),
        "licence check": lambda: client.get("/verify/LIC-2026-000001/"),
        "health check": lambda: client.get("/healthz"),
    }
    answers = {name: timed(page) for name, page in pages.items()}

    # Loose bound: a functional property (no 5-second wait per check), not a benchmark.
    slow = {name: round(elapsed, 2) for name, (elapsed, _) in answers.items() if elapsed >= 1.5}
    assert slow == {}
    assert [answers[name][1].status_code for name in pages] == [302, 200, 404, 200]
    assert answers["health check"][1].json()["cache"] == "unreachable"
    assert RepublicationRequest.objects.count() == 1
    assert any(r.name == "portal.rate_limits" and r.levelname == "ERROR" for r in caplog.records)

    # Redis answers again: counting resumes, the health check says so.
    redis_behind_proxy.restore()
    assert client.get("/healthz").json()["cache"] == "ok"
