"""Full-page screenshots of the public pages at desktop and phone widths.

They land in tests/e2e/screenshots/ (git-ignored) as {desktop,mobile}-<page>.png
for a person to look at.
The test itself checks what a machine can: every page renders with its
heading and nothing is wider than the screen.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import ViewportSize, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from licensing.models import Article
from tests.e2e.helpers import DESKTOP, MOBILE, REQUEST_URL, fill_request_form, send
from tests.factories import make_article

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
def test_screenshots_of_the_public_pages(
    site: LiveServer,
    new_context: CreateContextCallback,
    catalogue: list[Article],
    screenshot_dir: Path,
    width_name: str,
    viewport: ViewportSize,
) -> None:
    article = catalogue[0]
    mobile = width_name == "mobile"
    context = new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
    page = context.new_page()
    overflowing: dict[str, int] = {}

    def shoot(name: str) -> None:
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=screenshot_dir / f"{width_name}-{name}.png", full_page=True)
        if (extra := page.evaluate(OVERFLOW_JS)) > 0:
            overflowing[name] = extra

    page.goto("/")
    shoot("home")
    page.goto("/articles/")
    shoot("articles")
    page.goto(article.get_absolute_url())
    shoot("article")
    page.goto(article.get_republish_url())
    shoot("form-empty")

    page.locator("form#request-form").evaluate("form => { form.noValidate = true; }")
    send(page)
    expect(page.get_by_role("alert")).to_be_visible()
    shoot("form-errors")

    fill_request_form(page)
    send(page)
    expect(page).to_have_url(REQUEST_URL)
    shoot("request-status")

    assert overflowing == {}, f"pages wider than the {viewport['width']}px screen"
