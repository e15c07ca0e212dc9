"""POST /billing/stripe/webhook/: signed events, stored once, each handled by its type."""

import json
import threading
import time

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import (
    CheckoutSession,
    CheckoutStatus,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentProblem,
    StripeEvent,
)
from licensing.models import Licence, RepublicationRequest, StatusChange, TransitionNotAllowed
from portal.models import DocumentSequence
from tests.factories import approved_request
from tests.stripe_stub import (
    WEBHOOK_SECRET,
    completed_session,
    event_payload,
    refunded_charge,
    sign,
)

WEBHOOK = "/billing/stripe/webhook/"
TOTAL = 12000  # 100.00 GBP net + 20% UK VAT


@pytest.fixture(autouse=True)
def webhook_secret(settings) -> None:
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def stripe_client() -> Client:
    """Stripe's side: no session, and CSRF checks on, as for any outside POST."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def invoiced(article, reviewer) -> RepublicationRequest:
    return approved_request(article, actor=reviewer, fee_minor=10000, currency="GBP")


def post(client: Client, payload: str, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["Stripe-Signature"] = sign(payload)
    elif signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post(WEBHOOK, data=payload, content_type="application/json", headers=headers)


def paid_event(
    invoice: Invoice,
    event_type: str = "checkout.session.completed",
    event_id: str | None = None,
    **session,
) -> str:
    session.setdefault("amount_total", invoice.total_minor)
    return event_payload(
        event_type, completed_session(invoice_number=invoice.number, **session), event_id=event_id
    )


def licensed_changes(req: RepublicationRequest) -> int:
    return StatusChange.objects.filter(request=req, to_status="licensed").count()


# --- Paying --------------------------------------------------------------------


def test_checkout_from_the_button_to_paid_and_licensed(
    requester: Client,
    submitted,
    reviewer,
    stripe_stub,
    stripe_client,
    django_capture_on_commit_callbacks,
) -> None:
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    requester.post(f"/requests/{submitted.uuid}/pay/")
    row = CheckoutSession.objects.get()
    payload = event_payload(
        "checkout.session.completed",
        completed_session(
            invoice_number=row.invoice.number,
            amount_total=TOTAL,
            session_id=row.session_id,
            payment_intent="pi_test_1",
        ),
        event_id="evt_paid_1",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = post(stripe_client, payload)

    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.PAID
    [payment] = Payment.objects.all()
    assert (payment.method, payment.amount_minor, payment.currency) == ("stripe", TOTAL, "GBP")
    assert payment.provider_reference == row.session_id
    assert not payment.flagged_for_refund
    row.refresh_from_db()
    assert (row.status, row.payment_intent) == (CheckoutStatus.PAID, "pi_test_1")
    assert StripeEvent.objects.get().event_id == "evt_paid_1"
    submitted.refresh_from_db()
    assert submitted.status == "licensed"
    assert licensed_changes(submitted) == 1
    html = requester.get(f"/requests/{submitted.uuid}/?checkout=success").content.decode()
    assert ">Licensed<" in html
    assert "Pay by card" not in html
    assert "Payment processing" not in html


def test_async_payment_succeeded_pays_too(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    payload = paid_event(invoiced.invoice, "checkout.session.async_payment_succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(stripe_client, payload).status_code == 200
    invoiced.refresh_from_db()
    assert invoiced.invoice.status == InvoiceStatus.PAID
    assert invoiced.status == "licensed"


def test_client_reference_id_is_enough_without_metadata(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    payload = paid_event(invoiced.invoice, metadata={})
    with django_capture_on_commit_callbacks(execute=True):
        post(stripe_client, payload)
    assert Invoice.objects.get().status == InvoiceStatus.PAID


def test_the_same_event_five_times_pays_once(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    payload = paid_event(invoiced.invoice, event_id="evt_again")
    bodies = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            response = post(stripe_client, payload)
            assert response.status_code == 200
            bodies.append(response.content.decode())

    assert bodies[1:] == ["duplicate"] * 4
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.count() == 1
    assert licensed_changes(invoiced) == 1


def test_completed_then_async_succeeded_for_one_session_pays_once(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    session = completed_session(invoice_number=invoiced.invoice.number, amount_total=TOTAL)
    with django_capture_on_commit_callbacks(execute=True):
        post(stripe_client, event_payload("checkout.session.completed", session))
        second = post(
            stripe_client, event_payload("checkout.session.async_payment_succeeded", session)
        )

    assert second.content == b"already recorded"
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.count() == 2
    assert licensed_changes(invoiced) == 1


# What one paid event costs the database, the licence issued in the same
# transaction included (the queued tasks' own work is theirs; here a savepoint
# pair stands for the transaction's BEGIN and COMMIT). A bound, so that a change
# that makes the queries grow (one per payment, per line) is seen.
PAID_EVENT_QUERIES = 30


def test_one_paid_event_takes_a_fixed_number_of_queries(
    invoiced, stripe_client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    # Not the year's first licence: its counter row exists, as it nearly always does.
    DocumentSequence.objects.get_or_create(prefix="LIC", year=timezone.localdate().year)
    payload = paid_event(invoiced.invoice)
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert post(stripe_client, payload).content == b"recorded; invoice paid"
    invoiced.refresh_from_db()
    assert invoiced.status == "licensed"
    assert invoiced.licence.invoice_number == invoiced.invoice.number
    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    assert len(queries.captured_queries) <= PAID_EVENT_QUERIES, sql


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL; SQLite serialises writes"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_event", [True, False], ids=["same-event", "same-session"])
def test_concurrent_deliveries_pay_once(article, reviewer, same_event) -> None:
    req = approved_request(article, actor=reviewer, fee_minor=10000)
    session = completed_session(invoice_number=req.invoice.number, amount_total=TOTAL)
    kinds = ["checkout.session.completed", "checkout.session.async_payment_succeeded"]
    payloads = [
        event_payload(kinds[0], session, event_id="evt_concurrent")
        if same_event
        else event_payload(kinds[n % 2], session, event_id=f"evt_concurrent_{n}")
        for n in range(5)
    ]
    barrier = threading.Barrier(5)
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def deliver(payload: str) -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            response = post(client, payload)
            answers.append((response.status_code, response.content.decode()))
        except BaseException as error:  # collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert [status for status, _ in answers] == [200] * 5
    bodies = sorted(body for _, body in answers)
    assert bodies.count("recorded; invoice paid") == 1
    expected_others = "duplicate" if same_event else "already recorded"
    assert bodies.count(expected_others) == 4, bodies
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.count() == (1 if same_event else 5)
    req.refresh_from_db()
    assert req.status == "licensed"
    assert licensed_changes(req) == 1


def race_payment_and_withdrawal(req: RepublicationRequest) -> list[BaseException]:
    """Deliver the paid event and withdraw the request at the same moment; the errors."""
    payload = event_payload(
        "checkout.session.completed",
        completed_session(invoice_number=req.invoice.number, amount_total=TOTAL),
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def pay() -> None:
        try:
            barrier.wait(timeout=10)
            assert post(Client(), payload).status_code == 200
        except BaseException as error:  # collected and asserted by the caller
            errors.append(error)
        finally:
            connections.close_all()

    def withdraw() -> None:
        try:
            barrier.wait(timeout=10)
            RepublicationRequest.objects.get(pk=req.pk).withdraw()
        except TransitionNotAllowed:
            pass  # the payment won
        except BaseException as error:  # collected and asserted by the caller
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay), threading.Thread(target=withdraw)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL; SQLite serialises writes"
)
@pytest.mark.django_db(transaction=True)
def test_a_payment_and_a_withdrawal_at_once_end_one_way(article, reviewer) -> None:
    # Both take the invoice's lock before the request's: one waits, neither deadlocks.
    for n in range(4):
        req = approved_request(
            article, actor=reviewer, fee_minor=10000, email=f"race{n}@outlet.example"
        )
        assert race_payment_and_withdrawal(req) == []
        req.refresh_from_db()
        req.invoice.refresh_from_db()
        payment = Payment.objects.get(invoice=req.invoice)
        if req.status == "licensed":
            assert (req.invoice.status, payment.flagged_for_refund) == ("paid", False)
            assert req.licence.invoice_number == req.invoice.number
        else:
            assert req.status == "withdrawn"
            assert (req.invoice.status, payment.flagged_for_refund) == ("void", True)
            assert not Licence.objects.filter(request=req).exists()


# --- Signatures and payloads ----------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "garbage",
        "t=12345",
        "v1=abc",
    ],
    ids=["missing", "empty", "garbage", "no-signature", "no-timestamp"],
)
def test_missing_or_malformed_signature_is_400(invoiced, stripe_client, signature) -> None:
    response = post(stripe_client, paid_event(invoiced.invoice), signature=signature)
    assert response.status_code == 400
    assert StripeEvent.objects.count() == Payment.objects.count() == 0


def test_signature_with_another_secret_is_400(invoiced, stripe_client) -> None:
    payload = paid_event(invoiced.invoice)
    response = post(stripe_client, payload, signature=sign(payload, secret="whsec_other"))
    assert response.status_code == 400
    assert Invoice.objects.get().status == InvoiceStatus.OPEN
    assert StripeEvent.objects.count() == 0


def test_signature_of_another_payload_is_400(invoiced, stripe_client) -> None:
    payload = paid_event(invoiced.invoice)
    tampered = payload.replace(str(TOTAL), "1")
    assert post(stripe_client, tampered, signature=sign(payload)).status_code == 400
    assert Payment.objects.count() == 0


def test_stale_signature_is_400(invoiced, stripe_client) -> None:
    payload = paid_event(invoiced.invoice)
    signed_at = time.time()
    header = sign(payload, timestamp=int(signed_at))

    with time_machine.travel(signed_at + 301, tick=False):
        assert post(stripe_client, payload, signature=header).status_code == 400
    assert StripeEvent.objects.count() == Payment.objects.count() == 0

    with time_machine.travel(signed_at + 290, tick=False):
        assert post(stripe_client, payload, signature=header).status_code == 200
    assert Payment.objects.count() == 1


def test_no_webhook_secret_configured_is_400(invoiced, stripe_client, settings) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert post(stripe_client, paid_event(invoiced.invoice)).status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        "{not json",
        "[]",
        '"just a string"',
        json.dumps({"id": "evt_1", "object": "event", "type": "checkout.session.completed"}),
        json.dumps({"object": "event", "type": "x", "data": {"object": {}}}),
    ],
    ids=["broken", "array", "string", "no-data", "no-id"],
)
def test_signed_but_malformed_payload_is_400(db, stripe_client, payload) -> None:
    assert post(stripe_client, payload).status_code == 400
    assert StripeEvent.objects.count() == 0


def test_get_is_not_allowed(db, stripe_client) -> None:
    assert stripe_client.get(WEBHOOK).status_code == 405


# --- What does not fit ----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(TOTAL - 1, "gbp"), (10000, "gbp"), (TOTAL, "eur")],
    ids=["one-penny-short", "net-not-gross", "other-currency"],
)
def test_mismatch_is_recorded_for_finance_and_never_pays(
    invoiced,
    finance,
    stripe_client,
    django_capture_on_commit_callbacks,
    caplog,
    amount,
    currency,
) -> None:
    payload = paid_event(
        invoiced.invoice, amount_total=amount, currency=currency, event_id="evt_mismatch"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(stripe_client, payload)

    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.OPEN
    assert Payment.objects.count() == 0
    [problem] = PaymentProblem.objects.all()
    assert problem.invoice == invoice
    assert problem.kind == "amount_mismatch"
    assert "evt_mismatch" in problem.detail
    invoiced.refresh_from_db()
    assert invoiced.status == "awaiting_payment"
    [alert] = mail.outbox
    assert invoice.number in alert.subject
    assert set(alert.to) == {"republishing@example.com", "finance@publisher.example"}
    assert str(amount) in alert.body
    assert any(
        invoice.number in record.getMessage() and "evt_mismatch" in record.getMessage()
        for record in caplog.records
    )


def test_currency_case_does_not_matter(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post(stripe_client, paid_event(invoiced.invoice, currency="GBP"))
    assert Invoice.objects.get().status == InvoiceStatus.PAID
    assert PaymentProblem.objects.count() == 0


def test_unknown_invoice_is_200_and_logged(db, stripe_client, caplog) -> None:
    payload = event_payload(
        "checkout.session.completed",
        completed_session(invoice_number="INV-2026-999999", amount_total=TOTAL),
        event_id="evt_stranger",
    )
    response = post(stripe_client, payload)

    assert response.status_code == 200
    assert response.content == b"unknown invoice"
    assert Payment.objects.count() == PaymentProblem.objects.count() == 0
    assert "evt_stranger" in caplog.text and "INV-2026-999999" in caplog.text


def test_unknown_event_type_is_200_and_stored(db, stripe_client, caplog) -> None:
    payload = event_payload("customer.created", {"id": "cus_1"}, event_id="evt_other")
    response = post(stripe_client, payload)
    assert response.status_code == 200
    assert response.content == b"ignored"
    assert StripeEvent.objects.get().type == "customer.created"
    assert "evt_other" in caplog.text


def test_payment_for_a_withdrawn_request_is_recorded_and_flagged(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    invoiced.withdraw()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(stripe_client, paid_event(invoiced.invoice))

    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.VOID
    [payment] = Payment.objects.all()
    assert payment.flagged_for_refund
    assert PaymentProblem.objects.get().kind == "payment_for_closed_invoice"
    invoiced.refresh_from_db()
    assert invoiced.status == "withdrawn"
    assert len(mail.outbox) >= 1


def test_a_second_session_paid_for_a_paid_invoice_is_flagged(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post(stripe_client, paid_event(invoiced.invoice))
        post(stripe_client, paid_event(invoiced.invoice))

    first, second = Payment.objects.order_by("id")
    assert not first.flagged_for_refund
    assert second.flagged_for_refund
    assert PaymentProblem.objects.get().kind == "payment_for_closed_invoice"
    assert licensed_changes(invoiced) == 1


# --- Delayed methods and expiry ---------------------------------------------------


def test_completed_but_unpaid_waits_for_the_async_outcome(
    requester: Client,
    submitted,
    reviewer,
    stripe_stub,
    stripe_client,
    django_capture_on_commit_callbacks,
) -> None:
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    requester.post(f"/requests/{submitted.uuid}/pay/")
    row = CheckoutSession.objects.get()
    session = completed_session(
        invoice_number=row.invoice.number,
        amount_total=TOTAL,
        session_id=row.session_id,
        payment_status="unpaid",
    )

    response = post(stripe_client, event_payload("checkout.session.completed", session))

    assert response.status_code == 200
    assert Invoice.objects.get().status == InvoiceStatus.OPEN
    assert Payment.objects.count() == 0
    row.refresh_from_db()
    assert row.status == CheckoutStatus.PROCESSING
    # Pressing again does not start a second payment.
    again = requester.post(f"/requests/{submitted.uuid}/pay/", follow=True)
    assert "being processed" in again.content.decode()
    assert len(stripe_stub.created) == 1

    session["payment_status"] = "paid"
    with django_capture_on_commit_callbacks(execute=True):
        post(stripe_client, event_payload("checkout.session.async_payment_succeeded", session))
    assert Invoice.objects.get().status == InvoiceStatus.PAID


def test_async_payment_failed_is_recorded_and_card_payment_offered_again(
    requester: Client, submitted, reviewer, stripe_stub, stripe_client, caplog
) -> None:
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    requester.post(f"/requests/{submitted.uuid}/pay/")
    row = CheckoutSession.objects.get()
    session = completed_session(
        invoice_number=row.invoice.number,
        amount_total=TOTAL,
        session_id=row.session_id,
        payment_status="unpaid",
    )
    post(stripe_client, event_payload("checkout.session.completed", session))

    response = post(
        stripe_client,
        event_payload("checkout.session.async_payment_failed", session, event_id="evt_failed"),
    )

    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.OPEN
    assert Payment.objects.count() == 0
    problem = PaymentProblem.objects.get()
    assert (problem.kind, problem.invoice) == ("async_payment_failed", invoice)
    row.refresh_from_db()
    assert row.status == CheckoutStatus.FAILED
    assert "evt_failed" in caplog.text and invoice.number in caplog.text
    assert requester.post(f"/requests/{submitted.uuid}/pay/").status_code == 303
    assert len(stripe_stub.created) == 2


def test_expired_session_is_marked_and_a_new_one_opened_next_time(
    requester: Client, submitted, reviewer, stripe_stub, stripe_client
) -> None:
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    requester.post(f"/requests/{submitted.uuid}/pay/")
    row = CheckoutSession.objects.get()
    expired = {"id": row.session_id, "object": "checkout.session", "status": "expired"}

    response = post(stripe_client, event_payload("checkout.session.expired", expired))

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.status == CheckoutStatus.EXPIRED
    requester.post(f"/requests/{submitted.uuid}/pay/")
    assert [call.idempotency_key[-2:] for call in stripe_stub.created] == ["-1", "-2"]


def test_expired_unknown_session_is_200(db, stripe_client) -> None:
    expired = {"id": "cs_test_nobody", "object": "checkout.session", "status": "expired"}
    response = post(stripe_client, event_payload("checkout.session.expired", expired))
    assert (response.status_code, response.content) == (200, b"unknown session")


# --- Refunds --------------------------------------------------------------------


@pytest.fixture
def paid_by_card(
    requester: Client,
    submitted,
    reviewer,
    stripe_stub,
    stripe_client,
    django_capture_on_commit_callbacks,
) -> Invoice:
    """Paid through a session the portal opened, whose payment intent is pi_test_1."""
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    requester.post(f"/requests/{submitted.uuid}/pay/")
    row = CheckoutSession.objects.get()
    session = completed_session(
        invoice_number=row.invoice.number,
        amount_total=TOTAL,
        session_id=row.session_id,
        payment_intent="pi_test_1",
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(stripe_client, event_payload("checkout.session.completed", session))
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.PAID
    return invoice


def refund_event(amount_refunded: int, event_id: str | None = None, **kwargs) -> str:
    kwargs.setdefault("payment_intent", "pi_test_1")
    charge = refunded_charge(amount=TOTAL, amount_refunded=amount_refunded, **kwargs)
    return event_payload("charge.refunded", charge, event_id=event_id)


def test_refund_issues_one_credit_note_even_if_delivered_twice(paid_by_card, stripe_client) -> None:
    payload = refund_event(TOTAL, event_id="evt_refund")

    first = post(stripe_client, payload)
    second = post(stripe_client, payload)

    assert first.status_code == second.status_code == 200
    assert second.content == b"duplicate"
    [note] = CreditNote.objects.all()
    assert note.invoice == paid_by_card
    assert note.kind == "refund"
    assert note.total_minor == TOTAL
    assert (note.net_minor, note.vat_minor) == (10000, 2000)
    assert note.provider_reference == f"ch_test_1:{TOTAL}"
    assert first.content.decode() == f"credit note {note.number}"
    paid_by_card.refresh_from_db()
    assert paid_by_card.status == InvoiceStatus.PAID  # refunded, not unpaid


def test_a_new_event_for_the_same_refund_credits_nothing_more(paid_by_card, stripe_client) -> None:
    post(stripe_client, refund_event(TOTAL))
    response = post(stripe_client, refund_event(TOTAL))
    assert response.content == b"already credited"
    assert CreditNote.objects.count() == 1


def test_partial_refunds_credit_each_new_amount(paid_by_card, stripe_client) -> None:
    post(stripe_client, refund_event(3000))
    post(stripe_client, refund_event(TOTAL))

    assert sorted(CreditNote.objects.values_list("total_minor", flat=True)) == [3000, 9000]


def test_refund_matched_by_charge_metadata_without_a_session_row(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post(stripe_client, paid_event(invoiced.invoice, payment_intent="pi_elsewhere"))

    response = post(
        stripe_client,
        refund_event(
            TOTAL, payment_intent="pi_elsewhere", metadata={"invoice": invoiced.invoice.number}
        ),
    )

    assert response.status_code == 200
    assert CreditNote.objects.get().total_minor == TOTAL


def test_refund_of_an_unknown_charge_is_200_and_logged(db, stripe_client, caplog) -> None:
    response = post(stripe_client, refund_event(TOTAL, event_id="evt_who", payment_intent="pi_x"))
    assert (response.status_code, response.content) == (200, b"unknown charge")
    assert CreditNote.objects.count() == 0
    assert "evt_who" in caplog.text


def test_refund_of_money_flagged_for_refund_issues_no_credit_note(
    invoiced, stripe_client, django_capture_on_commit_callbacks
) -> None:
    invoiced.withdraw()  # voids the invoice with its own credit note
    with django_capture_on_commit_callbacks(execute=True):
        post(
            stripe_client,
            paid_event(invoiced.invoice, metadata={"invoice": invoiced.invoice.number}),
        )

    response = post(
        stripe_client, refund_event(TOTAL, metadata={"invoice": invoiced.invoice.number})
    )

    assert response.status_code == 200
    assert list(CreditNote.objects.values_list("kind", flat=True)) == ["void"]


def test_refunds_beyond_the_invoice_are_a_problem_not_a_credit_note(
    paid_by_card, stripe_client
) -> None:
    post(stripe_client, refund_event(TOTAL))
    other_charge = refund_event(
        TOTAL,
        charge_id="ch_test_2",
        payment_intent="pi_unknown",
        metadata={"invoice": paid_by_card.number},
    )

    response = post(stripe_client, other_charge)

    assert (response.status_code, response.content) == (200, b"refund not credited")
    assert CreditNote.objects.count() == 1
    assert PaymentProblem.objects.get().kind == "refund_not_credited"
