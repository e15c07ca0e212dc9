"""Keyboard and screen-reader basics of the request form, checked in the browser."""

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from licensing.models import Article
from tests.e2e.helpers import UNLABELLED_CONTROLS_JS, expect_request_form

pytestmark = pytest.mark.e2e

DUPLICATE_IDS_JS = """
() => {
  const ids = [...document.querySelectorAll("[id]")].map(el => el.id);
  return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
}
"""


def test_first_tab_reaches_the_skip_link_which_moves_focus_to_main(
    site: LiveServer, page: Page, article: Article
) -> None:
    page.goto(article.get_republish_url())
    expect_request_form(page, article)

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # visually hidden until focused

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_every_form_control_has_a_label_and_the_page_a_language(
    site: LiveServer, page: Page, article: Article
) -> None:
    page.goto(article.get_republish_url())
    expect_request_form(page, article)

    assert page.evaluate("document.documentElement.lang").startswith("en")
    form = page.locator("form#request-form")
    assert form.evaluate(UNLABELLED_CONTROLS_JS) == []
    # A duplicated id makes a <label for> name the wrong control.
    assert page.evaluate(DUPLICATE_IDS_JS) == []
    extent = page.get_by_role("group", name="Full text or excerpt")
    expect(extent.get_by_role("radio")).to_have_count(2)  # no "- Select an option -" radio


def test_errors_are_announced_and_tied_to_their_fields(
    site: LiveServer, page: Page, article: Article
) -> None:
    page.goto(article.get_republish_url())
    # Skip the browser's own validation so the server's messages show.
    page.locator("form#request-form").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields")
    your_name = page.get_by_label("Your name")
    expect(your_name).to_have_attribute("aria-invalid", "true")
    expect(your_name).to_have_accessible_description("This field is required.")
    # The summary links jump to the field.
    page.get_by_role("link", name="Your name: This field is required.").click()
    expect(your_name).to_be_focused()
