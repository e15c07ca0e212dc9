"""The figures at the top of /staff/, checked against a known set of requests and payments."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from licensing.dashboard import staff_dashboard
from licensing.models import RepublicationRequest
from tests.factories import make_invoice, make_request

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday; London is on GMT


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def _request(article, created: datetime, n: int) -> RepublicationRequest:
    with at(created):
        return make_request(article, email=f"outlet{n}@example.org")


@pytest.fixture
def known_data(article, reviewer, django_capture_on_commit_callbacks, exchange_rates) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        # A: answered and approved long ago: outside the 90 days and the 8 weeks.
        a = _request(article, datetime(2026, 8, 1, 10, 0, tzinfo=UTC), 1)
        with at(datetime(2026, 8, 1, 11, 0, tzinfo=UTC)):
            a.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
        # B: Monday 5 October 00:30 in London (BST) is still Sunday in UTC; declined 10 h later.
        b = _request(article, datetime(2026, 10, 4, 23, 30, tzinfo=UTC), 2)
        with at(datetime(2026, 10, 5, 9, 30, tzinfo=UTC)):
            b.decline(actor=reviewer, reason="No.")
        # C: approved at a fee after 3 h, then paid: approved once, not twice.
        c = _request(article, datetime(2026, 11, 3, 9, 0, tzinfo=UTC), 3)
        with at(datetime(2026, 11, 3, 12, 0, tzinfo=UTC)):
            c.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
        c.refresh_from_db()
        with at(datetime(2026, 11, 4, 10, 0, tzinfo=UTC)):
            c.invoice.record_payment(
                method="bank_transfer",
                amount_minor=c.invoice.total_minor,
                currency="GBP",
                received_on=date(2026, 11, 4),
            )
        # D: asked for information after 1 h (a response, not a decision).
        d = _request(article, datetime(2026, 11, 23, 8, 0, tzinfo=UTC), 4)
        with at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)):
            d.ask_for_information(actor=reviewer, message="Which edition?")
        # E: approved free after 5 h.
        e = _request(article, datetime(2026, 11, 24, 10, 0, tzinfo=UTC), 5)
        with at(datetime(2026, 11, 24, 15, 0, tzinfo=UTC)):
            e.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
        # F: not answered yet. G: late on Sunday 22 November.
        _request(article, datetime(2026, 11, 25, 11, 0, tzinfo=UTC), 6)
        _request(article, datetime(2026, 11, 22, 23, 30, tzinfo=UTC), 7)
        with at(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)):
            eur = make_invoice(amount_minor=5000, currency="EUR", reference="X-1")
            eur.record_payment(
                method="bank_transfer",
                amount_minor=eur.total_minor,
                currency="EUR",
                received_on=date(2026, 11, 20),
            )
            usd = make_invoice(amount_minor=7000, currency="USD", reference="X-2")
            # Received last month: not this month's revenue.
            usd.record_payment(
                method="bank_transfer",
                amount_minor=usd.total_minor,
                currency="USD",
                received_on=date(2026, 10, 31),
            )
    c.refresh_from_db()
    assert c.status == "licensed"
    return {"gbp": c.invoice.total_minor, "eur": eur.total_minor}


def test_figures_match_the_database(known_data) -> None:
    with at(NOW):
        board = staff_dashboard()
    assert [(w.week_start, w.count) for w in board.weeks] == [
        (date(2026, 10, 5), 1),
        (date(2026, 10, 12), 0),
        (date(2026, 10, 19), 0),
        (date(2026, 10, 26), 0),
        (date(2026, 11, 2), 1),
        (date(2026, 11, 9), 0),
        (date(2026, 11, 16), 1),
        (date(2026, 11, 23), 3),
    ]
    # Waits of 10 h, 3 h, 1 h and 5 h: the median of an even count is the mean of the middle two.
    assert board.median_first_response == timedelta(hours=4)
    assert board.responded_count == 4
    assert (board.approved, board.declined) == (2, 1)
    assert board.approval_rate == pytest.approx(2 / 3)
    assert known_data == {"gbp": 12000, "eur": 6000}  # net plus 20% VAT, paid in full
    assert board.revenue == [("EUR", 6000, "60.00 EUR"), ("GBP", 12000, "120.00 GBP")]


def test_staff_page_shows_the_figures_and_an_accessible_chart(
    known_data, reviewer_client: Client
) -> None:
    with at(NOW):
        html = reviewer_client.get("/staff/").content.decode()
    assert re.search(r'data-figure="median-first-response">4 h 0 min<', html)
    assert 'data-figure="approval-rate">67%<' in html
    assert '<span class="d-block fs-5" data-currency="GBP">120.00 GBP</span>' in html
    assert '<span class="d-block fs-5" data-currency="EUR">60.00 EUR</span>' in html
    assert "USD" not in html.split('data-figure="revenue"')[1].split("</dd>")[0]
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'role="img"' in svg
    assert "week of 23 Nov: 3" in svg and "week of 5 Oct: 1" in svg
    cells = dict(re.findall(r'<td data-week="([\d-]+)">(\d+)</td>', html))
    assert cells["2026-11-23"] == "3" and cells["2026-10-12"] == "0" and len(cells) == 8
    assert html.index('id="dashboard"') < html.index("<tbody>")


def test_empty_desk_shows_dashes(reviewer_client: Client, db) -> None:
    html = reviewer_client.get("/staff/").content.decode()
    assert 'data-figure="median-first-response">—<' in html
    assert 'data-figure="approval-rate">—<' in html
    board = staff_dashboard()
    assert board.revenue == [] and board.requests_total == 0
    assert all(w.height == 0 for w in board.weeks)
