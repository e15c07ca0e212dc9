"""A publisher's journey in a real browser: from the article's address to the request's own page."""

import re
from urllib.parse import quote

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from licensing.models import Article, RepublicationRequest
from tests.e2e.helpers import (
    REQUEST_URL,
    confirm_by_email,
    emailed_request_link,
    expect_request_form,
    fill_request_form,
    send,
    start_date,
)

pytestmark = pytest.mark.e2e


def test_bootstrap_and_portal_css_load_in_the_browser(
    site: LiveServer, page: Page, console_errors: list[str]
) -> None:
    with page.expect_response("**/static/css/bootstrap.min.css") as bootstrap:
        page.goto("/")
    assert bootstrap.value.status == 200
    assert "text/css" in bootstrap.value.headers["content-type"]
    portal_css = page.request.get("/static/portal/portal.css")
    assert portal_css.status == 200
    # Applied, not just fetched: Bootstrap makes <body class="d-flex"> a flex box,
    # portal.css darkens the primary button for contrast.
    assert page.evaluate("getComputedStyle(document.body).display") == "flex"
    button = page.get_by_role("button", name="Search")
    expect(button).to_have_css("background-color", "rgb(10, 79, 168)")


def test_publisher_requests_an_article_from_its_canonical_url(
    site: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    article: Article,
    console_errors: list[str],
) -> None:
    page.goto(f"/republish/?url={quote(article.canonical_url, safe='')}")
    expect_request_form(page, article)
    expect(page.get_by_role("complementary")).to_contain_text(article.title)

    typed = fill_request_form(page)
    send(page)

    expect(page).to_have_url(REQUEST_URL)
    match = REQUEST_URL.search(page.url)
    assert match
    reference = f"RR-{timezone.localdate().year}-00001"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Request {reference}")
    # Not signed in as that address: the page asks to confirm it, and the desk sees nothing yet.
    expect(page.locator("#request-status")).to_have_text("Unconfirmed")
    expect(
        page.get_by_role("heading", name="Confirm your email to send this request")
    ).to_be_visible()
    expect(page.locator("#confirm-email")).to_contain_text(typed["email"])
    assert RepublicationRequest.objects.get(uuid=match[1]).status == "unconfirmed"

    # The requester opens the emailed link on another device: confirmed and signed in there.
    phone = new_context().new_page()
    phone.goto(emailed_request_link(typed["email"]))
    expect(phone).to_have_url(re.compile(re.escape(f"/requests/{match[1]}/") + "$"))
    expect(phone.locator("#request-status")).to_have_text("Submitted")
    expect(phone.get_by_text("your email is confirmed and your request is sent")).to_be_visible()
    expect(phone.get_by_role("status").filter(has_text=typed["email"])).to_contain_text(
        "Our desk will review your request"
    )
    # The browser that sent it follows the request too.
    page.reload()
    expect(page.locator("#request-status")).to_have_text("Submitted")

    req = RepublicationRequest.objects.get(uuid=match[1])
    assert req.reference == reference
    assert req.status == "submitted"
    assert req.article == article
    assert (req.contact_name, req.email, req.outlet_name) == (
        "Amira Haddad",
        "amira@outlet.example",
        "The Daily Example",
    )
    assert (req.outlet_type, str(req.country), req.audience_size) == ("newspaper", "FR", 250000)
    assert req.vat_number == "40303265045"
    assert (req.media, req.language, req.territory, req.duration) == (
        "online",
        "fr",
        "europe",
        "1y",
    )
    assert req.start_date == start_date()
    assert (req.extent, req.word_count, req.include_images) == ("full", None, True)
    assert req.edits == typed["edits"]
    assert req.notes == typed["notes"]

    # Another visitor with the page's address (not the emailed link) is asked to sign in
    # and learns nothing, not even that the request exists.
    other_page = new_context().new_page()
    other_page.goto(page.url)
    expect(other_page).to_have_url(re.compile(r"/account/login/\?next="))
    expect(other_page.get_by_text(reference)).to_have_count(0)
    # A link altered on the way gets a clear page, never the request.
    other_page.goto(emailed_request_link(typed["email"])[:-4] + "abcd")
    expect(other_page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    expect(other_page.get_by_text(reference)).to_have_count(0)


def test_form_works_without_javascript_and_keeps_input_after_an_error(
    site: LiveServer, new_context: CreateContextCallback, article: Article
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(article.get_absolute_url())
    page.get_by_role("link", name="Republish this article").click()
    expect_request_form(page, article)

    typed = fill_request_form(page, extent="Excerpt", word_count="")
    with page.expect_navigation() as navigation:
        send(page)
    response = navigation.value
    assert response is not None
    assert response.status == 400
    expect(page).to_have_title(re.compile(r"^Error:"))

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please correct the highlighted fields")
    expect(summary).to_contain_text("Say how many words the excerpt will have.")
    word_count = page.get_by_label("Number of words")
    expect(word_count).to_have_class(re.compile(r"\bis-invalid\b"))
    # The message sits with its field, not only in the summary at the top.
    field_error = page.locator("#div_id_word_count").get_by_text(
        "Say how many words the excerpt will have."
    )
    expect(field_error).to_be_visible()

    expect(page.get_by_label("Your name")).to_have_value(typed["contact_name"])
    expect(page.get_by_label("Email address")).to_have_value(typed["email"])
    expect(page.get_by_label("Outlet website")).to_have_value(typed["outlet_website"])
    expect(page.get_by_label("Country of the outlet")).to_have_value("FR")
    expect(page.get_by_label("Medium")).to_have_value("online")
    expect(page.get_by_label("First publication date")).to_have_value(typed["start_date"])
    expect(page.get_by_label("Excerpt", exact=True)).to_be_checked()
    expect(page.get_by_label("Planned edits or translation")).to_have_value(typed["edits"])
    expect(page.get_by_label("I accept the republishing terms")).to_be_checked()
    assert RepublicationRequest.objects.count() == 0

    word_count.fill("150")
    send(page)

    expect(page).to_have_url(REQUEST_URL)
    confirm_by_email(page)
    expect(page.locator("#request-status")).to_have_text("Submitted")
    req = RepublicationRequest.objects.get()
    assert (req.extent, req.word_count, req.email) == ("excerpt", 150, typed["email"])
