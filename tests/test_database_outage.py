"""The database unreachable, or its connection killed mid-request (PostgreSQL).

Real outages, nothing patched: the connection is pointed at a closed port, or
its server process is ended with pg_terminate_backend from a second
connection, the way a database restart or failover ends it. The shared
server itself keeps running.
"""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.db.models import Model
from django.db.models.signals import post_save
from django.test import Client
from django.utils import timezone

from billing.models import Invoice, InvoiceLine
from licensing.models import Outlet, RepublicationRequest, StatusChange
from portal.models import DocumentSequence
from tests.factories import make_request, request_form_data
from tests.fault_proxy import FaultProxy, fault_proxy

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a database server to lose; SQLite is a file inside this process",
    ),
    pytest.mark.django_db(transaction=True),
]

UNAVAILABLE = "Service briefly unavailable"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def terminate(pid: int) -> None:
    """End one server process from a second connection, as a restart would."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as admin:
        row = admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()
        assert row == (True,)


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Every new connection is refused until the block ends."""
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@contextmanager
def connection_killed_after_saving(model: type[Model]) -> Iterator[list[int]]:
    """End the request's own connection right after it writes a `model` row."""
    killed: list[int] = []

    def kill(sender: Any, **kwargs: Any) -> None:
        if not killed:
            killed.append(backend_pid())
            terminate(killed[0])

    post_save.connect(kill, sender=model, weak=False)
    try:
        yield killed
    finally:
        post_save.disconnect(kill, sender=model)


def browser() -> Client:
    # As a browser sees it: the error page, not the exception.
    return Client(raise_request_exception=False)


def assert_unavailable_page(response: Any) -> None:
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert UNAVAILABLE in html
    assert "nothing you sent was half-saved" in html
    assert 'href="#main"' in html  # the site's own layout, not a bare page
    assert "/static/css/bootstrap.min.css" in html


def test_healthz_and_pages_while_the_database_is_unreachable(article) -> None:
    client = browser()
    assert client.get("/healthz").status_code == 200

    with database_unreachable():
        health = client.get("/healthz")
        home = client.get("/")
        form = client.get(article.get_republish_url())
        sent = client.post(article.get_republish_url(), request_form_data())

    assert health.status_code == 503
    assert health.json() == {"status": "error", "database": "unreachable", "cache": "ok"}
    for response in (home, form, sent):
        assert_unavailable_page(response)
    assert not RepublicationRequest.objects.exists()

    # The database is back: the very next requests work.
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200
    assert client.post(article.get_republish_url(), request_form_data()).status_code == 302
    assert RepublicationRequest.objects.count() == 1


def test_unavailable_page_in_the_visitors_language() -> None:
    client = browser()
    with database_unreachable():
        response = client.get("/", headers={"accept-language": "fr"})
    assert response.status_code == 503
    assert "Service momentanément indisponible" in response.content.decode()


def served(path: str) -> tuple[int, str]:
    """GET `path` through the WSGI handler as gunicorn calls it.

    The test client leaves out the per-request connection checks (it keeps
    one connection for the whole test); this goes through all of them.
    """
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=path, HTTP_HOST="testserver", SERVER_NAME="testserver")
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    response = get_wsgi_application()(environ, start_response)
    try:
        body = b"".join(response)
    finally:
        response.close()  # request_finished, as the server sends it
    return int(statuses[0].split()[0]), body.decode()


def test_a_restarted_database_is_reconnected_on_the_next_request(article) -> None:
    assert served("/")[0] == 200
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # the connection outlives the request
    old_pid = backend_pid()
    # backend_pid() used the connection; a new request starts unchecked, as after serving one.
    close_old_connections()

    terminate(old_pid)  # between two requests, as a database restart does

    # The kept connection is checked before its first use and replaced.
    status, html = served("/")
    assert status == 200, html
    assert article.title in html
    assert served("/healthz")[0] == 200
    assert backend_pid() != old_pid


def test_connection_lost_mid_submission_saves_nothing(article) -> None:
    client = browser()
    users = User.objects.count()

    with connection_killed_after_saving(RepublicationRequest) as killed:
        response = client.post(article.get_republish_url(), request_form_data())

    assert killed, "the connection was never cut"
    assert_unavailable_page(response)
    # The request row was written; the status change after it failed: none of it stays.
    assert not RepublicationRequest.objects.exists()
    assert not StatusChange.objects.exists()
    assert not Outlet.objects.exists()
    assert User.objects.count() == users
    assert not DocumentSequence.objects.filter(prefix="RR", last_value__gt=0).exists()

    # Sent again, it is stored whole, and takes the first reference.
    assert client.post(article.get_republish_url(), request_form_data()).status_code == 302
    req = RepublicationRequest.objects.get()
    assert req.reference == f"RR-{timezone.localdate().year}-00001"
    assert req.status_changes.count() == 1


def test_connection_lost_mid_approval_saves_nothing(article, reviewer) -> None:
    req = make_request(article)
    client = browser()
    client.force_login(reviewer)
    approval = {"fee": "250.00", "currency": "GBP", "validity_days": "14"}
    url = f"/staff/requests/{req.pk}/approve/"

    with connection_killed_after_saving(Invoice) as killed:
        response = client.post(url, approval)

    assert killed, "the connection was never cut"
    assert_unavailable_page(response)
    # The status change, the invoice number and the invoice were written, the
    # invoice line was not: the whole approval is gone.
    req.refresh_from_db()
    assert (req.status, req.invoice_id, req.fee_minor) == ("submitted", None, None)
    assert list(req.status_changes.values_list("to_status", flat=True)) == [
        "unconfirmed",
        "submitted",
    ]
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()
    assert not DocumentSequence.objects.filter(prefix="INV", last_value__gt=0).exists()

    # The reviewer presses Approve again: done, and no invoice number was lost.
    response = client.post(url, approval)
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "awaiting_payment"
    assert req.invoice is not None
    assert req.invoice.number == f"INV-{timezone.localdate().year}-000001"


@contextmanager
def database_through(proxy: FaultProxy) -> Iterator[None]:
    """The portal's connection goes through `proxy` until the block ends."""
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def test_network_cut_mid_submission_gives_503_and_saves_nothing(article) -> None:
    """The network to the database fails between two statements of one submission."""
    client = browser()
    with fault_proxy(int(connection.settings_dict["PORT"] or 5432)) as proxy:

        def cut(sender: Any, **kwargs: Any) -> None:
            proxy.cut()

        with database_through(proxy):
            post_save.connect(cut, sender=RepublicationRequest, weak=False)
            try:
                response = client.post(article.get_republish_url(), request_form_data())
            finally:
                post_save.disconnect(cut, sender=RepublicationRequest)
            assert proxy.mode == "cut", "the submission never reached the database"
            assert_unavailable_page(response)
            health = client.get("/healthz")
            assert (health.status_code, health.json()["database"]) == (503, "unreachable")

            proxy.restore()
            assert client.get("/healthz").status_code == 200
            assert not RepublicationRequest.objects.exists()
            assert not StatusChange.objects.exists()
            assert not Outlet.objects.exists()
            # Sent again through the same (restored) network, it is stored whole.
            assert client.post(article.get_republish_url(), request_form_data()).status_code == 302
            assert RepublicationRequest.objects.get().status_changes.count() == 1
