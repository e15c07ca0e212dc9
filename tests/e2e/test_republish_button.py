"""The "Republish this article" button on a publisher's page, clicked in a real browser."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from licensing.models import Article
from tests.e2e.helpers import check_accessibility, expect_request_form
from tests.factories import make_article

pytestmark = pytest.mark.e2e

SEED_URL = "https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front"


@pytest.fixture
def seed_article(site: LiveServer) -> Article:
    return make_article(
        title="Central Asian fighters in Syria join al-Nusra Front",
        slug="central-asian-fighters-syria-join-al-nusra-front",
        canonical_url=SEED_URL,
    )


def test_button_on_the_demo_article_opens_the_request_form(
    site: LiveServer, page: Page, seed_article: Article, settings, console_errors: list[str]
) -> None:
    settings.DEBUG = True  # the demo page exists only with DEBUG on
    page.goto("/demo/article/")
    button = page.get_by_role("link", name="fill out this form")
    # The script kept the link pointing at the form for the page's canonical URL, and styled it.
    expect(button).to_have_attribute(
        "href", f"{site.url}/republish/?url={quote(SEED_URL, safe='')}"
    )
    expect(button).to_have_class(re.compile(r"\brepublish-button\b"))
    check_accessibility(page)  # the button must not make the publisher's page less accessible
    button.click()
    expect_request_form(page, seed_article)
    expect(page.get_by_text(seed_article.title).first).to_be_visible()
