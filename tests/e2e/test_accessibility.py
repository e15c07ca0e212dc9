"""Keyboard and screen-reader basics of the request form, checked in the browser.

Every main page gets the same checks (one h1, labels, axe-core) in test_main_pages.py.
"""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from licensing.models import Article, PriceRule, RepublicationRequest
from tests.e2e.helpers import (
    REQUEST_URL,
    UNLABELLED_CONTROLS_JS,
    axe_violations,
    check_accessibility,
    confirm_by_email,
    expect_request_form,
    start_date,
)

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


# The option's position, so the arrow keys can reach it from the current one.
OPTION_INDEX_JS = """
([label]) => [...document.activeElement.options].findIndex(o => o.text.trim() === label)
"""
# Bootstrap marks keyboard focus with a box shadow (or the browser's outline).
FOCUS_SHOWN_JS = """
() => {
  const style = getComputedStyle(document.activeElement);
  const outline = style.outlineStyle !== "none" && style.outlineWidth !== "0px";
  return style.boxShadow !== "none" || outline;
}
"""


def tab_to(page: Page, name: str) -> None:
    """Press Tab until the control named `name` has the focus, and see that it shows."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == name:
            assert page.evaluate(FOCUS_SHOWN_JS), f"{name}: focus not visible"
            return
    pytest.fail(f"Tab never reached {name!r}")


def choose(page: Page, label: str) -> None:
    """Pick an option of the focused <select> with the arrow keys (they do not open it here)."""
    target = page.evaluate(OPTION_INDEX_JS, [label])
    assert target >= 0, label
    current = page.evaluate("document.activeElement.selectedIndex")
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        page.keyboard.press(key)
    assert page.evaluate("document.activeElement.selectedIndex") == target


def test_request_form_is_filled_and_sent_with_the_keyboard_only(
    site: LiveServer,
    new_context: CreateContextCallback,
    article: Article,
    console_errors: list[str],
) -> None:
    PriceRule.objects.create(name="Newspapers", outlet_type="newspaper", fee_minor=18000)
    page = new_context().new_page()
    page.goto(article.get_republish_url())
    expect_request_form(page, article)
    keyboard = page.keyboard

    for name, text in [
        ("contact_name", "Amira Haddad"),
        ("email", "amira@outlet.example"),
        ("outlet_name", "The Daily Example"),
        ("outlet_website", "https://daily.example"),
    ]:
        tab_to(page, name)
        keyboard.type(text)
    for name, option in [("outlet_type", "Newspaper or magazine"), ("country", "United Kingdom")]:
        tab_to(page, name)
        choose(page, option)
    tab_to(page, "audience_size")
    keyboard.type("250000")
    tab_to(page, "vat_number")  # none: a UK outlet without one
    tab_to(page, "outlet_address")
    keyboard.type("1 Example Road")
    keyboard.press("Enter")  # a textarea: Enter starts the next line
    keyboard.type("Manchester M1 1AA")
    tab_to(page, "purchase_order")  # optional: none
    for name, option in [
        ("media", "Website or app"),
        ("language", "English"),
        ("territory", "Worldwide"),
    ]:
        tab_to(page, name)
        choose(page, option)
    # The date field takes day and month in the browser's own order (mm/dd in
    # en-US, dd/mm in en-GB): a day equal to its month reads the same in both.
    start = next(
        day
        for day in (start_date() + timedelta(days=n) for n in range(400))
        if day.day == day.month
    )
    tab_to(page, "start_date")
    keyboard.type(start.strftime("%d%m%Y"))
    tab_to(page, "duration")
    choose(page, "1 year")
    tab_to(page, "extent")
    keyboard.press("Space")  # the first of the group: "Full text"
    tab_to(page, "include_images")
    keyboard.press("Space")
    tab_to(page, "edits")
    keyboard.type("None.")
    tab_to(page, "accept_terms")
    keyboard.press("Space")

    expect(page.get_by_label("First publication date")).to_have_value(start.isoformat())
    expect(page.get_by_label("Full text", exact=True)).to_be_checked()
    expect(page.get_by_label("I accept the republishing terms")).to_be_checked()
    expect(page.locator("#estimate")).to_contain_text("180.00 GBP")
    tab_to(page, "submit")
    keyboard.press("Enter")

    expect(page).to_have_url(REQUEST_URL)
    confirm_by_email(page)
    expect(page.locator("#request-status")).to_have_text("Submitted")
    req = RepublicationRequest.objects.get()
    assert (req.contact_name, req.email, req.outlet_website) == (
        "Amira Haddad",
        "amira@outlet.example",
        "https://daily.example",
    )
    assert req.outlet_address == "1 Example Road\nManchester M1 1AA"
    assert (req.outlet_type, str(req.country), req.audience_size, req.vat_number) == (
        "newspaper",
        "GB",
        250000,
        "",
    )
    assert (req.media, req.language, req.territory, req.duration) == (
        "online",
        "en",
        "worldwide",
        "1y",
    )
    assert (req.start_date, req.extent, req.include_images, req.edits) == (
        start,
        "full",
        True,
        "None.",
    )


def test_the_axe_check_fails_on_a_real_violation(site: LiveServer, page: Page) -> None:
    """The check itself: a control without a label and grey-on-white text are caught."""
    page.goto("/")
    check_accessibility(page)
    # Styled through the CSSOM: the Content-Security-Policy refuses style="" attributes.
    page.locator("main").evaluate(
        """main => {
            main.insertAdjacentHTML("beforeend", '<input type="text"><p id="faint">Faint text</p>');
            document.getElementById("faint").style.color = "#bbb";
        }"""
    )
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"label", "color-contrast"} <= found
