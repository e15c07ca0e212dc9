"""Outgoing webhooks never follow redirects and never reach internal addresses.

Real receivers (pytest-httpserver on 127.0.0.1, one over TLS with a
certificate made by the system's openssl) answer redirects and 410.
Host names are resolved through integrations.destinations.resolve, our own
seam, so a test decides what a name resolves to; Python's audit hooks
(socket.connect, socket.getaddrinfo) show which connections and look-ups
were really made: a refused address is refused before any connection.
"""

import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from pytest_httpserver import HTTPServer

from integrations import destinations
from integrations.models import (
    MAX_ATTEMPTS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from integrations.tasks import attempt_delivery

# What the process asked of the network while `_watching` is on: ("connect",
# host) and ("getaddrinfo", host) as the socket module reports them.
_network: list[tuple[str, str]] = []
_watching: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _watching:
        return
    if event == "socket.connect" and isinstance(args[1], tuple):
        _network.append(("connect", str(args[1][0])))
    elif event == "socket.getaddrinfo":
        _network.append(("getaddrinfo", str(args[0])))


sys.addaudithook(_audit)  # stays for the session, silent unless a test watches


@pytest.fixture
def network() -> Iterator[list[tuple[str, str]]]:
    _network.clear()
    _watching.append(True)
    yield _network
    _watching.clear()


@pytest.fixture
def production(settings) -> None:
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE = False


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Names and what they resolve to; any other name does not resolve."""
    names: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise OSError(f"unknown name {host}")
        return names[host]

    monkeypatch.setattr(destinations, "resolve", resolve)
    return names


def endpoint(url: str) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=url, secret="s3cret")


def delivery_to(hook: WebhookEndpoint) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=hook, event=WebhookEvent.LICENCE_ISSUED, payload={"id": "x", "data": {}}
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failure_and_is_not_followed(
    httpserver: HTTPServer, db, status: int
) -> None:
    httpserver.expect_request("/hooks", method="POST").respond_with_data(
        "", status=status, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    httpserver.expect_request("/elsewhere").respond_with_data("ok")
    delivery = delivery_to(endpoint(httpserver.url_for("/hooks")))

    attempt_delivery(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING  # tried again later, like any failure
    assert f"HTTP {status}" in delivery.last_error
    assert "redirects are not followed" in delivery.last_error
    assert httpserver.url_for("/elsewhere") in delivery.last_error
    # Only the POST: no GET to where the redirect pointed, no signature sent there.
    assert [(r.method, r.path) for r, _ in httpserver.log] == [("POST", "/hooks")]


def test_a_redirect_to_another_scheme_is_not_followed(httpserver: HTTPServer, db) -> None:
    httpserver.expect_request("/hooks").respond_with_data(
        "", status=302, headers={"Location": "ftp://127.0.0.1:2121/"}
    )
    delivery = delivery_to(endpoint(httpserver.url_for("/hooks")))
    attempt_delivery(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert "ftp://127.0.0.1:2121/" in delivery.last_error
    assert len(httpserver.log) == 1


def test_410_gone_deactivates_the_endpoint(httpserver: HTTPServer, db, caplog) -> None:
    httpserver.expect_request("/hooks").respond_with_data("gone", status=410)
    hook = endpoint(httpserver.url_for("/hooks"))
    delivery = delivery_to(hook)

    attempt_delivery(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    hook.refresh_from_db()
    assert hook.active is False
    assert delivery.status == DeliveryStatus.FAILED
    assert "410" in delivery.last_error
    assert "answered 410 Gone: deactivated" in caplog.text


REFUSED = [
    "http://127.0.0.1/hooks",
    "http://127.8.9.10:8080/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/hooks",
    "http://172.16.3.4/hooks",
    "http://192.168.1.20/hooks",
    "http://100.64.0.1/hooks",
    "http://0.0.0.0/hooks",
    "http://[::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://[fd00::7]/hooks",
    "http://[::ffff:10.0.0.1]/hooks",
    "http://240.0.0.1/hooks",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_addresses_are_refused_when_saved(production, db, dns, network, url) -> None:
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(url=url).full_clean()
    assert "public addresses only" in refused.value.message_dict["url"][0]
    assert network == []


@pytest.mark.parametrize("url", ["ftp://cms.example/hooks", "file:///etc/passwd", "gopher://x/"])
def test_only_http_and_https_urls_are_accepted(production, db, dns, url) -> None:
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(url=url).full_clean()
    assert "url" in refused.value.message_dict


def test_a_name_resolving_to_an_internal_address_is_refused_when_saved(
    production, db, dns, network
) -> None:
    dns["cms.publisher.example"] = ["93.184.215.14", "10.20.30.40"]
    with pytest.raises(ValidationError) as refused:
        WebhookEndpoint(url="https://cms.publisher.example/hooks").full_clean()
    assert "resolves to 10.20.30.40, a private address" in refused.value.message_dict["url"][0]

    dns["cms.publisher.example"] = ["198.51.100.7"]
    with pytest.raises(ValidationError):
        # 198.51.100.0/24 is documentation space: reserved, not public.
        WebhookEndpoint(url="https://cms.publisher.example/hooks").full_clean()

    dns["cms.publisher.example"] = ["93.184.215.14"]
    WebhookEndpoint(url="https://cms.publisher.example/hooks").full_clean()
    assert network == []  # saving looks the name up through the seam, connects nowhere


def test_the_admin_refuses_an_internal_endpoint(production, superuser, dns) -> None:
    client = Client()
    client.force_login(superuser)
    response = client.post(
        "/admin/integrations/webhookendpoint/add/",
        {
            "url": "http://169.254.169.254/latest/meta-data/",
            "active": "on",
            "events": ["licence.issued"],
            "secret": "abc",
        },
    )
    assert response.status_code == 200
    assert "169.254.169.254 is a link-local address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_name_that_now_resolves_inside_is_refused_at_send_time(
    production, db, dns, network
) -> None:
    dns["cms.publisher.example"] = ["93.184.215.14"]
    hook = WebhookEndpoint(url="http://cms.publisher.example/hooks", secret="s")
    hook.full_clean()
    hook.save()
    delivery = delivery_to(hook)

    dns["cms.publisher.example"] = ["169.254.169.254"]  # DNS changed since
    attempt_delivery(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert "resolves to 169.254.169.254, a link-local address" in delivery.last_error
    assert delivery.status == DeliveryStatus.PENDING
    # Refused before any connection: the socket module saw none.
    assert [kind for kind, _ in network if kind == "connect"] == []


def test_the_request_goes_to_the_address_that_was_checked(
    httpserver: HTTPServer, db, dns, network
) -> None:
    # Private allowed (the tests' default): the receiver is on 127.0.0.1.
    httpserver.expect_request("/hooks", method="POST").respond_with_data("ok")
    dns["cms.test"] = ["127.0.0.1"]
    hook = endpoint(f"http://cms.test:{httpserver.port}/hooks")
    delivery = delivery_to(hook)

    attempt_delivery(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED, delivery.last_error
    [(request, _)] = httpserver.log
    assert request.headers["Host"] == f"cms.test:{httpserver.port}"
    # One look-up, ours; the connection went to its answer, the name never looked up again.
    assert ("connect", "127.0.0.1") in network
    assert ("getaddrinfo", "cms.test") not in network


def test_an_internationalised_name_is_sent_in_its_ascii_form(
    httpserver: HTTPServer, db, dns, network
) -> None:
    httpserver.expect_request("/hooks", method="POST").respond_with_data("ok")
    dns["xn--e1afmkfd.xn--p1ai"] = ["127.0.0.1"]  # пример.рф
    hook = WebhookEndpoint(url=f"http://пример.рф:{httpserver.port}/hooks", secret="s")
    hook.full_clean()  # the URL validator takes it
    hook.save()
    delivery = delivery_to(hook)

    attempt_delivery(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED, delivery.last_error
    [(request, _)] = httpserver.log
    assert request.headers["Host"] == f"xn--e1afmkfd.xn--p1ai:{httpserver.port}"
    assert ("connect", "127.0.0.1") in network


def test_a_name_that_has_no_ascii_form_is_refused_before_any_look_up(db, dns, network) -> None:
    # A snowman is not allowed in a domain name (IDNA 2008).
    with pytest.raises(destinations.RefusedDestination, match="not a valid domain name"):
        destinations.check("https://☃.example/hooks")
    assert network == []


def test_whatever_breaks_an_attempt_the_delivery_fails_after_the_last(
    db, monkeypatch, caplog
) -> None:
    """An error escaping the send after the claim would leave the attempt
    counted but not recorded: retried for ever, never FAILED."""

    def broken(url: str) -> destinations.Destination:
        raise UnicodeEncodeError("latin-1", "пример", 0, 6, "ordinal not in range(256)")

    monkeypatch.setattr(destinations, "check", broken)
    delivery = delivery_to(endpoint("https://cms.test/hooks"))
    for _ in range(MAX_ATTEMPTS + 2):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        attempt_delivery(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert "latin-1" in delivery.last_error


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch) -> Iterator[HTTPServer]:
    """An https receiver on 127.0.0.1 with a certificate for cms.test, trusted by this process."""
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    request = ["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-nodes", "-days", "1"]
    names = ["-subj", "/CN=cms.test", "-addext", "subjectAltName=DNS:cms.test"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(  # noqa: S603 (the system's openssl, our own arguments)
        [*request, "-pkeyopt", "ec_paramgen_curve:prime256v1", *names, *files],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # The system's trust store, as the sender reads it, now holds this certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_https_goes_to_the_checked_address_and_checks_the_certificate_for_the_name(
    tls_receiver: HTTPServer, db, dns, network
) -> None:
    tls_receiver.expect_request("/hooks", method="POST").respond_with_data("ok")
    dns["cms.test"] = ["127.0.0.1"]
    dns["other.test"] = ["127.0.0.1"]
    delivered = delivery_to(endpoint(f"https://cms.test:{tls_receiver.port}/hooks"))
    mismatched = delivery_to(endpoint(f"https://other.test:{tls_receiver.port}/hooks"))

    attempt_delivery(delivery_id=delivered.pk)
    attempt_delivery(delivery_id=mismatched.pk)

    delivered.refresh_from_db()
    mismatched.refresh_from_db()
    assert delivered.status == DeliveryStatus.DELIVERED, delivered.last_error
    [(request, _)] = tls_receiver.log
    assert request.headers["Host"] == f"cms.test:{tls_receiver.port}"
    # Same address, another name: the certificate is checked against the name.
    assert mismatched.status == DeliveryStatus.PENDING
    assert "other.test" in mismatched.last_error
    assert "hostname 'other.test' doesn't match 'cms.test'" in mismatched.last_error
    assert ("getaddrinfo", "cms.test") not in network


@pytest.fixture
def dripping_receiver() -> Iterator[int]:
    """A receiver on 127.0.0.1 that answers 200 at once, then drips its body a byte a second."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(5)
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 120\r\n\r\n")
            for _ in range(120):
                if stop.wait(1):
                    return
                try:
                    connection.sendall(b".")
                except OSError:
                    return  # the sender hung up, as it should

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_a_receiver_dripping_its_body_does_not_hold_the_worker(dripping_receiver: int, db) -> None:
    delivery = delivery_to(endpoint(f"http://127.0.0.1:{dripping_receiver}/hooks"))
    started = time.monotonic()
    attempt_delivery(delivery_id=delivery.pk)
    # Only the status counts: the body is never read, so the attempt ends at
    # once instead of after two minutes of drip (a functional bound, not a benchmark).
    assert time.monotonic() - started < 5
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED, delivery.last_error
