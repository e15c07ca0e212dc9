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
