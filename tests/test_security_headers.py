"""Content-Security-Policy and X-Frame-Options on every page; pages the policy would break.

The policy allows scripts and styles from this site only, so no page may carry
an inline <script>, an on...= event handler or a style= attribute.
"""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client

from licensing.models import Article, RepublicationRequest
from tests.factories import approved_request, request_form_data

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self' https://checkout.stripe.com",
}
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def inline_code(html: str) -> list[str]:
    """Everything in `html` that the policy would block."""
    found = []
    for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE, STYLE_ELEMENT):
        found += [match.group(0)[:120] for match in pattern.finditer(html)]
    return found


def test_the_scanner_finds_what_the_policy_blocks() -> None:
    # The check below is only as good as these patterns.
    assert inline_code('<script>alert(1)</script><script src="/a.js"></script>') == ["<script>"]
    assert inline_code('<button type="button" onclick="go()">') != []
    assert inline_code('<p class="x" style="color: red">') != []
    assert inline_code("<style>p{}</style>") != []
    assert inline_code('<script src="/static/a.js" defer></script><p class="one-line">') == []


@pytest.fixture
def staff_client(reviewer: User) -> Client:
    client = Client()
    client.force_login(reviewer)
    return client


@pytest.fixture
def invoiced(article: Article, reviewer: User) -> RepublicationRequest:
    return approved_request(article, actor=reviewer, notes="Line one\nline two", fee_minor=10000)


@pytest.fixture
def pages(
    client: Client,
    staff_client: Client,
    finance: User,
    superuser: User,
    article: Article,
    invoiced: RepublicationRequest,
) -> dict[str, tuple[Client, str]]:
    """Which browser sees which page: the public ones, the requester's, staff and admin."""
    requester = Client()
    assert invoiced.requester is not None
    requester.force_login(invoiced.requester)
    finance_client = Client()
    finance_client.force_login(finance)
    admin = Client()
    admin.force_login(superuser)
    assert invoiced.invoice is not None
    return {
        "home": (client, "/"),
        "catalogue": (client, "/articles/"),
        "article": (client, article.get_absolute_url()),
        "request form": (client, article.get_republish_url()),
        "verify": (client, "/verify/"),
        "verify unknown": (client, "/verify/LIC-2026-999999/"),
        "staff login": (client, "/accounts/login/"),
        "magic link form": (client, "/account/login/"),
        "not found": (client, "/no-such-page/"),
        "request page": (requester, invoiced.get_absolute_url()),
        "account": (requester, "/account/"),
        "staff queue": (staff_client, "/staff/"),
        "staff request": (staff_client, f"/staff/requests/{invoiced.pk}/"),
        "invoices": (finance_client, "/staff/invoices/"),
        "invoice": (finance_client, f"/staff/invoices/{invoiced.invoice.number}/"),
        "admin index": (admin, "/admin/"),
        "admin list": (admin, "/admin/licensing/republicationrequest/"),
        "admin change": (admin, f"/admin/licensing/republicationrequest/{invoiced.pk}/change/"),
        "admin add": (admin, "/admin/licensing/article/add/"),
    }


PAGE_NAMES = [
    "home",
    "catalogue",
    "article",
    "request form",
    "verify",
    "verify unknown",
    "staff login",
    "magic link form",
    "not found",
    "request page",
    "account",
    "staff queue",
    "staff request",
    "invoices",
    "invoice",
    "admin index",
    "admin list",
    "admin change",
    "admin add",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_has_the_policy_and_nothing_it_would_block(pages, name: str) -> None:
    browser, url = pages[name]
    response = browser.get(url)
    assert response.status_code in (200, 404), (name, response.status_code)
    assert policy(response) == EXPECTED_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert inline_code(response.content.decode()) == [], name


def test_request_form_with_errors_has_nothing_the_policy_blocks(
    client: Client, article: Article
) -> None:
    # Crispy's error rendering and django-countries' select, as a refused form shows them.
    response = client.post(article.get_republish_url(), request_form_data(country="XX"))
    assert response.status_code == 400
    assert inline_code(response.content.decode()) == []


def test_error_pages_have_nothing_the_policy_blocks(settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert inline_code(render_to_string("500.html")) == []


def test_redirects_and_files_carry_the_policy_too(client: Client, db) -> None:
    response = client.get("/republish/?url=https://nowhere.example/")
    assert "Content-Security-Policy" in response
    assert client.get("/healthz")["X-Frame-Options"] == "DENY"


def test_form_action_allows_the_stripe_checkout_redirect(client: Client, settings, db) -> None:
    # "Pay by card" answers a POST with a 303 to Stripe Checkout; browsers check
    # form-action against that redirect, so the checkout origin must be listed.
    assert policy(client.get("/"))["form-action"] == f"'self' {settings.STRIPE_CHECKOUT_ORIGIN}"


def test_demo_article_keeps_its_own_looser_style_policy(client: Client, settings, db) -> None:
    # It imitates the publisher's page (with its own <style>), not one of ours.
    settings.DEBUG = True
    response = client.get("/demo/article/")
    assert "'unsafe-inline'" in policy(response)["style-src"]
    assert policy(response)["script-src"] == "'self'"


def _template_files() -> list[Path]:
    folders = [ROOT / "templates", *ROOT.glob("*/templates")]
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*.html")
        if ".venv" not in path.parts and "emails" not in path.relative_to(folder).parts
    )


# Not portal pages: the demo stands in for the publisher's own article page.
NOT_OURS = {ROOT / "templates/integrations/demo_article.html"}


def test_no_template_has_inline_script_handler_or_style() -> None:
    """Also catches templates no page above renders (emails are exempt: mail, not pages)."""
    files = _template_files()
    assert ROOT / "templates/base.html" in files
    offending = {
        str(path.relative_to(ROOT)): found
        for path in files
        if path not in NOT_OURS and (found := inline_code(path.read_text()))
    }
    assert offending == {}
