"""Outgoing webhooks when a licence is issued or revoked: signed, retried, and given up on."""

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.tasks import default_task_backend
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request

from integrations.models import (
    MAX_ATTEMPTS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.tasks import attempt_delivery
from licensing.models import RepublicationRequest
from tests.factories import make_request_in

SECRET = "whsec-for-tests"


@pytest.fixture
def endpoint(httpserver: HTTPServer, db) -> WebhookEndpoint:
    """An active endpoint on a local HTTP server that answers 200 unless a test says otherwise."""
    httpserver.expect_request("/hooks/licences", method="POST").respond_with_data("ok")
    return WebhookEndpoint.objects.create(url=httpserver.url_for("/hooks/licences"), secret=SECRET)


@pytest.fixture
def licensed(article, reviewer, django_capture_on_commit_callbacks) -> RepublicationRequest:
    with django_capture_on_commit_callbacks(execute=True):
        return make_request_in(article, "licensed", actor=reviewer)


def verify(request: Request, secret: str = SECRET) -> dict:
    """What a receiver does: check the signature over "<t>.<body>", then read the JSON."""
    parts = dict(item.split("=", 1) for item in request.headers["X-Portal-Signature"].split(","))
    body = request.get_data(as_text=True)
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], expected.hexdigest())
    return json.loads(body)


def received(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _response in httpserver.log]


def retry_later(minutes: int) -> None:
    with time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False):
        call_command("retry_webhooks", stdout=StringIO())


def test_issued_licence_is_posted_signed_with_its_payload(
    httpserver: HTTPServer, endpoint, licensed
) -> None:
    # Issued at approval: the delivery went out on commit.
    (request,) = received(httpserver)
    payload = verify(request)
    signed_at = int(request.headers["X-Portal-Signature"].split(",")[0].removeprefix("t="))
    assert abs(time.time() - signed_at) < 60
    licence = licensed.licence
    delivery = WebhookDelivery.objects.get()
    assert request.headers["X-Portal-Event"] == "licence.issued"
    assert request.headers["X-Portal-Delivery"] == str(delivery.uuid)
    assert request.headers["Content-Type"] == "application/json"
    assert payload["id"] == str(delivery.uuid)
    assert payload["event"] == "licence.issued"
    data = payload["data"]
    assert data["licence"]["number"] == licence.number
    assert data["licence"]["status"] == "valid"
    assert data["request"]["reference"] == licensed.reference
    assert data["article"]["canonical_url"] == licensed.article.canonical_url
    assert data["licence"]["verify_url"].endswith(f"/verify/{licence.number}/")
    # No personal data: neither the requester's email nor their name.
    body = request.get_data(as_text=True)
    assert "amira@outlet.example" not in body
    assert "Amira" not in body
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.delivered_at is not None


def test_revoked_licence_is_posted(
    httpserver: HTTPServer, endpoint, licensed, reviewer, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        licensed.revoke(actor=reviewer, reason="Published outside the territory.")
    events = [r.headers["X-Portal-Event"] for r in received(httpserver)]
    assert events == ["licence.issued", "licence.revoked"]
    payload = verify(received(httpserver)[-1])
    assert payload["data"]["licence"]["status"] == "revoked"
    assert payload["data"]["licence"]["revoked_at"]
    assert payload["data"]["request"]["status"] == "revoked"


def test_wrong_secret_does_not_verify(httpserver: HTTPServer, endpoint, licensed) -> None:
    with pytest.raises(AssertionError):
        verify(received(httpserver)[0], secret="not-the-secret")


def test_endpoint_only_gets_the_events_it_wants(
    httpserver: HTTPServer, endpoint, article, reviewer, django_capture_on_commit_callbacks
) -> None:
    endpoint.events = ["licence.revoked"]
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_request_in(article, "licensed", actor=reviewer)
    assert received(httpserver) == []
    assert not WebhookDelivery.objects.exists()


def test_no_delivery_for_inactive_endpoints(
    httpserver: HTTPServer, endpoint, article, reviewer, django_capture_on_commit_callbacks
) -> None:
    endpoint.active = False
    endpoint.save()
    active = WebhookEndpoint.objects.create(url=httpserver.url_for("/other"), secret="s2")
    httpserver.expect_request("/other").respond_with_data("ok")
    with django_capture_on_commit_callbacks(execute=True):
        make_request_in(article, "licensed", actor=reviewer)
    assert [r.path for r in received(httpserver)] == ["/other"]
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [active.pk]


def test_retried_after_a_500(
    httpserver: HTTPServer, endpoint, article, reviewer, django_capture_on_commit_callbacks
) -> None:
    httpserver.clear()
    httpserver.expect_oneshot_request("/hooks/licences").respond_with_data("down", status=500)
    httpserver.expect_request("/hooks/licences").respond_with_data("ok")
    with django_capture_on_commit_callbacks(execute=True):
        make_request_in(article, "licensed", actor=reviewer)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    retry_later(minutes=0)  # not due yet: nothing sent
    assert len(received(httpserver)) == 1
    retry_later(minutes=10)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    first, second = received(httpserver)
    # The same delivery, so the receiver can drop a repeat by its id.
    assert first.headers["X-Portal-Delivery"] == second.headers["X-Portal-Delivery"]
    assert verify(first) == verify(second)


def test_gives_up_after_the_last_attempt(
    httpserver: HTTPServer, endpoint, article, reviewer, django_capture_on_commit_callbacks
) -> None:
    httpserver.clear()
    httpserver.expect_request("/hooks/licences").respond_with_data("down", status=503)
    with django_capture_on_commit_callbacks(execute=True):
        make_request_in(article, "licensed", actor=reviewer)
    for day in range(1, MAX_ATTEMPTS + 2):
        retry_later(minutes=day * 24 * 60)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert "HTTP 503" in delivery.last_error
    assert len(received(httpserver)) == MAX_ATTEMPTS


def test_connection_error_is_recorded(
    endpoint, article, reviewer, django_capture_on_commit_callbacks
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint.url = f"http://127.0.0.1:{port}/hook"
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_request_in(article, "licensed", actor=reviewer)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "Could not reach" in delivery.last_error


def test_worker_backend_defers_the_retry(
    httpserver: HTTPServer, endpoint, licensed, settings
) -> None:
    """A backend that supports run_after (the worker's) gets the retry queued for its time."""
    httpserver.clear()
    httpserver.expect_request("/hooks/licences").respond_with_data("down", status=500)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now()
    )
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    attempted = attempt_delivery(delivery_id=delivery.pk)
    assert attempted is not None and attempted.status == DeliveryStatus.PENDING
    (queued,) = default_task_backend.results
    assert queued.task.name == "deliver_webhook"
    assert queued.task.run_after == attempted.next_attempt_at
    assert queued.kwargs == {"delivery_id": delivery.pk}


def test_admin_edits_endpoints_and_lists_deliveries(superuser, client, httpserver) -> None:
    client.force_login(superuser)
    response = client.post(
        "/admin/integrations/webhookendpoint/add/",
        {
            "url": "https://cms.example/hooks",
            "description": "CMS",
            "active": "on",
            "events": ["licence.issued"],
            "secret": "abc",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert WebhookEndpoint.objects.get().events == ["licence.issued"]
    assert client.get("/admin/integrations/webhookdelivery/").status_code == 200


def test_a_rerun_during_a_dead_workers_lease_is_queued_for_the_lease_end(
    httpserver: HTTPServer, endpoint, licensed, settings
) -> None:
    """A worker died mid-POST: its task, run again by another worker before the
    attempt's lease ends, cannot claim the delivery, so it comes back when the lease ends."""
    delivery = WebhookDelivery.objects.get()
    httpserver.clear()
    httpserver.expect_request("/hooks/licences").respond_with_data("ok")
    # What the dead worker left: the attempt claimed, its lease running.
    lease_end = timezone.now() + timedelta(minutes=2)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=1, next_attempt_at=lease_end, delivered_at=None
    )
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    assert attempt_delivery(delivery_id=delivery.pk) is None
    (queued,) = default_task_backend.results
    assert queued.task.name == "deliver_webhook"
    assert queued.task.run_after == lease_end
    assert queued.kwargs == {"delivery_id": delivery.pk}
    assert received(httpserver) == []
    with time_machine.travel(lease_end + timedelta(seconds=1), tick=False):
        queued.task.call(**queued.kwargs)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    assert len(received(httpserver)) == 1


def test_a_rerun_of_a_finished_delivery_queues_nothing(endpoint, licensed, settings) -> None:
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    assert attempt_delivery(delivery_id=delivery.pk) is None
    assert default_task_backend.results == []


def test_a_publisher_name_in_arabic_does_not_break_the_user_agent(
    httpserver: HTTPServer, endpoint, licensed, settings
) -> None:
    # Header values go out as Latin-1: "ناشر" as written could never be sent.
    settings.PUBLISHER_NAME = "ناشر"
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now()
    )
    attempted = attempt_delivery(delivery_id=delivery.pk)
    assert attempted is not None and attempted.status == DeliveryStatus.DELIVERED
    user_agent = received(httpserver)[-1].headers["User-Agent"]
    assert user_agent == "%D9%86%D8%A7%D8%B4%D8%B1 republishing portal"
