"""A retried email is not sent once what it says no longer holds.

A mail outage can hold an email back for hours (portal.mail_retries); by the
time the retry runs the request may have been withdrawn or the licence revoked.
"""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from licensing.models import RepublicationRequest
from portal.mail_retries import RETRY_BACKOFF
from tests.factories import approved_request, make_request
from tests.test_email_retries import (
    LOCMEM,
    REQUEST_EMAIL,
    database_tasks,
    queued,
    run_worker,
    smtp_down,
)

__all__ = ["database_tasks", "smtp_down"]  # fixtures used by name below


def _retry_after_outage(settings) -> None:
    """The mail server is back; the queued retry comes due and the worker runs it."""
    settings.MAILERS = LOCMEM
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + RETRY_BACKOFF[0] + timedelta(seconds=5)):
        run_worker()


def _failed_once(task: str) -> None:
    run_worker()
    assert (task, "READY", 2) in [(path, status, n) for path, status, n, _ in queued()]


@pytest.mark.django_db(transaction=True)
def test_approval_email_retry_is_dropped_once_the_request_is_withdrawn(
    article, reviewer, smtp_down, database_tasks, settings
) -> None:
    req = make_request(article)
    DBTaskResult.objects.all().delete()  # the submission's own emails
    req.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    _failed_once(f"{REQUEST_EMAIL}[request_approved]")

    RepublicationRequest.objects.get(pk=req.pk).withdraw()
    _retry_after_outage(settings)

    # No "your request is approved, pay here" for a withdrawn request and a voided invoice.
    assert [m.subject for m in mail.outbox] == []


@pytest.mark.django_db(transaction=True)
def test_information_request_retry_is_dropped_once_the_request_is_withdrawn(
    article, reviewer, smtp_down, database_tasks, settings
) -> None:
    req = make_request(article)
    DBTaskResult.objects.all().delete()
    req.ask_for_information(actor=reviewer, message="Which edition?")
    _failed_once(f"{REQUEST_EMAIL}[information_requested]")

    RepublicationRequest.objects.get(pk=req.pk).withdraw()
    _retry_after_outage(settings)

    assert [m.subject for m in mail.outbox] == []


@pytest.mark.django_db(transaction=True)
def test_licence_retry_is_dropped_once_the_licence_is_revoked(
    article, reviewer, smtp_down, database_tasks, settings
) -> None:
    req = make_request(article)
    DBTaskResult.objects.all().delete()
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    _failed_once("licensing.tasks.deliver_licence")

    RepublicationRequest.objects.get(pk=req.pk).revoke(actor=reviewer, reason="Wrong article.")
    _retry_after_outage(settings)

    # The revocation email goes out; the revoked licence's PDF does not.
    assert mail.outbox, "the revocation email should be sent"
    assert [m.subject for m in mail.outbox if m.attachments] == []


@pytest.mark.django_db(transaction=True)
def test_approval_email_retry_still_goes_out_while_the_quote_is_open(
    article, reviewer, smtp_down, database_tasks, settings
) -> None:
    req = make_request(article)
    DBTaskResult.objects.all().delete()
    req.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    _failed_once(f"{REQUEST_EMAIL}[request_approved]")

    _retry_after_outage(settings)

    [email] = mail.outbox
    assert email.to == [req.email]


@pytest.mark.django_db(transaction=True)
def test_quote_reminder_retry_is_dropped_once_the_request_is_withdrawn(
    article, reviewer, smtp_down, database_tasks, settings
) -> None:
    req = make_request(article)
    req.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    DBTaskResult.objects.all().delete()  # the approval's own email
    three_days_before = timezone.now() + timedelta(days=27)
    with time_machine.travel(three_days_before):
        call_command("expire_quotes", stdout=StringIO())
        _failed_once(f"{REQUEST_EMAIL}[quote_reminder]")
        RepublicationRequest.objects.get(pk=req.pk).withdraw()
        _retry_after_outage(settings)

    assert [m.subject for m in mail.outbox] == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("resolved", [True, False], ids=["resolved", "unresolved"])
def test_payment_problem_alert_retry_goes_out_only_while_unresolved(
    article, reviewer, finance, smtp_down, database_tasks, settings, resolved
) -> None:
    from billing.models import PaymentProblem
    from billing.tasks import send_payment_problem_email

    invoiced = approved_request(article, actor=reviewer, fee_minor=10000)
    problem = PaymentProblem.objects.create(
        invoice=invoiced.invoice, kind="amount_mismatch", detail="Paid 1 GBP of 120."
    )
    DBTaskResult.objects.all().delete()
    send_payment_problem_email.enqueue(problem_id=problem.pk)
    _failed_once("billing.tasks.send_payment_problem_email")

    if resolved:  # finance dealt with it during the outage
        PaymentProblem.objects.filter(pk=problem.pk).update(resolved=True)
    _retry_after_outage(settings)

    if resolved:
        assert [m.subject for m in mail.outbox] == []
    else:
        [email] = mail.outbox
        assert finance.email in email.to


@pytest.mark.django_db
def test_quote_reminder_is_not_sent_once_the_invoice_is_paid(article, reviewer) -> None:
    from billing.models import Invoice, InvoiceStatus
    from licensing.tasks import send_request_email

    req = approved_request(article, actor=reviewer, fee_minor=10000)
    mail.outbox.clear()
    # Paid, the request still awaiting its licence (license_paid_requests repairs it).
    Invoice.objects.filter(pk=req.invoice_id).update(
        status=InvoiceStatus.PAID, paid_at=timezone.now()
    )

    result = send_request_email.call(request_id=req.pk, email="quote_reminder")

    assert result == "not sent: the invoice is paid"
    assert mail.outbox == []


def test_every_request_event_sends_an_email_the_task_knows() -> None:
    from licensing.receivers import EVENT_EMAILS
    from licensing.signals import RequestEvent
    from licensing.tasks import REQUEST_EMAILS

    # A name the table lacks would fail in the worker, after the change had committed.
    assert set(EVENT_EMAILS) == set(RequestEvent)
    assert set(EVENT_EMAILS.values()) <= set(REQUEST_EMAILS)
