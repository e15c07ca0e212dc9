"""One function per email the licensing desk sends; text and HTML templates each."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from licensing.models import RepublicationRequest


def _send(*, template: str, to: str, context: dict[str, Any]) -> None:
    context = {"PUBLISHER_NAME": settings.PUBLISHER_NAME, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def send_request_received(request: RepublicationRequest) -> None:
    """Acknowledge a new request to the requester, with the link to follow it."""
    _send(
        template="request_received",
        to=request.email,
        context={
            "req": request,
            "request_url": settings.PORTAL_BASE_URL + request.get_absolute_url(),
        },
    )


def send_new_request_to_reviewers(request: RepublicationRequest) -> None:
    """Tell the reviewers' shared address that a request is waiting."""
    _send(
        template="new_request_reviewers",
        to=settings.REVIEWERS_EMAIL,
        context={
            "req": request,
            "admin_url": settings.PORTAL_BASE_URL
            + reverse("admin:licensing_republicationrequest_change", args=[request.pk]),
        },
    )
