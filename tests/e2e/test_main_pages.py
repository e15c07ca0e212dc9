"""Every main page, as the people who use it see it, at desktop and phone widths.

On each page: exactly one h1, every visible control labelled, no serious or
critical axe-core violation, nothing wider than the screen. Full-page
screenshots land in tests/e2e/screenshots/ (git-ignored) as
{desktop,mobile}-<page>.png for a person to look at.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from licensing.models import Article
from tests.e2e.helpers import (
    DESKTOP,
    MOBILE,
    REQUEST_URL,
    check_accessibility,
    confirm_by_email,
    fill_request_form,
    send,
    sign_in_staff,
)
from tests.factories import approved_request, make_article, make_request, make_request_in
from tests.stripe_stub import StripeStub

pytestmark = pytest.mark.e2e

OVERFLOW_JS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def catalogue(article: Article) -> list[Article]:
    """A catalogue that looks like the real one: long titles, standfirsts, an Arabic article."""
    now = timezone.now()
    others = [
        make_article(
            title="Gaza ceasefire talks resume in Cairo as aid convoys wait at Rafah crossing",
            standfirst="Negotiators from Egypt, Qatar and the United States met for a third day, "
            "while hundreds of lorries remained stuck on the Egyptian side of the border.",
            author="Lubna Masarwa",
            section="News",
            published_at=now - timedelta(hours=5),
            word_count=1150,
        ),
        make_article(
            title="Analysis: Why the Gulf states are rethinking their approach to Iran",
            standfirst="Saudi Arabia and the UAE are hedging their bets as regional alliances "
            "shift, according to diplomats and analysts in Riyadh and Abu Dhabi.",
            author="Sean Mathews",
            section="Analysis",
            published_at=now - timedelta(days=1),
            word_count=2300,
        ),
        make_article(
            title="مفاوضات وقف إطلاق النار تستأنف في القاهرة",
            standfirst="التقى المفاوضون لليوم الثالث على التوالي في العاصمة المصرية.",
            author="فريق التحرير",
            section="أخبار",
            language="ar",
            published_at=now - timedelta(days=2),
            word_count=640,
        ),
        make_article(
            title="Turkey's central bank holds rates steady despite inflation pressure",
            standfirst="",
            author="Ragip Soylu",
            section="Economy",
            published_at=now - timedelta(days=3),
            word_count=780,
            has_images=False,
        ),
    ]
    article.standfirst = (
        "Hundreds of fighters from Uzbekistan and Tajikistan have pledged allegiance to "
        "al-Qaeda's Syrian affiliate, according to a video released online."
    )
    article.author = "MEE staff"
    article.section = "News"
    article.save()
    return [article, *others]


@pytest.mark.parametrize(("width_name", "viewport"), [("desktop", DESKTOP), ("mobile", MOBILE)])
def test_every_main_page_is_accessible_and_fits_the_screen(
    site: LiveServer,
    new_context: CreateContextCallback,
    catalogue: list[Article],
    reviewer: User,
    finance: User,
    stripe_stub: StripeStub,
    screenshot_dir: Path,
    width_name: str,
    viewport: ViewportSize,
) -> None:
    article = catalogue[0]
    # The requester's requests in the states with the most on their page.
    awaiting = approved_request(article, actor=reviewer, fee_minor=18000)
    licensed = make_request_in(catalogue[1], "licensed", actor=reviewer)
    make_request(
        catalogue[3],
        contact_name="Jean Dupont",
        email="jean@hebdo.example",
        outlet_name="L'Hebdo du Sud",
        country="FR",
    )
    licence = licensed.licence
    mobile = width_name == "mobile"
    overflowing: dict[str, int] = {}
    checked: list[str] = []

    def browser() -> Page:
        return new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile).new_page()

    def look_at(page: Page, name: str, url: str | None = None) -> None:
        if url is not None:
            page.goto(url)
        check_accessibility(page)
        page.screenshot(path=screenshot_dir / f"{width_name}-{name}.png", full_page=True)
        if (extra := page.evaluate(OVERFLOW_JS)) > 0:
            overflowing[name] = extra
        checked.append(name)

    # A publisher finds an article and sends a request.
    page = browser()
    look_at(page, "home", "/")
    look_at(page, "catalogue", "/articles/")
    look_at(page, "article", article.get_absolute_url())
    look_at(page, "form", article.get_republish_url())
    page.locator("form#request-form").evaluate("form => { form.noValidate = true; }")
    send(page)
    expect(page.get_by_role("alert")).to_be_visible()
    look_at(page, "form-errors")
    fill_request_form(page, email="desk@other-outlet.example")
    send(page)
    expect(page).to_have_url(REQUEST_URL)
    look_at(page, "request-unconfirmed")
    confirm_by_email(page, "desk@other-outlet.example")
    look_at(page, "request-submitted")
    look_at(page, "404", "/no-such-page/")

    # The first requester signs in with a link by email and looks at their requests.
    page = browser()
    look_at(page, "account-login", "/account/login/")
    page.get_by_label("Email address").fill(awaiting.email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    look_at(page, "account-link-sent")
    [message] = [m for m in mail.outbox if m.to == [awaiting.email] and "sesame=" in m.body]
    link = re.search(r"/account/magic/\?sesame=\S+", message.body)
    assert link
    page.goto(link[0])
    expect(page).to_have_url(re.compile(r"/account/$"))
    look_at(page, "account")
    look_at(page, "request-awaiting-payment", awaiting.get_absolute_url())
    look_at(page, "request-licensed", licensed.get_absolute_url())

    # Anyone checks a licence.
    page = browser()
    look_at(page, "verify-form", "/verify/")
    look_at(page, "verify", f"/verify/{licence.number}/")

    # The desk: sign in, the queue, one request.
    page = browser()
    look_at(page, "staff-login", "/accounts/login/?next=/staff/")
    sign_in_staff(page, "reviewer", "pw-for-tests")
    look_at(page, "staff-queue")
    look_at(page, "staff-request", f"/staff/requests/{awaiting.pk}/")

    # Finance: the invoices and one invoice.
    page = browser()
    sign_in_staff(page, "finance", "pw-for-tests", next_url="/staff/invoices/")
    look_at(page, "finance-invoices")
    assert awaiting.invoice is not None
    look_at(page, "finance-invoice", f"/staff/invoices/{awaiting.invoice.number}/")

    assert len(checked) == 20
    assert overflowing == {}, f"pages wider than the {viewport['width']}px screen"
