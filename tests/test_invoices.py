"""billing.models.Invoice: issue, payments, paid once, void and refund by credit note, expiry."""

from datetime import datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from billing.models import CreditNote, Invoice, InvoiceStateError, Payment
from billing.signals import invoice_paid
from licensing.models import Outlet, RequestStatus, StatusChange, TransitionNotAllowed
from tests.factories import approved_request, make_invoice


@pytest.fixture
def invoiced(article, reviewer):
    """An approved request (250.00 GBP net, UK buyer) and its open invoice of 300.00 GBP."""
    return approved_request(article, actor=reviewer)


@pytest.fixture
def paid_signals():
    received: list[str] = []

    def listener(sender, invoice, **kwargs) -> None:
        received.append(invoice.number)

    invoice_paid.connect(listener, dispatch_uid="test_invoices.listener")
    yield received
    invoice_paid.disconnect(dispatch_uid="test_invoices.listener")


def pay(invoice: Invoice, amount_minor: int, **extra) -> Payment:
    return invoice.record_payment(
        method=extra.pop("method", "bank_transfer"),
        amount_minor=amount_minor,
        currency=extra.pop("currency", invoice.currency),
        received_on=timezone.localdate(),
        **extra,
    )


def licensed_changes(req) -> int:
    return StatusChange.objects.filter(request=req, to_status=RequestStatus.LICENSED).count()


# --- Issue ------------------------------------------------------------------


def test_approval_issues_an_invoice_naming_the_request(invoiced, settings) -> None:
    invoice = invoiced.invoice
    assert invoice.status == "open"
    assert invoice.reference == invoiced.reference
    assert "Central Asian fighters in Syria join al-Nusra Front" in invoice.description
    assert invoice.due_on == invoiced.quote_valid_until
    assert invoice.issued_on == timezone.localdate()
    assert (invoice.net_minor, invoice.vat_minor, invoice.total_minor) == (25000, 5000, 30000)
    assert invoice.seller == settings.SELLER
    assert invoice.bank_details == settings.BANK_DETAILS
    assert (invoice.buyer_name, invoice.buyer_contact, invoice.buyer_email) == (
        "The Daily Example",
        "Amira Haddad",
        "amira@outlet.example",
    )
    assert invoice.buyer_country == "GB"


def test_issue_freezes_seller_and_buyer(invoiced, settings) -> None:
    seller_at_issue = dict(settings.SELLER)
    settings.SELLER = {**settings.SELLER, "name": "Renamed Ltd", "address": "Elsewhere"}
    settings.BANK_DETAILS = {**settings.BANK_DETAILS, "iban": "GB99CHANGED"}
    Outlet.objects.filter(pk=invoiced.outlet_id).update(name="Renamed Outlet", country="FR")
    invoiced.outlet.refresh_from_db()
    invoice = Invoice.objects.get(pk=invoiced.invoice_id)
    assert invoice.seller == seller_at_issue
    assert invoice.bank_details["iban"] != "GB99CHANGED"
    assert (invoice.buyer_name, invoice.buyer_country) == ("The Daily Example", "GB")


def test_zero_fee_issues_no_invoice(submitted, reviewer) -> None:
    submitted.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    submitted.refresh_from_db()
    assert submitted.invoice is None
    assert not Invoice.objects.exists()


# --- Payments ---------------------------------------------------------------


def test_partial_payment_keeps_the_invoice_open(
    invoiced, paid_signals, django_capture_on_commit_callbacks
) -> None:
    invoice = invoiced.invoice
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(invoice, 10000, provider_reference="BACS 123")
    assert not payment.flagged_for_refund
    assert invoice.status == "open"
    assert (invoice.paid_minor, invoice.due_minor, invoice.due_display) == (
        10000,
        20000,
        "200.00 GBP",
    )
    assert paid_signals == []
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.AWAITING_PAYMENT


def test_full_payment_marks_paid_and_licenses_once(
    invoiced, paid_signals, django_capture_on_commit_callbacks
) -> None:
    invoice = invoiced.invoice
    with django_capture_on_commit_callbacks(execute=True):
        pay(invoice, 10000)
        pay(invoice, 20000)
    assert invoice.status == "paid"
    assert invoice.paid_at is not None
    assert invoice.due_minor == 0
    assert paid_signals == [invoice.number]
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.LICENSED
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice.mark_paid()
        invoice.mark_paid()
    assert callbacks == []
    assert paid_signals == [invoice.number]
    assert licensed_changes(invoiced) == 1


def test_paid_signal_is_sent_inside_the_payment_transaction(invoiced, paid_signals) -> None:
    # Nothing commits inside the test's transaction: the licence is written with the payment.
    pay(invoiced.invoice, 30000)
    assert invoiced.invoice.status == "paid"
    assert paid_signals == [invoiced.invoice.number]
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.LICENSED


def test_a_failing_hand_off_keeps_the_payment(invoiced, licence_numbering_fails_once) -> None:
    payment = pay(invoiced.invoice, 30000)
    assert licence_numbering_fails_once  # the hand-off did fail
    invoiced.refresh_from_db()
    assert invoiced.invoice.status == "paid"
    assert Payment.objects.get() == payment
    # The licensing half rolled back whole: no licence, no history row, no number used.
    assert invoiced.status == RequestStatus.AWAITING_PAYMENT
    assert licensed_changes(invoiced) == 0


def test_the_same_paid_signal_twice_licenses_once(
    invoiced, django_capture_on_commit_callbacks
) -> None:
    invoice = invoiced.invoice
    with django_capture_on_commit_callbacks(execute=True):
        invoice.mark_paid()
    invoice_paid.send(sender=Invoice, invoice=invoice)
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.LICENSED
    assert licensed_changes(invoiced) == 1


def test_payment_on_a_void_invoice_is_recorded_and_flagged(
    invoiced, paid_signals, django_capture_on_commit_callbacks
) -> None:
    invoice = invoiced.invoice
    invoice.void(reason="Cancelled by staff.")
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(invoice, 30000, method="stripe", provider_reference="cs_test_1")
    assert payment.flagged_for_refund
    assert Payment.objects.filter(invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert invoice.status == "void"
    assert paid_signals == []
    with pytest.raises(InvoiceStateError):
        invoice.mark_paid()
    assert Invoice.objects.get(pk=invoice.pk).status == "void"


# --- Void and refund ----------------------------------------------------------


def test_void_issues_a_full_credit_note(invoiced) -> None:
    invoice = invoiced.invoice
    year = timezone.localdate().year
    note = invoice.void(reason="Cancelled by staff.")
    assert note.number == f"CN-{year}-000001"
    assert (note.kind, note.reason, note.issued_on) == (
        "void",
        "Cancelled by staff.",
        timezone.localdate(),
    )
    assert (note.net_minor, note.vat_minor, note.total_minor) == (25000, 5000, 30000)
    assert note.total_display == "300.00 GBP"
    assert (invoice.status, invoice.voided_at is not None) == ("void", True)


def test_only_open_invoices_can_be_voided(invoiced, article, reviewer) -> None:
    invoice = invoiced.invoice
    invoice.void(reason="Once.")
    with pytest.raises(InvoiceStateError):
        invoice.void(reason="Twice.")
    paid = approved_request(article, actor=reviewer, email="paid@outlet.example").invoice
    paid.mark_paid()
    with pytest.raises(InvoiceStateError):
        paid.void(reason="Too late.")
    assert CreditNote.objects.count() == 1
    assert Invoice.objects.get(pk=paid.pk).status == "paid"


def test_voiding_flags_a_part_payment_for_refund(invoiced) -> None:
    invoice = invoiced.invoice
    payment = pay(invoice, 5000)
    assert not payment.flagged_for_refund
    invoice.void(reason="Cancelled.")
    payment.refresh_from_db()
    assert payment.flagged_for_refund


def test_partial_refund_splits_net_and_vat(invoiced) -> None:
    invoice = invoiced.invoice
    invoice.mark_paid()
    year = timezone.localdate().year
    note = invoice.refund(amount_minor=10000, reason="Partial refund.", provider_reference="re_1")
    # 10000 x 5000 / 30000 = 1666.67: half-up to 1667.
    assert (note.kind, note.number) == ("refund", f"CN-{year}-000001")
    assert (note.net_minor, note.vat_minor, note.total_minor) == (8333, 1667, 10000)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_credit_note_vat_rounds_half_up_not_to_even(invoiced) -> None:
    invoice = invoiced.invoice
    invoice.mark_paid()
    # 3 x 5000 / 30000 = 0.5 exactly: half-up gives 1 (banker's rounding would give 0).
    note = invoice.refund(amount_minor=3, reason="Rounding.")
    assert (note.net_minor, note.vat_minor) == (2, 1)


def test_refunds_never_exceed_the_invoice(invoiced) -> None:
    invoice = invoiced.invoice
    invoice.mark_paid()
    invoice.refund(amount_minor=20000, reason="First.")
    with pytest.raises(InvoiceStateError):
        invoice.refund(amount_minor=10001, reason="Too much.")
    invoice.refund(amount_minor=10000, reason="The rest.")
    with pytest.raises(InvoiceStateError):
        invoice.refund(amount_minor=1, reason="Nothing left.")
    assert sum(n.total_minor for n in invoice.credit_notes.all()) == 30000


def test_a_void_invoice_is_not_refunded_again(invoiced) -> None:
    invoice = invoiced.invoice
    invoice.void(reason="Cancelled.")
    with pytest.raises(InvoiceStateError):
        invoice.refund(amount_minor=100, reason="Again?")
    assert invoice.credit_notes.count() == 1


def test_credit_note_numbers_are_their_own_sequence(article, reviewer) -> None:
    year = timezone.localdate().year
    notes = [
        approved_request(article, actor=reviewer, email=f"cn{n}@outlet.example").invoice.void(
            reason="Cancelled."
        )
        for n in range(2)
    ]
    assert [n.number for n in notes] == [f"CN-{year}-000001", f"CN-{year}-000002"]


def test_invoice_issued_by_billing_alone(db) -> None:
    invoice = make_invoice(amount_minor=999, country="GB")
    assert (invoice.vat_minor, invoice.total_minor) == (200, 1199)


# --- Withdrawal -------------------------------------------------------------------


def test_withdrawing_an_awaiting_payment_request_voids_its_invoice(
    invoiced, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invoiced.withdraw()
    invoiced.refresh_from_db()
    invoice = invoiced.invoice
    assert invoiced.status == RequestStatus.WITHDRAWN
    assert invoice.status == "void"
    note = invoice.credit_notes.get()
    assert (note.kind, note.total_minor) == ("void", 30000)
    assert invoiced.reference in note.reason


def test_a_paid_request_cannot_be_withdrawn_before_its_licence(
    invoiced, licence_numbering_fails_once
) -> None:
    # Paid, but the hand-off to licensing failed: the licence waits for `manage.py daily`.
    invoiced.invoice.mark_paid()
    with pytest.raises(TransitionNotAllowed, match="just been paid"):
        invoiced.withdraw()
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.AWAITING_PAYMENT
    assert invoiced.invoice.status == "paid"
    assert not CreditNote.objects.exists()


# --- manage.py expire_quotes ---------------------------------------------------------


def run_expire_quotes(on: datetime, capture) -> str:
    out = StringIO()
    with time_machine.travel(on, tick=False), capture(execute=True):
        call_command("expire_quotes", stdout=out)
    return out.getvalue()


def at_noon(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def test_quote_past_validity_expires_with_a_credit_note(
    invoiced, django_capture_on_commit_callbacks
) -> None:
    valid_until = invoiced.quote_valid_until
    mail.outbox.clear()
    out = run_expire_quotes(at_noon(valid_until), django_capture_on_commit_callbacks)
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.AWAITING_PAYMENT, "still valid on its last day"
    assert "0 quotes expired" in out

    mail.outbox.clear()
    out = run_expire_quotes(
        at_noon(valid_until + timedelta(days=1)), django_capture_on_commit_callbacks
    )
    assert "1 quotes expired" in out
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.QUOTE_EXPIRED
    invoice = invoiced.invoice
    assert invoice.status == "void"
    note = invoice.credit_notes.get()
    assert (note.kind, note.total_minor) == ("void", 30000)
    assert f"Your quote for {invoiced.reference} has expired" in subjects()
    assert mail.outbox[-1].to == ["amira@outlet.example"]

    mail.outbox.clear()
    out = run_expire_quotes(
        at_noon(valid_until + timedelta(days=2)), django_capture_on_commit_callbacks
    )
    assert "0 quotes expired" in out
    assert mail.outbox == []
    assert CreditNote.objects.count() == 1


def test_an_expired_quote_part_paid_tells_the_requester_of_the_refund(
    invoiced, django_capture_on_commit_callbacks
) -> None:
    pay(invoiced.invoice, 5000)
    mail.outbox.clear()
    run_expire_quotes(
        at_noon(invoiced.quote_valid_until + timedelta(days=1)), django_capture_on_commit_callbacks
    )
    (expired,) = mail.outbox
    assert "We received 50.00 GBP towards it: we will refund it to you." in expired.body
    assert "We received 50.00 GBP towards it" in expired.alternatives[0][0]


def test_a_cancelled_request_part_paid_tells_the_requester_of_the_refund(
    invoiced, reviewer, django_capture_on_commit_callbacks
) -> None:
    pay(invoiced.invoice, 5000)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoiced.withdraw(actor=reviewer, note="The outlet asked us to stop.")
    (cancelled,) = mail.outbox
    assert "We received 50.00 GBP towards it: we will refund it to you." in cancelled.body


def test_paid_quotes_never_expire(invoiced, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        pay(invoiced.invoice, 30000)
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.LICENSED
    run_expire_quotes(
        at_noon(invoiced.quote_valid_until + timedelta(days=1)),
        django_capture_on_commit_callbacks,
    )
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.LICENSED
    assert not CreditNote.objects.exists()


def test_paid_invoice_awaiting_its_licence_does_not_expire(
    invoiced, licence_numbering_fails_once, django_capture_on_commit_callbacks
) -> None:
    invoiced.invoice.mark_paid()  # the hand-off to licensing failed
    run_expire_quotes(
        at_noon(invoiced.quote_valid_until + timedelta(days=1)),
        django_capture_on_commit_callbacks,
    )
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.AWAITING_PAYMENT
    assert invoiced.invoice.status == "paid"
    assert not CreditNote.objects.exists()


def test_a_paid_quote_is_neither_reminded_nor_expired(
    invoiced, licence_numbering_fails_once, django_capture_on_commit_callbacks
) -> None:
    # Paid, and the hand-off to licensing failed: the request still awaits payment.
    with django_capture_on_commit_callbacks(execute=True):
        pay(invoiced.invoice, 30000)
    invoiced.refresh_from_db()
    assert (invoiced.status, invoiced.invoice.status) == (RequestStatus.AWAITING_PAYMENT, "paid")
    valid_until = invoiced.quote_valid_until
    mail.outbox.clear()

    out = run_expire_quotes(
        at_noon(valid_until - timedelta(days=3)), django_capture_on_commit_callbacks
    )
    assert "0 reminders sent" in out
    assert [s for s in subjects() if "expires on" in s] == []
    out = run_expire_quotes(
        at_noon(valid_until + timedelta(days=1)), django_capture_on_commit_callbacks
    )
    assert "0 quotes expired" in out
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.AWAITING_PAYMENT
    assert invoiced.quote_reminder_sent_at is None
    assert not CreditNote.objects.exists()
    assert mail.outbox == []


def test_one_reminder_three_days_before(invoiced, django_capture_on_commit_callbacks) -> None:
    valid_until = invoiced.quote_valid_until
    reminder = f"Your quote for {invoiced.reference} expires on"

    mail.outbox.clear()
    out = run_expire_quotes(
        at_noon(valid_until - timedelta(days=4)), django_capture_on_commit_callbacks
    )
    assert "0 reminders sent" in out
    assert mail.outbox == []

    for _ in range(2):
        run_expire_quotes(
            at_noon(valid_until - timedelta(days=3)), django_capture_on_commit_callbacks
        )
    assert [s for s in subjects() if s.startswith(reminder)] == [
        f"{reminder} {valid_until.day} {valid_until:%B %Y}"
    ]
    body = mail.outbox[0].body
    assert invoiced.invoice.number in body
    assert f"/requests/{invoiced.uuid}/" in body

    mail.outbox.clear()
    run_expire_quotes(at_noon(valid_until - timedelta(days=1)), django_capture_on_commit_callbacks)
    assert mail.outbox == []
    invoiced.refresh_from_db()
    assert invoiced.status == RequestStatus.AWAITING_PAYMENT
