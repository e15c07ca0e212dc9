"""POST /requests/<uuid>/withdraw/: the requester cancels while it is not yet licensed."""

import re

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from licensing.models import StatusChange


@pytest.mark.parametrize("state", ["submitted", "info_requested", "awaiting_payment"])
def test_withdraw_while_open(requester: Client, submitted, reviewer, state) -> None:
    if state == "info_requested":
        submitted.ask_for_information(actor=reviewer, message="Audience?")
    elif state == "awaiting_payment":
        submitted.approve(actor=reviewer, fee_minor=15000, currency="GBP", validity_days=30)
    response = requester.post(f"/requests/{submitted.uuid}/withdraw/", follow=True)
    submitted.refresh_from_db()
    assert submitted.status == "withdrawn"
    assert "Your request was withdrawn." in response.content.decode()
    assert ">Withdrawn<" in response.content.decode()
    assert "Withdraw this request" not in response.content.decode()


def test_withdrawing_sends_no_email(requester: Client, submitted, reviewer) -> None:
    """The requester sees it done on the page; only a cancellation by staff is emailed."""
    submitted.approve(actor=reviewer, fee_minor=15000, currency="GBP", validity_days=30)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        requester.post(f"/requests/{submitted.uuid}/withdraw/")
    submitted.refresh_from_db()
    assert submitted.status == "withdrawn"
    assert mail.outbox == []


def test_a_request_our_desk_cancelled_says_so_and_why(
    requester: Client, submitted, reviewer
) -> None:
    submitted.approve(actor=reviewer, fee_minor=15000, currency="GBP", validity_days=30)
    submitted.withdraw(actor=reviewer, note="A duplicate of RR-2026-00009.")
    html = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "Our desk cancelled this request." in html
    assert "You withdrew this request." not in html
    assert 'id="cancellation"' in html and "A duplicate of RR-2026-00009." in html
    # The status in words stays the contract's "Withdrawn" (DESIGN.md, Pages).
    assert re.search(r'id="request-status">Withdrawn<', html)
    assert 'id="refund"' not in html  # nothing was paid


def test_a_part_paid_request_cancelled_says_the_payment_is_refunded(
    requester: Client, submitted, reviewer
) -> None:
    submitted.approve(actor=reviewer, fee_minor=15000, currency="GBP", validity_days=30)
    submitted.invoice.record_payment(
        method="bank_transfer",
        amount_minor=5000,
        currency="GBP",
        received_on=timezone.localdate(),
    )
    submitted.withdraw(actor=reviewer, note="The outlet closed.")
    html = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert re.search(
        r'id="refund">We received 50.00 GBP towards it: we will refund it to you.<', html
    )


def test_a_request_its_requester_withdrew_gives_no_reason(requester: Client, submitted) -> None:
    requester.post(f"/requests/{submitted.uuid}/withdraw/")
    html = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "You withdrew this request." in html
    assert 'id="cancellation"' not in html
    assert re.search(r'id="request-status">Withdrawn<', html)


def test_withdraw_after_licence_is_refused(requester: Client, submitted, reviewer) -> None:
    submitted.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    changes = StatusChange.objects.count()
    response = requester.post(f"/requests/{submitted.uuid}/withdraw/", follow=True)
    submitted.refresh_from_db()
    assert submitted.status == "licensed"
    assert StatusChange.objects.count() == changes
    assert "Cannot withdraw request" in response.content.decode()


def test_withdraw_needs_post(requester: Client, submitted) -> None:
    assert requester.get(f"/requests/{submitted.uuid}/withdraw/").status_code == 405


def test_stranger_cannot_withdraw(other_requester: Client, submitted) -> None:
    assert other_requester.post(f"/requests/{submitted.uuid}/withdraw/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
