"""Inputs a reviewer found that used to fail: each answers cleanly now."""

import itertools
import re

import pytest
from django.test import Client

from tests.factories import make_article, make_request, submit_and_confirm


@pytest.mark.parametrize(
    "url",
    [
        "/verify/LIC%00x/",
        "/republish/?url=https://a%00b",
        "/articles/?q=a%00b",
        "/staff/invoices/INV%00/",
    ],
)
def test_nul_bytes_in_urls_are_404_not_500(client: Client, db, url: str) -> None:
    # PostgreSQL refuses NUL in text; the guard answers before any query.
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_catalogue_headings_do_not_skip_a_level(client: Client, db) -> None:
    make_article(title="A headline")
    html = client.get("/articles/").content.decode()
    levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", html)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_card_button_needs_both_stripe_keys(client: Client, article, reviewer, settings) -> None:
    req = submit_and_confirm(client, article)
    req.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", ""
    assert "Pay by card" not in client.get(f"/requests/{req.uuid}/").content.decode()
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert "Pay by card" in client.get(f"/requests/{req.uuid}/").content.decode()


def test_long_emails_get_their_own_accounts(article) -> None:
    stem = "x" * 150
    first = make_request(article, email=f"{stem}a@example.org")
    second = make_request(article, email=f"{stem}b@example.org")
    assert first.requester_id != second.requester_id
    assert first.requester.email == f"{stem}a@example.org"
