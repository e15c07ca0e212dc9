"""POST /staff/invoices/<number>/payments/: finance records a bank transfer."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice, Payment
from licensing.models import RepublicationRequest


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def finance_client(finance: User) -> Client:
    return client_for(finance)


@pytest.fixture
def approved(submitted: RepublicationRequest, reviewer: User) -> RepublicationRequest:
    """The requester's request approved at 100.00 GBP net: invoice of 120.00 GBP (UK VAT)."""
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    submitted.refresh_from_db()
    assert submitted.invoice is not None
    assert submitted.invoice.total_minor == 12000
    return submitted


def transfer(**overrides: str) -> dict[str, str]:
    data = {
        "amount": "120.00",
        "received_on": timezone.localdate().isoformat(),
        "reference": "BACS 88812 DAILY EXAMPLE",
    }
    data.update(overrides)
    return data


def record(client: Client, invoice: Invoice, data: dict, capture) -> Any:
    """POST a transfer; what waits for the commit (invoice_paid) runs as in production."""
    with capture(execute=True):
        return client.post(f"/staff/invoices/{invoice.number}/payments/", data)


def follow_messages(client: Client, invoice: Invoice) -> str:
    return client.get(f"/staff/invoices/{invoice.number}/").content.decode()


def snapshot(invoice: Invoice) -> tuple:
    invoice.refresh_from_db()
    return (invoice.status, invoice.paid_at, Payment.objects.count())


# --- Paying ---------------------------------------------------------------------


def test_part_then_full_payment_licenses_the_request(
    finance_client, finance, approved, requester, django_capture_on_commit_callbacks
) -> None:
    invoice = approved.invoice
    response = record(
        finance_client,
        invoice,
        transfer(amount="50.00", reference="PART 1"),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/invoices/{invoice.number}/"
    html = follow_messages(finance_client, invoice)
    assert (
        f"Recorded a bank transfer of 50.00 GBP for {invoice.number}. Still due: 70.00 GBP." in html
    )
    assert re.search(r'id="amount-due">70.00 GBP<', html)
    invoice.refresh_from_db()
    approved.refresh_from_db()
    assert (invoice.status, approved.status) == ("open", "awaiting_payment")
    # The requester sees what is still due.
    assert "Still due: 70.00 GBP" in requester.get(f"/requests/{approved.uuid}/").content.decode()

    response = record(
        finance_client,
        invoice,
        transfer(amount="70.00", reference="PART 2"),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    html = follow_messages(finance_client, invoice)
    assert "The invoice is now paid." in html
    assert "Paid in full" in html
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert invoice.paid_at is not None
    payments = list(invoice.payments.all())
    assert [(p.method, p.amount_minor, p.currency, p.provider_reference) for p in payments] == [
        ("bank_transfer", 5000, "GBP", "PART 1"),
        ("bank_transfer", 7000, "GBP", "PART 2"),
    ]
    assert all(p.recorded_by == finance and not p.flagged_for_refund for p in payments)
    page = requester.get(f"/requests/{approved.uuid}/").content.decode()
    assert re.search(r'id="request-status">Licensed<', page)
    approved.refresh_from_db()
    assert approved.status == "licensed"


def test_one_full_payment_with_the_date_it_arrived(
    finance_client, approved, django_capture_on_commit_callbacks
) -> None:
    received = timezone.localdate() - timedelta(days=3)
    record(
        finance_client,
        approved.invoice,
        transfer(received_on=received.isoformat()),
        django_capture_on_commit_callbacks,
    )
    payment = Payment.objects.get()
    assert payment.received_on == received
    approved.refresh_from_db()
    assert approved.status == "licensed"


def test_payment_for_a_void_invoice_is_recorded_and_flagged(
    finance_client, approved, django_capture_on_commit_callbacks
) -> None:
    approved.withdraw()
    invoice = approved.invoice
    invoice.refresh_from_db()
    assert invoice.status == "void"
    response = record(finance_client, invoice, transfer(), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.flagged_for_refund
    assert payment.amount_minor == 12000
    invoice.refresh_from_db()
    approved.refresh_from_db()
    assert (invoice.status, approved.status) == ("void", "withdrawn")
    html = follow_messages(finance_client, invoice)
    assert "The invoice is void: flagged for refund." in html
    assert "Flagged for refund</span>" in html.split('id="payments"', 1)[1]


def test_money_for_a_paid_invoice_is_recorded_and_flagged(
    finance_client, approved, django_capture_on_commit_callbacks
) -> None:
    record(finance_client, approved.invoice, transfer(), django_capture_on_commit_callbacks)
    invoice = approved.invoice
    invoice.refresh_from_db()
    paid_at = invoice.paid_at
    response = record(
        finance_client,
        invoice,
        transfer(reference="PAID TWICE"),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    twice = Payment.objects.get(provider_reference="PAID TWICE")
    assert twice.flagged_for_refund
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at) == ("paid", paid_at)
    html = follow_messages(finance_client, invoice)
    assert "The invoice is paid: flagged for refund." in html
    assert 'id="amount-overpaid">120.00 GBP<' in html


# --- Bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("amount", "-5.00", "Enter an amount greater than zero."),
        ("amount", "0", "Enter an amount greater than zero."),
        ("amount", "0.00", "Enter an amount greater than zero."),
        ("amount", "10.005", "Ensure that there are no more than 2 decimal places."),
        ("amount", "ten pounds", "Enter a number."),
        ("amount", "", "This field is required."),
        ("amount", "1200.01", "more than ten times the invoice total (1,200.00 GBP)"),
        ("amount", "99999999999", "more than ten times the invoice total"),
        ("amount", "1e999999", "more than ten times the invoice total"),
        ("amount", "NaN", "Enter a number."),
        ("received_on", "tomorrow", "Enter a valid date."),
        ("received_on", "FUTURE", "The date cannot be in the future."),
        ("reference", "", "This field is required."),
        ("reference", "   ", "This field is required."),
        ("reference", "R" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(
    finance_client, approved, field, value, error, django_capture_on_commit_callbacks
) -> None:
    if value == "FUTURE":
        value = (timezone.localdate() + timedelta(days=1)).isoformat()
    before = snapshot(approved.invoice)
    response = record(
        finance_client,
        approved.invoice,
        transfer(**{field: value}),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 400
    html = response.content.decode()
    field_html = re.search(rf'<input [^>]*name="{field}"[^>]*>', html)
    assert field_html, field
    assert "is-invalid" in field_html.group(0)
    assert error in html.split(f'id="id_{field}"', 1)[1][:1500]
    # What was typed is kept so it can be corrected.
    if value.strip() and len(value) < 50:
        assert f'value="{value}"' in field_html.group(0)
    assert snapshot(approved.invoice) == before
    approved.refresh_from_db()
    assert approved.status == "awaiting_payment"


def test_the_limit_is_ten_times_the_total(
    finance_client, approved, django_capture_on_commit_callbacks
) -> None:
    response = record(
        finance_client,
        approved.invoice,
        transfer(amount="1200.00"),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert Payment.objects.get().amount_minor == 120000


# --- Access -----------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, approved, django_capture_on_commit_callbacks) -> None:
    before = snapshot(approved.invoice)
    response = record(client, approved.invoice, transfer(), django_capture_on_commit_callbacks)
    assert response.status_code == 302
    url = f"/staff/invoices/{approved.invoice.number}/payments/"
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert snapshot(approved.invoice) == before


def test_requester_and_reviewer_get_404(
    requester, reviewer_client, approved, django_capture_on_commit_callbacks
) -> None:
    before = snapshot(approved.invoice)
    for client in (requester, reviewer_client):
        response = record(client, approved.invoice, transfer(), django_capture_on_commit_callbacks)
        assert response.status_code == 404
        assert approved.invoice.number not in response.content.decode()
    assert snapshot(approved.invoice) == before


def test_superuser_may_record(superuser, approved, django_capture_on_commit_callbacks) -> None:
    response = record(
        client_for(superuser), approved.invoice, transfer(), django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    assert Payment.objects.get().recorded_by == superuser


def test_unknown_invoice_is_404(
    finance_client, approved, django_capture_on_commit_callbacks
) -> None:
    response = finance_client.post("/staff/invoices/INV-1999-000001/payments/", transfer())
    assert response.status_code == 404
    assert Payment.objects.count() == 0


def test_get_shows_the_invoice(finance_client, approved) -> None:
    response = finance_client.get(f"/staff/invoices/{approved.invoice.number}/payments/")
    assert response.status_code == 302
    assert response["Location"] == f"/staff/invoices/{approved.invoice.number}/"


def test_csrf_token_is_required(finance, approved, django_capture_on_commit_callbacks) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(finance)
    invoice = approved.invoice
    assert (
        record(client, invoice, transfer(), django_capture_on_commit_callbacks).status_code == 403
    )
    assert Payment.objects.count() == 0
    html = client.get(f"/staff/invoices/{invoice.number}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    data = {**transfer(), "csrfmiddlewaretoken": token[1]}
    assert record(client, invoice, data, django_capture_on_commit_callbacks).status_code == 302
    assert Payment.objects.count() == 1


# --- The reviewers' request page ----------------------------------------------------


def card(html: str) -> str:
    return html.split('id="invoice-card"', 1)[1].split("</section>", 1)[0]


def test_request_page_shows_the_invoice_and_its_payments(
    reviewer_client, finance_client, approved, django_capture_on_commit_callbacks
) -> None:
    invoice = approved.invoice
    record(
        finance_client,
        invoice,
        transfer(amount="50.00", reference="PART 1"),
        django_capture_on_commit_callbacks,
    )
    html = card(reviewer_client.get(f"/staff/requests/{approved.pk}/").content.decode())
    for shown in [
        "Invoice and payments",
        invoice.number,
        "Open",
        "120.00 GBP",
        invoice.due_on.strftime("%-d %b %Y"),
        "Bank transfer",
        "50.00 GBP",
        "PART 1",
        timezone.localdate().strftime("%-d %b %Y"),
    ]:
        assert shown in html, shown
    assert re.search(r'id="invoice-due">70.00 GBP<', html)
    # A reviewer cannot open the finance page, so the number is not a link for them.
    assert f"/staff/invoices/{invoice.number}/" not in html


def test_request_page_links_the_invoice_for_finance_minded_reviewers(superuser, approved) -> None:
    html = card(client_for(superuser).get(f"/staff/requests/{approved.pk}/").content.decode())
    assert f'href="/staff/invoices/{approved.invoice.number}/"' in html


def test_request_page_shows_credit_notes_and_flagged_money(
    reviewer_client, finance_client, approved, django_capture_on_commit_callbacks
) -> None:
    approved.withdraw()
    record(finance_client, approved.invoice, transfer(), django_capture_on_commit_callbacks)
    html = card(reviewer_client.get(f"/staff/requests/{approved.pk}/").content.decode())
    note = approved.invoice.credit_notes.get()
    assert "Void" in html
    assert f"{note.number}: Cancellation, 120.00 GBP" in html
    assert "Flagged for refund" in html
    assert 'id="invoice-due"' not in html


def test_request_page_queries_do_not_grow_with_payments(
    reviewer_client, approved, django_capture_on_commit_callbacks
) -> None:
    url = f"/staff/requests/{approved.pk}/"

    def add_payments(n: int) -> None:
        for i in range(n):
            approved.invoice.record_payment(
                method="bank_transfer",
                amount_minor=100,
                currency="GBP",
                received_on=timezone.localdate(),
                provider_reference=f"P{i}",
            )

    add_payments(1)
    reviewer_client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as one:
        assert reviewer_client.get(url).status_code == 200
    add_payments(5)
    with CaptureQueriesContext(connection) as six:
        html = reviewer_client.get(url).content.decode()
    assert len(six) == len(one)
    assert html.count("Bank transfer") == 6
