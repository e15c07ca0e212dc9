"""One function per email the licensing desk sends; text and HTML templates each."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import CreditNoteKind
from licensing.links import acknowledgement_link, request_link
from licensing.models import Licence, LicenceNotice, RepublicationRequest


def _send(
    *,
    template: str,
    to: Sequence[str],
    context: dict[str, Any],
    attachments: Sequence[tuple[str, bytes, str]] = (),
    language: str = "en",
) -> None:
    """Render and send one email in `language`: staff mail stays English, the default."""
    context = {"PUBLISHER_NAME": settings.PUBLISHER_NAME, **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=list(to))
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()


def _to_requester(
    request: RepublicationRequest,
    template: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    **extra: Any,
) -> None:
    _send(
        template=template,
        to=[request.email],
        context={
            "req": request,
            # Signed: it opens the request in any browser, signed in as its requester.
            "request_url": request_link(request),
            "link_days": settings.REQUEST_LINK_MAX_AGE_DAYS,
            **extra,
        },
        attachments=attachments,
        # Written in the language the requester used on the site.
        language=request.ui_language,
    )


def _staff_url(request: RepublicationRequest) -> str:
    return settings.PORTAL_BASE_URL + reverse("licensing:staff_request", args=[request.pk])


def send_request_received(request: RepublicationRequest) -> None:
    """Acknowledge a new request to the requester, with the link to follow it;
    for an unconfirmed request the same link confirms it."""
    _to_requester(request, "request_received")


def send_new_request_to_reviewers(request: RepublicationRequest) -> None:
    """Tell the reviewers' shared address that a request is waiting."""
    _send(
        template="new_request_reviewers",
        to=[settings.REVIEWERS_EMAIL],
        context={"req": request, "staff_url": _staff_url(request)},
    )


def send_information_requested(request: RepublicationRequest) -> None:
    question = request.public_messages().filter(sender="staff").last()
    _to_requester(request, "information_requested", question=question)


def send_request_approved(request: RepublicationRequest) -> None:
    _to_requester(request, "request_approved")


def send_request_declined(request: RepublicationRequest) -> None:
    _to_requester(request, "request_declined")


def send_request_cancelled(request: RepublicationRequest) -> None:
    """Our desk cancelled the request: the reason it was given, and the credit
    note that cancels the invoice, if one was issued."""
    invoice = request.invoice
    _to_requester(
        request,
        "request_cancelled",
        reason=request.cancellation.note if request.cancellation else "",
        credit_note=(
            invoice.credit_notes.filter(kind=CreditNoteKind.VOID).last() if invoice else None
        ),
    )


def send_reply_received(request: RepublicationRequest) -> None:
    """The requester wrote: tell the assigned reviewer, or the shared address."""
    assignee_email = request.assignee.email if request.assignee else ""
    _send(
        template="reply_received",
        to=[assignee_email or settings.REVIEWERS_EMAIL],
        context={
            "req": request,
            "reply": request.public_messages().filter(sender="requester").last(),
            "staff_url": _staff_url(request),
        },
    )


def send_overdue_reminder(requests: Sequence[RepublicationRequest], *, to: str) -> None:
    """The daily list of requests waiting on staff past the response target."""
    _send(
        template="overdue_reminder",
        to=[to],
        context={
            "requests": [(r, _staff_url(r)) for r in requests],
            "target_days": settings.RESPONSE_TARGET_WORKING_DAYS,
        },
    )


def send_paid_requests_licensed(
    licensed: Sequence[RepublicationRequest], failed: Sequence[RepublicationRequest]
) -> None:
    """Tell the desk that paid requests were licensed late by the daily check, or not at all."""
    _send(
        template="paid_requests_licensed",
        to=[settings.REVIEWERS_EMAIL],
        context={
            "licensed": [(r, _staff_url(r)) for r in licensed],
            "failed": [(r, _staff_url(r)) for r in failed],
        },
    )


def send_magic_link(*, email: str, link: str, language: str) -> None:
    """The single-use sign-in link for /account/, in the language of the sign-in page."""
    _send(
        template="magic_link",
        to=[email],
        context={"link": link, "minutes": settings.SESAME_MAX_AGE // 60},
        language=translation.get_supported_language_variant(language),
    )


def send_quote_reminder(request: RepublicationRequest) -> None:
    """A few days before the quote lapses, unpaid."""
    _to_requester(request, "quote_reminder")


def send_quote_expired(request: RepublicationRequest) -> None:
    _to_requester(request, "quote_expired")


def send_licence_issued(licence: Licence, *, pdf: bytes) -> None:
    """The licence, attached, with its number and the link to the request page."""
    _to_requester(
        licence.request,
        "licence_issued",
        attachments=[(f"{licence.number}.pdf", pdf, "application/pdf")],
        licence=licence,
    )


def send_licence_revoked(licence: Licence) -> None:
    _to_requester(licence.request, "licence_revoked", licence=licence)


def send_licence_expired(licence: Licence) -> None:
    _to_requester(licence.request, "licence_expired", licence=licence)


def send_request_edited(request: RepublicationRequest) -> None:
    """The requester edited the request: tell the assigned reviewer, or the shared address."""
    assignee_email = request.assignee.email if request.assignee else ""
    edit = request.status_changes.filter(from_status=F("to_status")).last()
    _send(
        template="request_edited",
        to=[assignee_email or settings.REVIEWERS_EMAIL],
        context={"req": request, "edit": edit, "staff_url": _staff_url(request)},
    )


def send_licence_renewal_reminder(licence: Licence, *, days_before: int) -> None:
    """The licence ends in `days_before` days: how to renew it, in the licensee's language."""
    _to_requester(
        licence.request,
        "licence_renewal_reminder",
        licence=licence,
        days_left=(licence.end_date - timezone.localdate()).days if licence.end_date else 0,
        days_before=days_before,
    )


def send_article_notice(reached: LicenceNotice) -> None:
    """A correction or takedown request, to one licensee, with its "Done" link."""
    notice = reached.notice
    _to_requester(
        reached.licence.request,
        "article_takedown" if notice.is_takedown else "article_correction",
        licence=reached.licence,
        notice=notice,
        acknowledgement_url=acknowledgement_link(reached),
    )


def send_licence_withdrawn(licence: Licence) -> None:
    """A takedown's grace period is over: the licence has ended."""
    _to_requester(licence.request, "licence_withdrawn", licence=licence)
