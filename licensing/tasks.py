"""Background work for licensing, run by Django's tasks framework.

Immediate backend in development and tests; a database worker in production.
Tasks take ids, not objects, so they can be queued as JSON. Each email task
sends one email and, when the mail server is down, queues itself again
(portal.mail_retries): `attempt` counts the tries.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.tasks import task
from django.urls import reverse
from sesame.utils import get_query_string

from billing.models import InvoiceStatus
from licensing import emails
from licensing.links import request_link
from licensing.models import (
    Licence,
    LicenceNotice,
    LicenceStatus,
    RepublicationRequest,
    RequestStatus,
)
from portal.mail_retries import send_or_retry

logger = logging.getLogger(__name__)


def _request(request_id: int) -> RepublicationRequest:
    return RepublicationRequest.objects.select_related("article", "assignee", "invoice").get(
        pk=request_id
    )


@dataclass(frozen=True)
class RequestEmail:
    """How one email about a request is sent, and while what it says still holds.

    A retry can run hours after the event that queued it, once the request has
    been withdrawn, paid or answered: it must not send what no longer holds.
    """

    send: Callable[[RepublicationRequest], None]
    # Sent only while the request is still in this status.
    only_while: RequestStatus | None = None
    # Not sent once the invoice is paid: the licence is on its way
    # (license_paid_requests), even while the request still awaits payment.
    not_once_paid: bool = False

    def reason_not_to_send(self, request: RepublicationRequest) -> str:
        """Why the email is no longer worth sending; empty while it is."""
        invoice = request.invoice
        if self.not_once_paid and invoice is not None and invoice.status == InvoiceStatus.PAID:
            return "the invoice is paid"
        if self.only_while is not None and request.status != self.only_while:
            return f"the request is now {request.status}"
        return ""

    @classmethod
    def about_licence(cls, send: Callable[[Licence], None]) -> "RequestEmail":
        """An email about the request's licence (a request has one at most)."""
        return cls(lambda request: send(request.licence))


# Every email about a request, by the name its task is queued with (the emails.py
# function's name without "send_"; also the `email_kind` logged).
REQUEST_EMAILS: dict[str, RequestEmail] = {
    "request_received": RequestEmail(emails.send_request_received),
    "new_request_to_reviewers": RequestEmail(emails.send_new_request_to_reviewers),
    "information_requested": RequestEmail(
        emails.send_information_requested, only_while=RequestStatus.INFO_REQUESTED
    ),
    "request_approved": RequestEmail(
        emails.send_request_approved, only_while=RequestStatus.AWAITING_PAYMENT
    ),
    "request_declined": RequestEmail(emails.send_request_declined),
    "reply_received": RequestEmail(emails.send_reply_received),
    "request_edited": RequestEmail(emails.send_request_edited),
    "quote_reminder": RequestEmail(
        emails.send_quote_reminder,
        only_while=RequestStatus.AWAITING_PAYMENT,
        not_once_paid=True,
    ),
    "quote_expired": RequestEmail(emails.send_quote_expired),
    "request_cancelled": RequestEmail(
        emails.send_request_cancelled, only_while=RequestStatus.WITHDRAWN
    ),
    "licence_revoked": RequestEmail.about_licence(emails.send_licence_revoked),
    "licence_expired": RequestEmail.about_licence(emails.send_licence_expired),
    "licence_withdrawn": RequestEmail.about_licence(emails.send_licence_withdrawn),
}


@task
def send_request_email(*, request_id: int, email: str, attempt: int = 1) -> str:
    """Send the email named `email` (a key of REQUEST_EMAILS) about the request."""
    request = _request(request_id)
    about = REQUEST_EMAILS[email]
    if reason := about.reason_not_to_send(request):
        logger.info("Email %s for %s not sent: %s", email, request.reference, reason)
        return f"not sent: {reason}"
    return send_or_retry(
        send_request_email,
        send=lambda: about.send(request),
        email_kind=email,
        request_reference=request.reference,
        attempt=attempt,
        request_id=request_id,
        email=email,
    )


@task
def deliver_licence(*, licence_id: int, attempt: int = 1) -> str:
    """Render and store the licence PDF, then email it to the licensee."""
    licence = Licence.objects.select_related("request__article").get(pk=licence_id)
    if licence.status in {LicenceStatus.REVOKED, LicenceStatus.WITHDRAWN}:
        # Revoked or withdrawn before the email went out (a retry after a mail
        # outage): the licensee gets that email, not a licence that no longer holds.
        logger.info("Licence %s not sent: it is %s", licence.number, licence.status)
        return f"not sent: the licence is {licence.status}"

    def store_and_send() -> None:
        # Rendered and stored unless a download (or an earlier attempt) already
        # did; a retry sends the PDF stored before. A document store that does not
        # answer raises DocumentStorageUnavailable, a ConnectionError: retried
        # later like a mail outage, the licence row untouched.
        pdf = licence.pdf_bytes()
        emails.send_licence_issued(licence, pdf=pdf)

    return send_or_retry(
        deliver_licence,
        send=store_and_send,
        email_kind="licence_issued",
        request_reference=licence.request.reference,
        attempt=attempt,
        licence_id=licence_id,
    )


@task
def store_invoice_pdf(*, request_id: int) -> str:
    """Make the approved request's invoice PDF/A-3 once, at issue, and store it."""
    request = _request(request_id)
    if request.invoice is None:
        return "no invoice"
    return request.invoice.store_at_issue(pay_url=request_link(request))


@task
def send_paid_requests_licensed_email(
    *, licensed_ids: list[int], failed_ids: list[int], attempt: int = 1
) -> str:
    """The desk's alert from license_paid_requests: what it repaired, and what it could not."""

    def load(ids: list[int]) -> list[RepublicationRequest]:
        return list(
            RepublicationRequest.objects.filter(pk__in=ids)
            .select_related("invoice", "licence")
            .order_by("pk")
        )

    licensed, failed = load(licensed_ids), load(failed_ids)
    return send_or_retry(
        send_paid_requests_licensed_email,
        send=lambda: emails.send_paid_requests_licensed(licensed, failed),
        email_kind="paid_requests_licensed",
        request_reference=", ".join(r.reference for r in [*licensed, *failed]),
        attempt=attempt,
        licensed_ids=licensed_ids,
        failed_ids=failed_ids,
    )


@task
def send_magic_link_email(
    *, address: str, language: str, next_url: str = "", attempt: int = 1
) -> str:
    """Queued by the sign-in page for any address typed; sent only to a requester
    account (no staff, one with confirmed requests). Sent by the worker, so a mail
    outage neither breaks the sign-in page nor tells the visitor whether the
    address has an account; the link is made at each attempt, so a retried email
    still carries a link valid for the full time. `next_url`: the page to land on."""
    user = (
        get_user_model()
        .objects.filter(email__iexact=address, is_staff=False, is_superuser=False, is_active=True)
        .exclude(republication_requests=None)
        .first()
    )
    if user is None or user.has_usable_password():
        return "not sent: no requester account has this address"
    query = get_query_string(user)
    if next_url:
        query += "&" + urlencode({REDIRECT_FIELD_NAME: next_url})
    link = settings.PORTAL_BASE_URL + reverse("licensing:account_magic") + query
    return send_or_retry(
        send_magic_link_email,
        send=lambda: emails.send_magic_link(email=user.email, link=link, language=language),
        email_kind="magic_link",
        attempt=attempt,
        address=address,
        language=language,
        next_url=next_url,
    )


@task
def send_overdue_reminder_email(*, request_ids: list[int], to: str, attempt: int = 1) -> str:
    """One reviewer's (or the desk's) list of overdue requests, from remind_reviewers.

    A retry lists only the requests still waiting on staff: one answered
    during a mail outage is not chased again.
    """
    requests = list(
        RepublicationRequest.objects.filter(pk__in=request_ids)
        .waiting_on_staff()
        .select_related("article", "assignee")
        .order_by("waiting_since")
    )
    if not requests:
        return "no request is waiting on staff any more"
    return send_or_retry(
        send_overdue_reminder_email,
        send=lambda: emails.send_overdue_reminder(requests, to=to),
        email_kind="overdue_reminder",
        request_reference=", ".join(r.reference for r in requests),
        attempt=attempt,
        request_ids=request_ids,
        to=to,
    )


# --- Amend and renew (issue 16) ---------------------------------------------------


@task
def send_licence_renewal_reminder_email(
    *, licence_id: int, days_before: int, attempt: int = 1
) -> str:
    """A reminder that the licence ends soon, with the way to renew it; not sent once the
    licence has ended early (revoked) or a renewal has been asked for since."""
    licence = Licence.objects.select_related("request__article").get(pk=licence_id)
    if licence.status != LicenceStatus.VALID or licence.request.open_renewal is not None:
        return "not sent: the licence is no longer valid, or is being renewed"
    return send_or_retry(
        send_licence_renewal_reminder_email,
        send=lambda: emails.send_licence_renewal_reminder(licence, days_before=days_before),
        email_kind="licence_renewal_reminder",
        request_reference=licence.request.reference,
        attempt=attempt,
        licence_id=licence_id,
        days_before=days_before,
    )


# --- Corrections and takedowns (licensing.notices) ------------------------


@task
def send_article_notice_email(*, licence_notice_id: int, attempt: int = 1) -> str:
    """One licensee's correction or takedown email; recorded as emailed once sent.

    Not sent once the licence has ended (a retry after a revocation, say):
    nobody is asked to act on a licence they no longer hold.
    """
    reached = LicenceNotice.objects.select_related(
        "notice__article", "licence__request__article"
    ).get(pk=licence_notice_id)
    if reached.licence.status != LicenceStatus.VALID:
        logger.info(
            "Notice email for licence %s not sent: the licence is now %s",
            reached.licence.number,
            reached.licence.status,
        )
        return f"not sent: the licence is now {reached.licence.status}"

    def send() -> None:
        emails.send_article_notice(reached)
        reached.mark_emailed()

    return send_or_retry(
        send_article_notice_email,
        send=send,
        email_kind=f"article_{reached.notice.kind}",
        request_reference=reached.licence.request.reference,
        attempt=attempt,
        licence_notice_id=licence_notice_id,
    )
