"""The Stripe webhook: verify, store each event id once, then act through a small handler.

Only a bad signature or payload gets 400. Anything we cannot match (unknown
invoice, session or event type) is logged and answered 200, so Stripe stops
retrying; money that does not fit its invoice is recorded as a
PaymentProblem for finance and never marks the invoice paid.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import stripe as billing_stripe
from billing import tasks
from billing.models import (
    CheckoutSession,
    CheckoutStatus,
    CreditNoteKind,
    Invoice,
    InvoiceStateError,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentProblem,
    ProblemKind,
    StripeEvent,
)
from billing.stripe import WebhookEvent
from portal.structured_logging import bind_log_context, log_context

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = billing_stripe.construct_event(
            request.body, request.headers.get("Stripe-Signature")
        )
    except billing_stripe.InvalidWebhook as error:
        logger.warning("Stripe webhook refused: %s", error)
        return HttpResponseBadRequest("Invalid webhook", content_type="text/plain")
    handler = HANDLERS.get(event.type, _ignore)
    # Every record logged while handling the event (here, in the models, in
    # the listeners on commit) carries the event id and, once matched, the
    # invoice number and request reference.
    with log_context(stripe_event_id=event.id, stripe_event_type=event.type):
        stored = False
        try:
            with transaction.atomic():
                # The unique event id is the guard: a concurrent twin waits on this row
                # and then fails here, so whatever the handler does happens once. It is
                # the transaction's first write: a duplicate rolls back nothing else,
                # so it needs no savepoint of its own.
                record = StripeEvent.objects.create(event_id=event.id, type=event.type[:100])
                stored = True
                outcome = handler(event)[:255]
                record.outcome = outcome
                record.save(update_fields=["outcome"])
        except IntegrityError:
            if stored:
                raise
            logger.info("Stripe event %s (%s) already received: ignored", event.id, event.type)
            return HttpResponse("duplicate", content_type="text/plain")
        logger.info("Stripe event %s (%s): %s", event.id, event.type, outcome)
    return HttpResponse(outcome, content_type="text/plain")


# --- Matching Stripe objects to ours ----------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _object_id(value: Any) -> str:
    """An id that Stripe may send bare or expanded into its object."""
    return _text(value.get("id")) if isinstance(value, dict) else _text(value)


def _metadata_invoice(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata")
    return _text(metadata.get("invoice")) if isinstance(metadata, dict) else ""


def _matched(invoice: Invoice | None) -> Invoice | None:
    """The invoice an event is about; later log records of the event name it."""
    if invoice is not None:
        bind_log_context(invoice_number=invoice.number, request_reference=invoice.reference)
    return invoice


def _invoice_for_session(session: dict[str, Any], *, lock: bool = False) -> Invoice | None:
    """The session's invoice; with `lock`, locked until the caller's transaction ends."""
    invoices = Invoice.objects.select_for_update() if lock else Invoice.objects.all()
    number = _metadata_invoice(session) or _text(session.get("client_reference_id"))
    if number and (invoice := invoices.filter(number=number).first()):
        return _matched(invoice)
    sessions = CheckoutSession.objects.filter(session_id=_text(session.get("id")))
    if lock:
        invoice_id = sessions.values_list("invoice_id", flat=True).first()
        return _matched(invoices.get(pk=invoice_id) if invoice_id is not None else None)
    row = sessions.select_related("invoice").first()
    return _matched(row.invoice if row else None)


def _invoice_for_charge(charge: dict[str, Any]) -> Invoice | None:
    payment_intent = _object_id(charge.get("payment_intent"))
    row = (
        CheckoutSession.objects.select_related("invoice")
        .filter(payment_intent=payment_intent)
        .first()
        if payment_intent
        else None
    )
    if row is not None:
        return _matched(row.invoice)
    number = _metadata_invoice(charge)
    return _matched(Invoice.objects.filter(number=number).first() if number else None)


def _payment_for_charge(charge: dict[str, Any]) -> Payment | None:
    payment_intent = _object_id(charge.get("payment_intent"))
    if not payment_intent:
        return None
    sessions = CheckoutSession.objects.filter(payment_intent=payment_intent)
    return Payment.objects.filter(
        method=PaymentMethod.STRIPE, provider_reference__in=sessions.values("session_id")
    ).first()


def _update_session_row(session: dict[str, Any], status: str) -> None:
    fields: dict[str, Any] = {"status": status}
    if payment_intent := _object_id(session.get("payment_intent")):
        fields["payment_intent"] = payment_intent
    CheckoutSession.objects.filter(session_id=_text(session.get("id"))).update(**fields)


def _problem(
    event: WebhookEvent,
    invoice: Invoice | None,
    kind: ProblemKind,
    detail: str,
    *,
    alert: bool = True,
) -> None:
    """Record what finance must look at, log it, and (on commit) email them."""
    number = invoice.number if invoice else "no invoice"
    problem = PaymentProblem.objects.create(
        invoice=invoice, kind=kind, detail=f"{detail} (Stripe event {event.id}, {event.type})"
    )
    logger.warning("Payment problem %s on %s (event %s): %s", kind, number, event.id, detail)
    if alert:
        problem_id = problem.pk
        transaction.on_commit(
            lambda: tasks.send_payment_problem_email.enqueue(problem_id=problem_id), robust=True
        )


# --- Handlers: each returns the outcome stored on the event and answered ----


def _ignore(event: WebhookEvent) -> str:
    logger.info("Stripe event %s of type %s ignored", event.id, event.type)
    return "ignored"


def _checkout_completed(event: WebhookEvent) -> str:
    session = event.object
    payment_status = _text(session.get("payment_status"))
    if payment_status == "paid":
        return _checkout_paid(event)
    # A delayed method (bank debit): async_payment_succeeded or _failed follows.
    invoice = _invoice_for_session(session)
    _update_session_row(session, CheckoutStatus.PROCESSING)
    logger.info(
        "Checkout Session %s for %s completed with payment %s; waiting (event %s)",
        session.get("id"),
        invoice.number if invoice else "an unknown invoice",
        payment_status or "unknown",
        event.id,
    )
    return f"payment {payment_status or 'unknown'}: waiting"


def _checkout_paid(event: WebhookEvent) -> str:
    session = event.object
    session_id = _text(session.get("id"))
    # Locked until the webhook commits: a twin event for the same session
    # waits here, then sees this payment instead of a stale amount due.
    invoice = _invoice_for_session(session, lock=True)
    if invoice is None:
        logger.warning(
            "Checkout Session %s paid but matches no invoice (metadata %r, event %s)",
            session_id,
            _metadata_invoice(session) or session.get("client_reference_id"),
            event.id,
        )
        return "unknown invoice"
    _update_session_row(session, CheckoutStatus.PAID)
    return _record_card_payment(event, invoice, session)


def _already_recorded(event: WebhookEvent, invoice: Invoice, session_id: str) -> str:
    logger.info(
        "Invoice %s: session %s already recorded (event %s)", invoice.number, session_id, event.id
    )
    return "already recorded"


def _record_card_payment(event: WebhookEvent, invoice: Invoice, session: dict[str, Any]) -> str:
    session_id = _text(session.get("id"))
    # The invoice is locked, so no other payment for it can arrive meanwhile.
    if Payment.objects.filter(method=PaymentMethod.STRIPE, provider_reference=session_id).exists():
        return _already_recorded(event, invoice, session_id)

    amount = session.get("amount_total")
    currency = _text(session.get("currency")).upper()
    due = invoice.due_minor
    if invoice.status == InvoiceStatus.OPEN and (
        amount != due or currency != invoice.currency.upper()
    ):
        _problem(
            event,
            invoice,
            ProblemKind.AMOUNT_MISMATCH,
            f"Checkout Session {session_id} paid {amount} {currency or '?'} (minor units) "
            f"but {invoice.number} has {due} {invoice.currency} due.",
        )
        return "amount or currency mismatch: not paid"
    if not isinstance(amount, int) or amount <= 0 or len(currency) != 3:
        _problem(
            event,
            invoice,
            ProblemKind.UNREADABLE_AMOUNT,
            f"Session {session_id}: {amount!r} {currency!r}.",
        )
        return "unreadable amount"

    try:
        # The unique (method, provider_reference) constraint is the second guard;
        # record_payment() holds its writes in a savepoint, so losing it undoes only them.
        payment = invoice.record_payment(
            method=PaymentMethod.STRIPE,
            amount_minor=amount,
            currency=currency,
            received_on=timezone.localdate(),
            provider_reference=session_id,
        )
    except IntegrityError:
        return _already_recorded(event, invoice, session_id)
    if payment.flagged_for_refund:
        _problem(
            event,
            invoice,
            ProblemKind.PAYMENT_FOR_CLOSED_INVOICE,
            f"Card payment {payment.amount_display} (session {session_id}) arrived for "
            f"{invoice.number}, which is {invoice.get_status_display().lower()}: refund it.",
        )
        return "recorded, flagged for refund"
    logger.info(
        "Invoice %s: card payment %s recorded from session %s (event %s); invoice %s",
        invoice.number,
        payment.amount_display,
        session_id,
        event.id,
        invoice.status,
    )
    return f"recorded; invoice {invoice.status}"


def _checkout_failed(event: WebhookEvent) -> str:
    session = event.object
    invoice = _invoice_for_session(session)
    _update_session_row(session, CheckoutStatus.FAILED)
    if invoice is None:
        logger.warning(
            "Checkout Session %s failed; no invoice matches (event %s)", session.get("id"), event.id
        )
        return "unknown invoice"
    _problem(
        event,
        invoice,
        ProblemKind.ASYNC_PAYMENT_FAILED,
        f"The delayed payment for Checkout Session {session.get('id')} failed; "
        f"{invoice.number} stays open.",
        alert=False,
    )
    return "payment failed"


def _checkout_expired(event: WebhookEvent) -> str:
    session_id = _text(event.object.get("id"))
    row = CheckoutSession.objects.select_related("invoice").filter(session_id=session_id).first()
    if row is None:
        logger.info("Checkout Session %s expired: not ours (event %s)", session_id, event.id)
        return "unknown session"
    _matched(row.invoice)
    CheckoutSession.objects.filter(pk=row.pk, status=CheckoutStatus.OPEN).update(
        status=CheckoutStatus.EXPIRED
    )
    logger.info(
        "Checkout Session %s for %s expired (event %s)", session_id, row.invoice.number, event.id
    )
    return "expired"


def _charge_refunded(event: WebhookEvent) -> str:
    charge = event.object
    charge_id = _text(charge.get("id"))
    refunded = charge.get("amount_refunded")
    invoice = _invoice_for_charge(charge)
    if invoice is None:
        logger.warning("Charge %s refunded; no invoice matches (event %s)", charge_id, event.id)
        return "unknown charge"
    if not isinstance(refunded, int) or refunded <= 0 or not charge_id:
        logger.warning("Charge %s for %s: nothing refunded", charge_id, invoice.number)
        return "nothing refunded"
    if _text(charge.get("currency")).upper() != invoice.currency.upper():
        _problem(
            event, invoice, ProblemKind.REFUND_CURRENCY_MISMATCH, f"Charge {charge_id} refunded."
        )
        return "currency mismatch"
    refunded_payment = _payment_for_charge(charge)
    if invoice.status == InvoiceStatus.VOID or (
        refunded_payment is not None and refunded_payment.flagged_for_refund
    ):
        # Money that was never owed went back: the invoice itself is not credited again.
        logger.info(
            "Charge %s refunded money flagged for refund on %s: no credit note (event %s)",
            charge_id,
            invoice.number,
            event.id,
        )
        return "flagged payment refunded"

    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        # Stripe reports the charge's running total: credit only what is new.
        credited = (
            locked.credit_notes.filter(
                kind=CreditNoteKind.REFUND, provider_reference__startswith=f"{charge_id}:"
            ).aggregate(total=Sum("total_minor"))["total"]
            or 0
        )
        new = refunded - credited
        if new <= 0:
            logger.info(
                "Charge %s refund already credited on %s (event %s)",
                charge_id,
                invoice.number,
                event.id,
            )
            return "already credited"
        try:
            with transaction.atomic():
                note = locked.refund(
                    amount_minor=new,
                    reason=f"Card payment refunded through Stripe (charge {charge_id}).",
                    provider_reference=f"{charge_id}:{refunded}",
                )
        except IntegrityError:
            return "already credited"
        except InvoiceStateError as error:
            # More than the invoice has left to credit: finance sorts it out.
            _problem(
                event, invoice, ProblemKind.REFUND_NOT_CREDITED, f"Charge {charge_id}: {error}"
            )
            return "refund not credited"
    logger.info(
        "Invoice %s: refund of %s credited by %s (charge %s, event %s)",
        invoice.number,
        new,
        note.number,
        charge_id,
        event.id,
    )
    return f"credit note {note.number}"


HANDLERS: dict[str, Callable[[WebhookEvent], str]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_paid,
    "checkout.session.async_payment_failed": _checkout_failed,
    "checkout.session.expired": _checkout_expired,
    "charge.refunded": _charge_refunded,
}
