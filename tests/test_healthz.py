"""/healthz: what load balancers and the deployment checks poll."""

from django.db import connection
from django.test import Client


def test_healthy(client: Client, db) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


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
