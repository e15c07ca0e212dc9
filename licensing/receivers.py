"""Licensing's answers to signals: billing's payments, and its own changes' emails.

Billing never imports licensing, and the models never import the tasks:
each change is announced (billing.signals, licensing.signals) and answered here.
"""

import logging
from typing import Any

from django.dispatch import receiver
from django.template.loader import get_template

from billing.models import Invoice
from billing.signals import invoice_paid
from licensing import tasks
from licensing.models import ArticleNotice, Licence, RepublicationRequest, TransitionNotAllowed
from licensing.signals import (
    RequestEvent,
    article_notice_sent,
    licence_expired,
    licence_issued,
    licence_revoked,
    licence_withdrawn,
    request_changed,
)
from portal.pdf_text import register_fonts
from portal.task_workers import worker_starting

logger = logging.getLogger(__name__)

# The email each request event sends (a name in tasks.REQUEST_EMAILS), queued after
# its commit: one task per email, so a mail failure retries only the email that failed.
EVENT_EMAILS: dict[RequestEvent, str] = {
    RequestEvent.SUBMITTED: "request_received",
    RequestEvent.CONFIRMED: "new_request_to_reviewers",
    RequestEvent.APPROVED: "request_approved",
    RequestEvent.DECLINED: "request_declined",
    RequestEvent.INFORMATION_REQUESTED: "information_requested",
    RequestEvent.REPLIED: "reply_received",
    RequestEvent.QUOTE_EXPIRED: "quote_expired",
    RequestEvent.EDITED: "request_edited",
    RequestEvent.CANCELLED: "request_cancelled",
}


@receiver(invoice_paid, dispatch_uid="licensing.license_paid_request")
def license_paid_request(sender: type[Invoice], invoice: Invoice, **kwargs: Any) -> None:
    """License the paid invoice's request, inside the transaction that marks it paid."""
    req = RepublicationRequest.objects.filter(invoice=invoice).first()
    if req is None:
        logger.warning("Invoice %s paid but no request refers to it", invoice.number)
        return
    try:
        licensed = req.mark_licensed(note=f"Invoice {invoice.number} paid.")
    except TransitionNotAllowed:
        # Withdrawn or expired first: the invoice was voided, and billing flags the money.
        logger.warning(
            "Invoice %s paid but request %s is %s", invoice.number, req.reference, req.status
        )
        return
    if licensed:
        logger.info("Request %s licensed: invoice %s paid", req.reference, invoice.number)


@receiver(request_changed, dispatch_uid="licensing.email_about_request")
def email_about_request(sender: Any, request_id: int, event: RequestEvent, **kwargs: Any) -> None:
    tasks.send_request_email.enqueue(request_id=request_id, email=EVENT_EMAILS[event])


@receiver(request_changed, dispatch_uid="licensing.store_invoice_pdf")
def store_invoice_pdf(sender: Any, request_id: int, event: RequestEvent, **kwargs: Any) -> None:
    """The invoice an approval issued is made and stored once, like the licence."""
    if event == RequestEvent.APPROVED:
        tasks.store_invoice_pdf.enqueue(request_id=request_id)


@receiver(licence_issued, dispatch_uid="licensing.deliver_licence")
def deliver_licence(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    tasks.deliver_licence.enqueue(licence_id=licence.pk)


@receiver(licence_revoked, dispatch_uid="licensing.email_licence_revoked")
def email_licence_revoked(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    tasks.send_request_email.enqueue(request_id=licence.request_id, email="licence_revoked")


@receiver(licence_expired, dispatch_uid="licensing.email_licence_expired")
def email_licence_expired(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    tasks.send_request_email.enqueue(request_id=licence.request_id, email="licence_expired")


@receiver(worker_starting, dispatch_uid="licensing.warm_up_licence_delivery")
def warm_up_licence_delivery(sender: Any, **kwargs: Any) -> None:
    """Load in a starting worker what the first licence it delivers would otherwise wait for.

    The PDF, ODRL and signing libraries are imported where they are used
    (web processes rarely need them), the fonts and the signing key are read
    once per process, and templates compile on first use: together seconds
    on a cold process, paid here instead of by the first licensee.
    """
    from licensing import odrl, pdf  # noqa: F401 (imported for their import's sake)
    from licensing.signing import configured_signer

    register_fonts()
    configured_signer()
    for name in ("licence_issued_subject.txt", "licence_issued.txt", "licence_issued.html"):
        get_template(f"emails/{name}")


@receiver(article_notice_sent, dispatch_uid="licensing.email_article_notice")
def email_article_notice(sender: type[ArticleNotice], notice: ArticleNotice, **kwargs: Any) -> None:
    """One email per licence reached: a mail failure retries only that licensee's."""
    for reached_id in notice.recipients.order_by("pk").values_list("pk", flat=True):
        tasks.send_article_notice_email.enqueue(licence_notice_id=reached_id)


@receiver(licence_withdrawn, dispatch_uid="licensing.email_licence_withdrawn")
def email_licence_withdrawn(sender: type[Licence], licence: Licence, **kwargs: Any) -> None:
    tasks.send_request_email.enqueue(request_id=licence.request_id, email="licence_withdrawn")
