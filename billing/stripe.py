"""Every call to Stripe: Checkout Sessions for invoices and webhook verification.

The official library is configured per call from settings (key, and an API
base for tests or a proxy), so nothing here depends on global state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import CheckoutSession, CheckoutStatus, Invoice, InvoiceStatus

logger = logging.getLogger(__name__)

# A session about to expire is not worth sending the buyer to.
REUSE_MARGIN = timedelta(minutes=10)
# With an idempotency key a retried create returns the same session.
NETWORK_RETRIES = 2
# Stripe's product name field is short; the invoice number must survive the cut.
PRODUCT_NAME_LIMIT = 250


class CheckoutUnavailable(Exception):
    """Card payment cannot start; the message is fit to show the buyer."""


class InvalidWebhook(Exception):
    """A webhook whose signature or payload we refuse (answered 400)."""


@dataclass(frozen=True)
class WebhookEvent:
    """A verified Stripe event as plain data: its id, type and the object it is about."""

    id: str
    type: str
    object: dict[str, Any] = field(default_factory=dict)


def is_configured() -> bool:
    """Card payment needs both keys: without the webhook secret no payment could be recorded."""
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def _client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE.rstrip("/")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=NETWORK_RETRIES,
        # The library's default waits 80 s: a stalled Stripe would hold the
        # buyer's page (and a gunicorn worker) far past any patience.
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _reusable_session(invoice: Invoice) -> CheckoutSession | None:
    return (
        invoice.checkout_sessions.filter(
            status=CheckoutStatus.OPEN,
            amount_minor=invoice.due_minor,
            expires_at__gt=timezone.now() + REUSE_MARGIN,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def start_checkout(*, invoice: Invoice, success_url: str, cancel_url: str) -> str:
    """The Checkout URL where the buyer pays what is still due on `invoice`.

    An open session for the same amount is reused, so pressing "Pay by card"
    twice sends the buyer to one session. The idempotency key names the
    invoice, the amount and the attempt, so a retry or a double click that
    reaches Stripe twice still gets the same session back.
    """
    if not is_configured():
        raise CheckoutUnavailable(_("Card payment is not available; please pay by bank transfer."))
    if invoice.status != InvoiceStatus.OPEN or invoice.due_minor <= 0:
        raise CheckoutUnavailable(
            _("Invoice %(number)s has nothing left to pay.") % {"number": invoice.number}
        )
    if invoice.checkout_sessions.filter(status=CheckoutStatus.PROCESSING).exists():
        raise CheckoutUnavailable(
            _(
                "Your card payment is being processed; we will confirm here and by email. "
                "You do not need to pay again."
            )
        )
    existing = _reusable_session(invoice)
    if existing is not None:
        logger.info("Reusing Checkout Session %s for %s", existing.session_id, invoice.number)
        return existing.url

    amount = invoice.due_minor
    attempt = invoice.checkout_sessions.count() + 1
    idempotency_key = f"checkout-{invoice.number}-{amount}-{attempt}"
    name = f"{invoice.description[: PRODUCT_NAME_LIMIT - 30]} ({invoice.number})"
    try:
        session = _client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": invoice.currency.lower(),
                            "unit_amount": amount,
                            "product_data": {"name": name},
                        },
                    }
                ],
                "client_reference_id": invoice.number,
                "metadata": {"invoice": invoice.number},
                # Charges carry the invoice too, so a refund can be matched without us.
                "payment_intent_data": {
                    "description": f"Invoice {invoice.number}",
                    "metadata": {"invoice": invoice.number},
                },
                "customer_email": invoice.buyer_email,
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        logger.error(
            "Stripe refused a Checkout Session for %s (key %s): %s",
            invoice.number,
            idempotency_key,
            error,
        )
        raise CheckoutUnavailable(
            _(
                "Card payment is not available right now. Please try again in a few minutes, "
                "or pay by bank transfer with the details on this page."
            )
        ) from error
    if not session.url:
        logger.error("Checkout Session %s for %s has no URL", session.id, invoice.number)
        raise CheckoutUnavailable(_("Card payment is not available right now; please try later."))

    # A concurrent click may have stored the same (idempotent) session already.
    row, _created = CheckoutSession.objects.get_or_create(
        session_id=session.id,
        defaults={
            "invoice": invoice,
            "url": session.url,
            "amount_minor": amount,
            "status": CheckoutStatus.OPEN,
            "expires_at": datetime.fromtimestamp(session.expires_at, tz=UTC),
        },
    )
    logger.info("Checkout Session %s opened for %s", row.session_id, invoice.number)
    return row.url


def retrieve_session(session_id: str) -> dict[str, Any]:
    """A Checkout Session as Stripe sees it now (status, payment_status, amounts)."""
    try:
        session = _client().v1.checkout.sessions.retrieve(session_id)
    except stripe.StripeError as error:
        logger.warning("Could not retrieve Checkout Session %s: %s", session_id, error)
        raise CheckoutUnavailable("We could not reach the card processor; try again.") from error
    return session.to_dict()


def construct_event(payload: bytes, sig_header: str | None) -> WebhookEvent:
    """Verify a webhook's signature (and age, 300 s by default) and read its event."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise InvalidWebhook("STRIPE_WEBHOOK_SECRET is not set")
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as error:
        raise InvalidWebhook(f"bad signature: {error}") from error
    # Signed but not a Stripe event (bad JSON, not an object, wrong encoding).
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise InvalidWebhook(f"bad payload: {error}") from error
    data = event.to_dict()
    inner = data.get("data")
    obj = inner.get("object") if isinstance(inner, dict) else None
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise InvalidWebhook("bad payload: an event needs an id and a type")
    if not isinstance(obj, dict):
        raise InvalidWebhook(f"bad payload: event {data['id']} has no data.object")
    return WebhookEvent(id=data["id"], type=data["type"], object=obj)
