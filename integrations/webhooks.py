"""Outgoing webhooks: what a licence event says, how it is signed, sent and retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from integrations.models import (
    ATTEMPT_LEASE,
    MAX_ATTEMPTS,
    RETRY_BACKOFF,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from licensing.models import Licence

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Portal-Signature"
EVENT_HEADER = "X-Portal-Event"
DELIVERY_HEADER = "X-Portal-Delivery"


def sign(*, secret: str, body: str, timestamp: int) -> str:
    """The X-Portal-Signature value: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def licence_data(licence: Licence) -> dict[str, Any]:
    """What a CMS needs to follow a licence; no personal data (no emails, no contact names)."""
    request = licence.request
    return {
        "licence": {
            "number": licence.number,
            "uuid": str(licence.uuid),
            "status": licence.status,
            "licensee": licence.licensee_name,
            "media": licence.media,
            "language": licence.language,
            "territory": licence.territory,
            "extent": licence.extent,
            "start_date": licence.start_date.isoformat(),
            "end_date": licence.end_date.isoformat() if licence.end_date else None,
            "issued_at": _iso(licence.issued_at),
            "revoked_at": _iso(licence.revoked_at),
            "invoice_number": licence.invoice_number or None,
            "verify_url": licence.verify_url,
        },
        "request": {
            "reference": request.reference,
            "uuid": str(request.uuid),
            "status": request.status,
        },
        "article": {"title": licence.article_title, "canonical_url": licence.article_url},
    }


def queue_deliveries(*, event: str, licence: Licence) -> list[WebhookDelivery]:
    """One delivery per active endpoint that wants `event`, each sent by a task."""
    from integrations.tasks import deliver_webhook

    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if event in e.events]
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(endpoint=endpoint, event=event, payload={})
        delivery.payload = {
            "id": str(delivery.uuid),
            "event": event,
            "created_at": timezone.now().isoformat(),
            "data": licence_data(licence),
        }
        delivery.save()
        deliveries.append(delivery)
        logger.info(
            "Webhook %s queued for licence %s (request %s) to endpoint %s",
            event,
            licence.number,
            licence.request.reference,
            endpoint.pk,
        )
    for delivery in deliveries:
        deliver_webhook.enqueue(delivery_id=delivery.pk)
    return deliveries


def _post(delivery: WebhookDelivery) -> str:
    """Send once; '' on a 2xx answer, otherwise what went wrong."""
    url = delivery.endpoint.url
    if not url.startswith(("https://", "http://")):
        return f"Refusing to send to {url!r}: not an http(s) URL."
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"{settings.PUBLISHER_NAME} republishing portal",
        SIGNATURE_HEADER: sign(
            secret=delivery.endpoint.secret, body=body, timestamp=int(time.time())
        ),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.uuid),
        "Idempotency-Key": str(delivery.uuid),
    }
    # S310: the scheme was checked above, so only http(s) is ever opened.
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} from {url}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return f"Could not reach {url}: {reason}"
    if not 200 <= status < 300:
        return f"HTTP {status} from {url}"
    return ""


def attempt_delivery(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt at a due delivery; on failure, the next attempt is scheduled or it gives up.

    Claiming the attempt is one conditional UPDATE, so a worker retry and
    `retry_webhooks` racing for the same delivery send it once.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + ATTEMPT_LEASE)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    error = (
        _post(delivery) if delivery.endpoint.active else "Endpoint deactivated before the attempt."
    )
    finished = timezone.now()
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = finished
        delivery.last_error = ""
        logger.info("Webhook %s delivered (%s)", delivery.uuid, delivery.event)
    elif delivery.attempts >= MAX_ATTEMPTS or not delivery.endpoint.active:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = error
        logger.warning("Webhook %s failed, giving up: %s", delivery.uuid, error)
    else:
        delivery.last_error = error
        backoff = RETRY_BACKOFF[min(delivery.attempts, len(RETRY_BACKOFF)) - 1]
        delivery.next_attempt_at = finished + backoff
        logger.warning(
            "Webhook %s attempt %s failed, next at %s: %s",
            delivery.uuid,
            delivery.attempts,
            delivery.next_attempt_at.isoformat(),
            error,
        )
    delivery.save(update_fields=["status", "delivered_at", "last_error", "next_attempt_at"])
    if delivery.status == DeliveryStatus.PENDING:
        schedule_retry(delivery)
    return delivery


def schedule_retry(delivery: WebhookDelivery) -> bool:
    """Queue the next attempt for its time where the task backend can defer.

    The immediate backend cannot (it would run the retry at once), so there
    `manage.py retry_webhooks`, run by the worker schedule, picks it up.
    """
    from integrations.tasks import deliver_webhook

    if not deliver_webhook.get_backend().supports_defer:
        return False
    deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery_id=delivery.pk)
    return True


def retry_due_deliveries() -> int:
    """Queue every pending delivery whose next attempt is due; returns how many."""
    from integrations.tasks import deliver_webhook

    due = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)
    )
    for delivery_id in due:
        deliver_webhook.enqueue(delivery_id=delivery_id)
    return len(due)
