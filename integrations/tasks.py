"""Background work for integrations: when webhooks go out. A delivery is queued per
endpoint, attempted by a task, and retried on the schedule in integrations.models.

What a delivery says and how one attempt is signed and sent is integrations.webhooks.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db.models import F
from django.tasks import task
from django.utils import timezone

from integrations import webhooks
from integrations.models import (
    ATTEMPT_LEASE,
    MAX_ATTEMPTS,
    RETRY_BACKOFF,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from licensing.models import ArticleNotice, Licence

logger = logging.getLogger(__name__)


@task
def deliver_webhook(*, delivery_id: int) -> None:
    attempt_delivery(delivery_id=delivery_id)


def queue_deliveries(*, event: str, licence: Licence) -> list[WebhookDelivery]:
    """One delivery per active endpoint that wants `event`, each sent by a task."""
    return _queue(
        event=event,
        data=webhooks.licence_data(licence),
        about=f"licence {licence.number} (request {licence.request.reference})",
    )


def queue_notice_deliveries(*, event: str, notice: ArticleNotice) -> list[WebhookDelivery]:
    """article.corrected or article.takedown_requested, to each endpoint that wants it."""
    return _queue(
        event=event, data=webhooks.notice_data(notice), about=f"article {notice.article_id}"
    )


def _queue(*, event: str, data: dict[str, Any], about: str) -> list[WebhookDelivery]:
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if event in e.events]
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(endpoint=endpoint, event=event, payload={})
        delivery.payload = {
            "id": str(delivery.uuid),
            "event": event,
            "created_at": timezone.now().isoformat(),
            "data": data,
        }
        delivery.save()
        deliveries.append(delivery)
        logger.info("Webhook %s queued for %s to endpoint %s", event, about, endpoint.pk)
    for delivery in deliveries:
        deliver_webhook.enqueue(delivery_id=delivery.pk)
    return deliveries


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
        _come_back_after_lease(delivery_id, now=now)
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    outcome = webhooks.attempt(delivery)
    error = outcome.error
    if outcome.gone:
        # 410: the receiver says this URL will never take deliveries again.
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(active=False)
        delivery.endpoint.active = False
        logger.warning(
            "Webhook endpoint %s answered 410 Gone: deactivated (%s)",
            delivery.endpoint_id,
            delivery.endpoint.url,
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


def _come_back_after_lease(delivery_id: int, *, now: datetime) -> None:
    """Queue the task again for when another attempt's lease ends.

    A worker that died mid-POST leaves its attempt claimed for ATTEMPT_LEASE;
    the task it was running is made ready again after only
    TASK_WORKER_TIMEOUT_SECONDS, finds the delivery claimed, and without this
    would end as if done while the delivery stayed pending. Coming back later
    is safe: the claim (one conditional UPDATE) still sends it once.
    """
    delivery = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__gt=now
    ).first()
    if delivery is not None:
        schedule_retry(delivery)


def schedule_retry(delivery: WebhookDelivery) -> bool:
    """Queue the next attempt for its time where the task backend can defer.

    The immediate backend cannot (it would run the retry at once), so there
    `manage.py retry_webhooks`, run by the worker schedule, picks it up.
    """
    if not deliver_webhook.get_backend().supports_defer:
        return False
    deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery_id=delivery.pk)
    return True


def retry_due_deliveries() -> int:
    """Queue every pending delivery whose next attempt is due; returns how many."""
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
