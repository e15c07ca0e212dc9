"""Integrations' answers to licensing's signals: a webhook per licence or article event."""

from typing import Any

from django.dispatch import receiver

from integrations.models import WebhookEvent
from integrations.tasks import queue_deliveries, queue_notice_deliveries
from licensing.models import ArticleNotice, Licence
from licensing.notices import NoticeKind
from licensing.signals import (
    article_notice_sent,
    licence_issued,
    licence_revoked,
    licence_withdrawn,
)


@receiver(licence_issued, dispatch_uid="integrations.licence_issued_webhook")
def licence_issued_webhook(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    queue_deliveries(event=WebhookEvent.LICENCE_ISSUED, licence=licence)


@receiver(licence_revoked, dispatch_uid="integrations.licence_revoked_webhook")
def licence_revoked_webhook(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    queue_deliveries(event=WebhookEvent.LICENCE_REVOKED, licence=licence)


@receiver(licence_withdrawn, dispatch_uid="integrations.licence_withdrawn_webhook")
def licence_withdrawn_webhook(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    queue_deliveries(event=WebhookEvent.LICENCE_WITHDRAWN, licence=licence)


NOTICE_EVENTS = {
    NoticeKind.CORRECTION: WebhookEvent.ARTICLE_CORRECTED,
    NoticeKind.TAKEDOWN: WebhookEvent.ARTICLE_TAKEDOWN_REQUESTED,
}


@receiver(article_notice_sent, dispatch_uid="integrations.article_notice_webhook")
def article_notice_webhook(
    sender: type[ArticleNotice], notice: ArticleNotice, **kwargs: Any
) -> None:
    queue_notice_deliveries(event=NOTICE_EVENTS[NoticeKind(notice.kind)], notice=notice)
