"""Integrations' answers to licensing's signals: a webhook per licence event."""

from typing import Any

from django.dispatch import receiver

from integrations.models import WebhookEvent
from integrations.webhooks import queue_deliveries
from licensing.models import Licence
from licensing.signals import licence_issued, licence_revoked


@receiver(licence_issued, dispatch_uid="integrations.licence_issued_webhook")
def licence_issued_webhook(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    queue_deliveries(event=WebhookEvent.LICENCE_ISSUED, licence=licence)


@receiver(licence_revoked, dispatch_uid="integrations.licence_revoked_webhook")
def licence_revoked_webhook(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    queue_deliveries(event=WebhookEvent.LICENCE_REVOKED, licence=licence)
