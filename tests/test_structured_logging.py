"""JSON log lines: state changes and webhooks carry request, invoice and licence numbers."""

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from portal import settings as portal_settings
from portal.structured_logging import LogContextFilter
from tests.factories import approved_request, make_request
from tests.stripe_stub import WEBHOOK_SECRET, completed_session, event_payload, sign

LOGGING: dict[str, Any] = portal_settings.LOGGING
PERSONAL = ("amira@outlet.example", "Amira Haddad", "The Daily Example", "daily.example")


@pytest.fixture
def json_log() -> Iterator[Callable[[], list[dict]]]:
    """The console handler as LOG_FORMAT=json configures it, writing to a buffer."""
    config = LOGGING["formatters"]["json"]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter(config["format"], rename_fields=config["rename_fields"]))
    handler.addFilter(LogContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def assert_no_personal_data(records: list[dict]) -> None:
    text = json.dumps(records)
    for value in PERSONAL:
        assert value not in text


def test_json_settings_pick_the_json_formatter() -> None:
    assert LOGGING["formatters"]["json"]["()"] == ("pythonjsonlogger.json.JsonFormatter")
    assert "log_context" in LOGGING["handlers"]["console"]["filters"]


def test_free_approval_logs_the_move_and_the_licence(json_log, article, reviewer) -> None:
    req = make_request(article)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)

    records = json_log()
    [move] = [r for r in records if r.get("to_status") == "licensed"]
    assert move["request_reference"] == req.reference
    assert move["from_status"] == "submitted"
    assert move["actor_id"] == reviewer.pk
    assert (move["level"], move["logger"]) == ("INFO", "licensing.models")
    [issued] = [r for r in records if r["message"].startswith("Licence ")]
    assert issued["licence_number"] == req.licence.number
    assert issued["request_reference"] == req.reference
    assert issued["invoice_number"] is None  # free: no invoice
    assert_no_personal_data(records)


def test_paid_invoice_and_webhook_records_carry_all_three_numbers(
    json_log, article, reviewer, settings, django_capture_on_commit_callbacks
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    req = approved_request(article, actor=reviewer, fee_minor=10000, currency="GBP")
    invoice = req.invoice
    payload = event_payload(
        "checkout.session.completed",
        completed_session(invoice_number=invoice.number, amount_total=invoice.total_minor),
        event_id="evt_log_1",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/billing/stripe/webhook/",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": sign(payload)},
        )

    assert response.status_code == 200
    req.refresh_from_db()
    records = json_log()
    [issued] = [
        r for r in records if r["message"] == f"Invoice {invoice.number} issued for {req.reference}"
    ]
    assert issued["request_reference"] == req.reference
    assert issued["invoice_number"] == invoice.number
    [approved] = [r for r in records if r.get("to_status") == "awaiting_payment"]
    assert approved["request_reference"] == req.reference

    webhook = [r for r in records if r.get("stripe_event_id") == "evt_log_1"]
    assert webhook, records
    for record in webhook:
        assert record["invoice_number"] == invoice.number, record
        assert record["request_reference"] == req.reference, record
    [paid] = [r for r in webhook if r["message"] == f"Invoice {invoice.number} paid"]
    assert paid["status"] == "paid"
    # Listeners run on commit (after the view in this test; inside it in production).
    [licensed] = [r for r in records if r.get("to_status") == "licensed"]
    assert licensed["invoice_number"] == invoice.number
    assert licensed["request_reference"] == req.reference
    [licence] = [r for r in records if r["message"].startswith("Licence ")]
    assert licence["licence_number"] == req.licence.number
    assert licence["invoice_number"] == invoice.number
    [summary] = [r for r in webhook if r["message"].startswith("Stripe event evt_log_1")]
    assert summary["stripe_event_type"] == "checkout.session.completed"
    assert_no_personal_data(records)


def test_void_and_refund_log_the_credit_note(json_log, article, reviewer) -> None:
    req = approved_request(article, actor=reviewer, fee_minor=10000)
    invoice = req.invoice
    note = invoice.void(reason="Cancelled by the desk.")

    [voided] = [r for r in json_log() if r.get("status") == "void"]
    assert voided["invoice_number"] == invoice.number
    assert voided["request_reference"] == req.reference
    assert voided["credit_note_number"] == note.number
    assert_no_personal_data(json_log())


def test_refund_is_logged(json_log, article, reviewer) -> None:
    req = approved_request(article, actor=reviewer, fee_minor=10000)
    invoice = req.invoice
    invoice.record_payment(
        method="bank_transfer",
        amount_minor=invoice.total_minor,
        currency=invoice.currency,
        received_on=invoice.issued_on,
        provider_reference="BANK-1",
    )
    note = invoice.refund(amount_minor=1000, reason="Goodwill.")

    [refund] = [r for r in json_log() if r.get("refund_minor") == 1000]
    assert refund["invoice_number"] == invoice.number
    assert refund["request_reference"] == req.reference
    assert refund["credit_note_number"] == note.number
    assert refund["status"] == "paid"


def test_context_never_overrides_explicit_fields() -> None:
    from portal.structured_logging import bind_log_context, log_context

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.invoice_number = "INV-2026-000009"
    with log_context(stripe_event_id="evt_1"):
        bind_log_context(invoice_number="INV-2026-000001", request_reference="RR-2026-00001")
        LogContextFilter().filter(record)
    assert record.invoice_number == "INV-2026-000009"
    assert (record.stripe_event_id, record.request_reference) == ("evt_1", "RR-2026-00001")
