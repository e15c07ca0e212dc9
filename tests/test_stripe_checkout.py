"""POST /requests/<uuid>/pay/: off to Stripe Checkout (a local stub) for what is due."""

import socket
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from billing import stripe as billing_stripe
from billing.models import CheckoutSession, CheckoutStatus, InvoiceStatus, PaymentMethod
from licensing.models import RepublicationRequest
from tests.factories import make_request

AMIRA = "amira@outlet.example"


@pytest.fixture
def awaiting(submitted: RepublicationRequest, reviewer) -> RepublicationRequest:
    """The requester's request approved at 150.00 GBP net: 180.00 with UK VAT."""
    submitted.approve(actor=reviewer, fee_minor=15000, currency="GBP", validity_days=30)
    submitted.refresh_from_db()
    return submitted


def pay(client: Client, req: RepublicationRequest, **kwargs):
    return client.post(f"/requests/{req.uuid}/pay/", **kwargs)


def page(client: Client, req: RepublicationRequest, query: str = "") -> str:
    response = client.get(f"/requests/{req.uuid}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_session_is_created_for_the_invoice_gross_total(
    requester: Client, awaiting, stripe_stub, settings
) -> None:
    invoice = awaiting.invoice
    assert invoice.total_minor == 18000  # 150.00 + 20% VAT

    response = pay(requester, awaiting)

    [call] = stripe_stub.created
    [session] = stripe_stub.sessions.values()
    assert response.status_code == 303
    assert response["Location"] == session["url"]
    assert call.path == "/v1/checkout/sessions"
    assert call.authorization == "Bearer sk_test_x"
    assert call.idempotency_key == f"checkout-{invoice.number}-18000-1"
    request_page = f"{settings.PORTAL_BASE_URL}/requests/{awaiting.uuid}/"
    params = call.params
    assert params["mode"] == "payment"
    assert params["line_items[0][quantity]"] == "1"
    assert params["line_items[0][price_data][unit_amount]"] == "18000"
    assert params["line_items[0][price_data][currency]"] == "gbp"
    product = params["line_items[0][price_data][product_data][name]"]
    assert invoice.number in product and awaiting.reference in product
    assert params["client_reference_id"] == invoice.number
    assert params["metadata[invoice]"] == invoice.number
    assert params["payment_intent_data[metadata][invoice]"] == invoice.number
    assert params["customer_email"] == AMIRA
    assert params["success_url"] == request_page + "?checkout=success"
    assert params["cancel_url"] == request_page

    row = CheckoutSession.objects.get()
    assert row.session_id == session["id"]
    assert row.invoice == invoice
    assert row.amount_minor == 18000
    assert row.status == CheckoutStatus.OPEN
    assert row.expires_at is not None and row.expires_at > timezone.now() + timedelta(hours=23)


def test_currency_and_amount_follow_a_reverse_charged_eur_invoice(
    client: Client, article, reviewer, stripe_stub
) -> None:
    req = make_request(article, country="DE", vat_number="DE136695976")
    req.approve(actor=reviewer, fee_minor=20000, currency="EUR", validity_days=30)
    client.force_login(req.requester)

    assert pay(client, req).status_code == 303

    params = stripe_stub.created[0].params
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["line_items[0][price_data][unit_amount]"] == "20000"  # no VAT added


def test_pressing_twice_reuses_the_open_session(requester: Client, awaiting, stripe_stub) -> None:
    first = pay(requester, awaiting)
    second = pay(requester, awaiting)

    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert len(stripe_stub.created) == 1
    assert CheckoutSession.objects.count() == 1


def test_an_expired_session_is_replaced_with_a_new_idempotency_key(
    requester: Client, awaiting, stripe_stub
) -> None:
    pay(requester, awaiting)
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        response = pay(requester, awaiting)

    assert response.status_code == 303
    keys = [call.idempotency_key for call in stripe_stub.created]
    number = awaiting.invoice.number
    assert keys == [f"checkout-{number}-18000-1", f"checkout-{number}-18000-2"]
    assert response["Location"] == CheckoutSession.objects.latest("id").url


def test_a_part_paid_invoice_is_charged_what_is_still_due(
    requester: Client, awaiting, stripe_stub
) -> None:
    awaiting.invoice.record_payment(
        method=PaymentMethod.BANK_TRANSFER,
        amount_minor=5000,
        currency="GBP",
        received_on=timezone.localdate(),
        provider_reference="BANK-1",
    )

    pay(requester, awaiting)

    call = stripe_stub.created[0]
    assert call.params["line_items[0][price_data][unit_amount]"] == "13000"
    assert call.idempotency_key == f"checkout-{awaiting.invoice.number}-13000-1"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(500, "api_error"), (400, "invalid_request_error"), (401, "authentication_error")],
)
def test_a_stripe_error_gives_a_message_not_a_500(
    requester: Client, awaiting, stripe_stub, status, error_type, caplog
) -> None:
    stripe_stub.fail_with(status, type=error_type, message="Stripe says no.")

    response = pay(requester, awaiting, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"/requests/{awaiting.uuid}/", 302)]
    html = response.content.decode()
    assert "Card payment is not available right now" in html
    assert "pay by bank transfer" in html
    assert "Stripe says no." not in html
    assert CheckoutSession.objects.count() == 0
    assert awaiting.invoice.number in caplog.text

    # The key was not burnt: once Stripe answers, the same press works.
    stripe_stub.recover()
    assert pay(requester, awaiting).status_code == 303
    assert CheckoutSession.objects.count() == 1


def test_stripe_unreachable_gives_a_message(requester: Client, awaiting, settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_test"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"

    response = pay(requester, awaiting, follow=True)

    assert "Card payment is not available right now" in response.content.decode()
    assert CheckoutSession.objects.count() == 0


class SilentServer:
    """Accepts connections and never answers: Stripe stalled, or a network black hole."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _address = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted.append(connection)

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        for connection in self.accepted:
            connection.close()
        self.sock.close()


@pytest.fixture
def stalled_stripe(settings, stripe_stub):
    server = SilentServer()
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    yield server
    server.close()


def test_stalled_stripe_gives_a_message_within_the_timeout(
    requester: Client, awaiting, stalled_stripe, stripe_stub, settings, caplog
) -> None:
    started = time.monotonic()
    response = pay(requester, awaiting, follow=True)
    elapsed = time.monotonic() - started

    # Three tries (the library's two retries) of half a second each, plus its
    # short pauses between them: seconds, not the library's default 80 s a try.
    assert len(stalled_stripe.accepted) == billing_stripe.NETWORK_RETRIES + 1
    assert elapsed < 6
    assert response.redirect_chain == [(f"/requests/{awaiting.uuid}/", 302)]
    assert "Card payment is not available right now" in response.content.decode()
    assert CheckoutSession.objects.count() == 0
    assert awaiting.invoice.number in caplog.text

    # Stripe answers again: the same button now goes to Checkout.
    settings.STRIPE_API_BASE = stripe_stub.url
    response = pay(requester, awaiting)
    assert response.status_code == 303
    assert response["Location"] == CheckoutSession.objects.get().url


def test_unreachable_stripe_then_recovered(
    requester: Client, awaiting, stripe_stub, settings
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"
    assert "Card payment is not available right now" in (
        pay(requester, awaiting, follow=True).content.decode()
    )
    assert CheckoutSession.objects.count() == 0

    settings.STRIPE_API_BASE = stripe_stub.url
    assert pay(requester, awaiting).status_code == 303
    assert CheckoutSession.objects.count() == 1


def test_someone_else_gets_404(other_requester: Client, awaiting, stripe_stub) -> None:
    assert pay(other_requester, awaiting).status_code == 404
    assert stripe_stub.calls == []


def test_get_is_not_allowed(requester: Client, awaiting, stripe_stub) -> None:
    assert requester.get(f"/requests/{awaiting.uuid}/pay/").status_code == 405
    assert stripe_stub.calls == []


def test_without_stripe_keys_there_is_no_card_button(requester: Client, awaiting, settings) -> None:
    settings.STRIPE_SECRET_KEY = ""

    html = page(requester, awaiting)
    assert "Pay by card" not in html
    assert awaiting.invoice.number in html  # bank transfer details still there

    response = pay(requester, awaiting, follow=True)
    assert "Card payment is not available; please pay by bank transfer." in (
        response.content.decode()
    )
    assert CheckoutSession.objects.count() == 0


def test_with_stripe_keys_the_card_button_shows(requester: Client, awaiting, stripe_stub) -> None:
    html = page(requester, awaiting)
    assert "Pay by card" in html
    assert f'action="/requests/{awaiting.uuid}/pay/"' in html


def test_a_paid_invoice_has_no_button_and_nothing_to_pay(
    requester: Client, awaiting, stripe_stub, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        awaiting.invoice.record_payment(
            method=PaymentMethod.BANK_TRANSFER,
            amount_minor=18000,
            currency="GBP",
            received_on=timezone.localdate(),
            provider_reference="BANK-1",
        )
    assert awaiting.invoice.status == InvoiceStatus.PAID

    html = page(requester, awaiting)
    assert "Pay by card" not in html
    assert "Licensed" in html

    response = pay(requester, awaiting, follow=True)
    assert "There is nothing to pay on this request." in response.content.decode()
    assert stripe_stub.calls == []


def test_a_request_without_invoice_has_nothing_to_pay(
    requester: Client, submitted, stripe_stub
) -> None:
    response = pay(requester, submitted, follow=True)
    assert "There is nothing to pay on this request." in response.content.decode()
    assert stripe_stub.calls == []


def test_back_from_checkout_the_page_says_processing_until_the_webhook(
    requester: Client, awaiting, stripe_stub
) -> None:
    pay(requester, awaiting)
    html = page(requester, awaiting, "?checkout=success")
    assert "Payment processing" in html
    assert "Awaiting payment" in html
    assert "Payment processing" not in page(requester, awaiting)


def test_a_session_being_processed_is_not_paid_twice(
    requester: Client, awaiting, stripe_stub
) -> None:
    pay(requester, awaiting)
    CheckoutSession.objects.update(status=CheckoutStatus.PROCESSING)

    response = pay(requester, awaiting, follow=True)

    assert "Your card payment is being processed" in response.content.decode()
    assert len(stripe_stub.created) == 1


def test_retrieve_session_reads_it_back_from_stripe(requester: Client, awaiting, stripe_stub):
    pay(requester, awaiting)
    row = CheckoutSession.objects.get()

    session = billing_stripe.retrieve_session(row.session_id)

    assert session["id"] == row.session_id
    assert session["status"] == "open"
    assert session["metadata"] == {"invoice": awaiting.invoice.number}
    assert stripe_stub.calls[-1].method == "GET"
    with pytest.raises(billing_stripe.CheckoutUnavailable):
        billing_stripe.retrieve_session("cs_test_unknown")
