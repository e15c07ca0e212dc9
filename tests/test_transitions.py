"""RepublicationRequest transitions: the lifecycle (RepublicationRequest.TRANSITIONS), its audit
trail and its locks."""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice
from licensing.models import (
    Message,
    RepublicationRequest,
    StatusChange,
    TransitionNotAllowed,
)
from tests.factories import make_request, make_request_in

LONDON = ZoneInfo("Europe/London")
LATER = datetime(2026, 3, 10, 11, 30, tzinfo=LONDON)
ALL_STATUSES = [
    "submitted",
    "info_requested",
    "awaiting_payment",
    "licensed",
    "declined",
    "withdrawn",
    "expired",
    "revoked",
]


def last_change(req: RepublicationRequest) -> StatusChange:
    change = req.status_changes.order_by("id").last()
    assert change is not None
    return change


def assert_moved(
    req: RepublicationRequest,
    *,
    from_status: str,
    to_status: str,
    actor: User | None,
    note: str,
    waiting_on: str,
) -> None:
    req.refresh_from_db()
    assert req.status == to_status
    assert req.waiting_on == waiting_on
    assert req.waiting_since == LATER
    change = last_change(req)
    assert (change.from_status, change.to_status, change.actor, change.created_at) == (
        from_status,
        to_status,
        actor,
        LATER,
    )
    assert note in change.note


# --- Allowed transitions -----------------------------------------------------


def test_ask_for_information(reviewer, submitted) -> None:
    with time_machine.travel(LATER, tick=False):
        submitted.ask_for_information(actor=reviewer, message="Which edition?")
    assert_moved(
        submitted,
        from_status="submitted",
        to_status="info_requested",
        actor=reviewer,
        note="Which edition?",
        waiting_on="requester",
    )
    message = Message.objects.get(request=submitted)
    assert (message.sender, message.author, message.internal, message.body) == (
        "staff",
        reviewer,
        False,
        "Which edition?",
    )
    assert submitted.first_response_at == LATER


def test_reply_to_an_information_request_hands_it_back(reviewer, article) -> None:
    req = make_request_in(article, "info_requested", actor=reviewer)
    with time_machine.travel(LATER, tick=False):
        req.reply(body="The Saturday edition.")
    assert_moved(
        req,
        from_status="info_requested",
        to_status="submitted",
        actor=None,
        note="The requester replied.",
        waiting_on="staff",
    )
    assert req.public_messages().filter(sender="requester").get().body == "The Saturday edition."


def test_reply_while_submitted_adds_a_message_only(submitted) -> None:
    changes = submitted.status_changes.count()
    submitted.reply(body="One more thing.")
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert submitted.status_changes.count() == changes
    assert submitted.public_messages().get().body == "One more thing."


def test_approve_with_a_fee(reviewer, submitted, exchange_rates) -> None:
    with time_machine.travel(LATER, tick=False):
        submitted.approve(actor=reviewer, fee_minor=15000, currency="EUR", validity_days=30)
    assert_moved(
        submitted,
        from_status="submitted",
        to_status="awaiting_payment",
        actor=reviewer,
        note="150.00 EUR",
        waiting_on="requester",
    )
    assert (submitted.fee_minor, submitted.currency) == (15000, "EUR")
    assert submitted.quote_valid_until == LATER.date() + timedelta(days=30)
    assert submitted.decided_at == LATER
    quote = Invoice.objects.get()
    assert (quote.reference, quote.net_minor, quote.currency) == (
        submitted.reference,
        15000,
        "EUR",
    )


def test_approve_with_zero_fee_licenses(reviewer, submitted) -> None:
    with time_machine.travel(LATER, tick=False):
        submitted.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    assert_moved(
        submitted,
        from_status="submitted",
        to_status="licensed",
        actor=reviewer,
        note="zero fee, deliberately",
        waiting_on="nobody",
    )
    assert submitted.quote_valid_until is None
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize("status", ["submitted", "info_requested"])
def test_decline(reviewer, article, status: str) -> None:
    req = make_request_in(article, status, actor=reviewer)
    with time_machine.travel(LATER, tick=False):
        req.decline(actor=reviewer, reason="Outside our syndication terms.")
    assert_moved(
        req,
        from_status=status,
        to_status="declined",
        actor=reviewer,
        note="Outside our syndication terms.",
        waiting_on="nobody",
    )
    assert req.decline_reason == "Outside our syndication terms."
    assert req.decided_at == LATER


@pytest.mark.parametrize("status", ["submitted", "info_requested", "awaiting_payment"])
def test_withdraw(reviewer, article, status: str) -> None:
    req = make_request_in(article, status, actor=reviewer)
    with time_machine.travel(LATER, tick=False):
        req.withdraw()
    assert_moved(
        req,
        from_status=status,
        to_status="withdrawn",
        actor=None,
        note="Withdrawn",
        waiting_on="nobody",
    )


def test_submission_and_confirmation_are_recorded(submitted) -> None:
    sent, confirmed = submitted.status_changes.all()
    assert (sent.from_status, sent.to_status, sent.actor) == ("", "unconfirmed", None)
    assert (confirmed.from_status, confirmed.to_status) == ("unconfirmed", "submitted")
    assert submitted.waiting_on == "staff"


# --- Refused transitions -----------------------------------------------------

ALLOWED_FROM = {
    "approve": {"submitted"},
    "approve_free": {"submitted"},
    "decline": {"submitted", "info_requested"},
    "ask": {"submitted"},
    "reply": {"submitted", "info_requested", "awaiting_payment"},
    "withdraw": {"submitted", "info_requested", "awaiting_payment"},
}


def run(action: str, req: RepublicationRequest, actor: User) -> None:
    calls: dict[str, Callable[[], None]] = {
        "approve": lambda: req.approve(
            actor=actor, fee_minor=5000, currency="GBP", validity_days=30
        ),
        "approve_free": lambda: req.approve(
            actor=actor, fee_minor=0, currency="GBP", validity_days=30
        ),
        "decline": lambda: req.decline(actor=actor, reason="No."),
        "ask": lambda: req.ask_for_information(actor=actor, message="Why?"),
        "reply": lambda: req.reply(body="Hello?"),
        "withdraw": lambda: req.withdraw(),
    }
    calls[action]()


def state(req: RepublicationRequest) -> tuple:
    fresh = RepublicationRequest.objects.get(pk=req.pk)
    return (
        fresh.status,
        fresh.waiting_on,
        fresh.waiting_since,
        fresh.fee_minor,
        fresh.decline_reason,
        fresh.status_changes.count(),
        fresh.messages.count(),
        Invoice.objects.count(),
    )


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (action, status)
        for action, allowed in ALLOWED_FROM.items()
        for status in ALL_STATUSES
        if status not in allowed
    ],
)
def test_disallowed_transition_raises_and_changes_nothing(
    reviewer, article, action: str, status: str
) -> None:
    req = make_request_in(article, status, actor=reviewer)
    before = state(req)
    with pytest.raises(TransitionNotAllowed) as error:
        run(action, req, reviewer)
    assert req.reference in str(error.value)
    assert state(req) == before


def test_stale_instance_is_refused(reviewer, second_reviewer, submitted) -> None:
    """Two reviewers loaded the same request; the second decision sees the first."""
    stale = RepublicationRequest.objects.get(pk=submitted.pk)
    submitted.approve(actor=reviewer, fee_minor=5000, currency="GBP", validity_days=30)
    assert stale.status == "submitted"
    with pytest.raises(TransitionNotAllowed, match="Awaiting payment"):
        stale.decline(actor=second_reviewer, reason="Too late.")
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_payment"
    assert submitted.status_changes.filter(to_status="declined").count() == 0


@pytest.mark.parametrize(("fee_minor", "currency"), [(-1, "GBP"), (5000, "JPY"), (5000, "")])
def test_approve_refuses_bad_fee_or_currency(reviewer, submitted, fee_minor, currency) -> None:
    before = state(submitted)
    with pytest.raises(ValueError):
        submitted.approve(actor=reviewer, fee_minor=fee_minor, currency=currency, validity_days=30)
    assert state(submitted) == before


def test_first_response_is_kept(reviewer, second_reviewer, submitted) -> None:
    with time_machine.travel(LATER, tick=False):
        submitted.ask_for_information(actor=reviewer, message="Which edition?")
    submitted.reply(body="Saturday.")
    submitted.decline(actor=second_reviewer, reason="No.")
    submitted.refresh_from_db()
    assert submitted.first_response_at == LATER
    assert submitted.decided_at is not None and submitted.decided_at > LATER
    assert timezone.now() >= submitted.decided_at


# --- Concurrency (PostgreSQL) ------------------------------------------------


def test_an_instance_read_before_approval_locks_the_invoice_before_the_request(
    article, reviewer
) -> None:
    # A payment locks the invoice, then the request: so must a withdrawal through an
    # instance read while the request had no invoice yet, or the two could deadlock.
    req = make_request(article)
    stale = RepublicationRequest.objects.get(pk=req.pk)
    req.approve(actor=reviewer, fee_minor=5000, currency="GBP", validity_days=9)
    assert stale.invoice_id is None and req.invoice_id is not None

    with CaptureQueriesContext(connection) as queries:
        stale.withdraw()

    sql = [q["sql"] for q in queries.captured_queries]
    invoice_lock = next(
        (n for n, q in enumerate(sql) if q.startswith('SELECT "billing_invoice"."id" AS "pk"')),
        None,
    )
    assert invoice_lock is not None, sql
    request_lock = next(
        n
        for n, q in enumerate(sql)
        if q.startswith('SELECT "licensing_republicationrequest"."id", ')
    )
    assert invoice_lock < request_lock, sql
    assert f'"billing_invoice"."id" = {req.invoice_id}' in sql[invoice_lock]
    stale.refresh_from_db()
    assert stale.status == "withdrawn"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL; SQLite serialises writes"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_approve_and_decline_one_wins(article, reviewer, second_reviewer) -> None:
    req = make_request(article)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(name: str, decision: Callable[[RepublicationRequest], None]) -> None:
        try:
            mine = RepublicationRequest.objects.get(pk=req.pk)
            barrier.wait(timeout=10)
            decision(mine)
            outcomes[name] = "done"
        except TransitionNotAllowed:
            outcomes[name] = "refused"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(
            target=decide,
            args=(
                "approve",
                lambda r: r.approve(
                    actor=reviewer, fee_minor=5000, currency="GBP", validity_days=9
                ),
            ),
        ),
        threading.Thread(
            target=decide,
            args=("decline", lambda r: r.decline(actor=second_reviewer, reason="No.")),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["done", "refused"], outcomes
    req.refresh_from_db()
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    assert req.status == {"approve": "awaiting_payment", "decline": "declined"}[winner]
    # One decision after the sending and the confirmation.
    assert req.status_changes.exclude(to_status__in=["unconfirmed", "submitted"]).count() == 1
    assert Invoice.objects.count() == (1 if winner == "approve" else 0)
