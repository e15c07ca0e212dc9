"""One function per email billing sends; text and HTML templates each."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from billing.models import PaymentProblem


def finance_recipients() -> list[str]:
    """The desk's shared address and every active user allowed to record payments."""
    can_record = Q(
        groups__permissions__codename="record_payment",
        groups__permissions__content_type__app_label="billing",
    ) | Q(
        user_permissions__codename="record_payment",
        user_permissions__content_type__app_label="billing",
    )
    emails = (
        get_user_model()
        .objects.filter(can_record, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted({settings.REVIEWERS_EMAIL, *emails})


def send_payment_problem(problem: PaymentProblem) -> None:
    """Alert finance to money that did not fit its invoice (never marked paid)."""
    invoice = problem.invoice
    context = {
        "PUBLISHER_NAME": settings.PUBLISHER_NAME,
        "problem": problem,
        "invoice": invoice,
        "invoice_url": (
            settings.PORTAL_BASE_URL + reverse("billing:invoice_detail", args=[invoice.number])
            if invoice
            else ""
        ),
    }
    # Staff mail is English, whatever language the page that caused it was in.
    with translation.override("en"):
        subject = render_to_string("emails/payment_problem_subject.txt", context).strip()
        text = render_to_string("emails/payment_problem.txt", context)
        html = render_to_string("emails/payment_problem.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=finance_recipients()
    )
    message.attach_alternative(html, "text/html")
    message.send()
