"""Load: many people (or Stripe) at once, through the real views, on PostgreSQL.

Each thread is its own browser (a test Client) with its own database
connection; a barrier releases them together so their transactions overlap.
"""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from billing.models import Invoice, Payment, StripeEvent
from licensing.models import Licence, RepublicationRequest, StatusChange
from portal.models import DocumentSequence
from tests.factories import approved_request, make_request
from tests.stripe_stub import WEBHOOK_SECRET, completed_session, event_payload, sign

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL; SQLite serialises writes",
    ),
    pytest.mark.django_db(transaction=True),
]


def all_at_once(count: int, act: Callable[[int], Any]) -> list[Any]:
    """Run act(0) .. act(count - 1) in threads released together; their responses in order."""
    barrier = threading.Barrier(count)
    responses: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=60)
            responses[n] = act(n)
        except BaseException as error:  # collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert errors == []
    assert all(response is not None for response in responses)
    return [response for response in responses if response is not None]


def test_twenty_approvals_at_once_number_invoices_without_gaps(article, reviewer) -> None:
    count = 20
    requests = [make_request(article, email=f"p{n}@outlet.example") for n in range(count)]
    browsers = []
    for _ in range(count):
        # A deadlock or any other error would raise here instead of a page.
        browser = Client(raise_request_exception=True)
        browser.force_login(reviewer)
        browsers.append(browser)

    def approve(n: int) -> Any:
        return browsers[n].post(
            f"/staff/requests/{requests[n].pk}/approve/",
            {"fee": "250.00", "currency": "GBP", "validity_days": "30"},
        )

    responses = all_at_once(count, approve)

    # No 500, no deadlock: every reviewer is sent back to the request page.
    assert [r.status_code for r in responses] == [302] * count
    assert [r["Location"] for r in responses] == [f"/staff/requests/{r.pk}/" for r in requests]
    year = timezone.localdate().year
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, count + 1)]
    assert DocumentSequence.objects.get(prefix="INV", year=year).last_value == count
    rows = RepublicationRequest.objects.values_list("status", "invoice__number")
    assert {status for status, _ in rows} == {"awaiting_payment"}
    assert sorted(number for _, number in rows) == numbers
    assert StatusChange.objects.filter(to_status="awaiting_payment").count() == count


def test_fifty_deliveries_of_one_payment_license_once(article, reviewer, settings) -> None:
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    req = approved_request(article, actor=reviewer, fee_minor=10000)
    invoice = req.invoice
    payload = event_payload(
        "checkout.session.completed",
        completed_session(invoice_number=invoice.number, amount_total=invoice.total_minor),
        event_id="evt_fifty_times",
    )
    signature = sign(payload)  # the same signed delivery, as Stripe retries it
    mail.outbox.clear()

    def deliver(_n: int) -> Any:
        return Client(enforce_csrf_checks=True).post(
            "/billing/stripe/webhook/",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        )

    responses = all_at_once(50, deliver)

    assert [r.status_code for r in responses] == [200] * 50
    bodies = sorted(r.content.decode() for r in responses)
    assert bodies.count("recorded; invoice paid") == 1
    assert bodies.count("duplicate") == 49
    assert StripeEvent.objects.count() == 1
    payment: Any = Payment.objects.get()
    assert (payment.invoice_id, payment.amount_minor) == (invoice.pk, invoice.total_minor)
    licence = Licence.objects.get()
    assert licence.request_id == req.pk
    req.refresh_from_db()
    assert req.status == "licensed"
    assert StatusChange.objects.filter(request=req, to_status="licensed").count() == 1
    licence_emails = [
        m for m in mail.outbox if any(name == f"{licence.number}.pdf" for name, *_ in m.attachments)
    ]
    assert len(licence_emails) == 1
    assert licence_emails[0].to == [req.email]
