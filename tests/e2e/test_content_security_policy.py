"""The Content-Security-Policy in a real browser: nothing refused, the scripts still work.

Chromium reports every blocked script, style or form target as a console
error ("Refused to ... because it violates the following Content Security
Policy directive"); a page whose policy blocked anything fails here. The
pages' own scripts (the live estimate) and the admin's (slug filled from the
title) must keep working under it.
"""

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from licensing.models import Article
from tests.e2e.helpers import confirm_by_email, fill_request_form, send, sign_in_staff
from tests.factories import make_article, make_price_rule

pytestmark = pytest.mark.e2e


@pytest.fixture
def refused(page: Page) -> Iterator[list[str]]:
    """What the browser refused to load or run because of the policy: nothing, at the end."""
    messages: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            messages.append(message.text)

    page.on("console", on_console)
    yield messages
    assert messages == []


@pytest.fixture
def article(site: LiveServer) -> Article:
    return make_article(title="Water rights in the Jordan valley", slug="water-rights")


def test_public_pages_and_the_live_estimate(
    page: Page, article: Article, refused: list[str], console_errors: list[str]
) -> None:
    make_price_rule(name="Websites", media="online", fee_minor=12000, currency="GBP")
    for url in ("/", "/articles/", article.get_absolute_url(), "/verify/", "/account/login/"):
        response = page.goto(url)
        assert (
            response is not None
            and "script-src 'self'" in response.headers["content-security-policy"]
        )
    page.goto(article.get_republish_url())
    # estimate.js (a static file) fetches the estimate as options change.
    page.get_by_label("Medium").select_option(label="Website or app")
    expect(page.locator("#estimate")).to_contain_text("120.00")
    fill_request_form(page, country="United Kingdom", vat_number="")
    send(page)
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]+/$"))
    confirm_by_email(page)
    expect(page.get_by_text("Submitted").first).to_be_visible()


def test_staff_pages_and_the_admin_keep_working(
    page: Page, article: Article, refused: list[str], site: LiveServer
) -> None:
    User.objects.create_superuser("chief", "chief@publisher.example", "pw-for-e2e-tests")
    sign_in_staff(page, "chief", "pw-for-e2e-tests")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/admin/")
    expect(page.get_by_role("link", name="Articles").first).to_be_visible()
    # The admin's prepopulated slug is its own script reading the title field.
    page.goto("/admin/licensing/article/add/")
    page.get_by_label("Title").press_sequentially("Olive harvest season")
    expect(page.get_by_label("Slug")).to_have_value("olive-harvest-season")
    page.goto(f"/admin/licensing/article/{article.pk}/change/")
    expect(page.get_by_label("Title")).to_have_value(article.title)
