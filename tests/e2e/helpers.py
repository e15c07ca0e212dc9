"""What a person does in the browser, shared by the journey tests."""

import re
from datetime import date, timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from licensing.models import Article

DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
REQUEST_URL = re.compile(r"/requests/([0-9a-f-]{36})/$")


def start_date() -> date:
    return timezone.localdate() + timedelta(days=7)


def expect_request_form(page: Page, article: Article) -> None:
    expect(page).to_have_url(re.compile(re.escape(article.get_republish_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Request to republish")


def fill_request_form(page: Page, **overrides: str) -> dict[str, str]:
    """Fill every field of the request form through its visible label, as a person would.

    Returns the values used, so a test can check they were kept or stored.
    extent="Excerpt" with word_count="" leaves an excerpt without its length.
    """
    values = {
        "contact_name": "Amira Haddad",
        "email": "amira@outlet.example",
        "outlet_name": "The Daily Example",
        "outlet_website": "https://daily.example",
        "outlet_type": "Newspaper or magazine",
        "country": "France",
        "audience_size": "250000",
        "vat_number": "FR 40 303 265 045",
        "media": "Website or app",
        "language": "French",
        "territory": "Europe",
        "duration": "1 year",
        "start_date": start_date().isoformat(),
        "extent": "Full text",
        "word_count": "",
        "edits": "Translation into French; headline shortened.",
        "notes": "We will credit the publisher at the top of the article.",
        **overrides,
    }
    page.get_by_label("Your name").fill(values["contact_name"])
    page.get_by_label("Email address").fill(values["email"])
    page.get_by_label("Outlet name").fill(values["outlet_name"])
    page.get_by_label("Outlet website").fill(values["outlet_website"])
    page.get_by_label("Type of outlet").select_option(label=values["outlet_type"])
    page.get_by_label("Country of the outlet").select_option(label=values["country"])
    page.get_by_label("Audience size").fill(values["audience_size"])
    page.get_by_label("VAT number").fill(values["vat_number"])
    page.get_by_label("Medium").select_option(label=values["media"])
    page.get_by_label("Language of publication").select_option(label=values["language"])
    page.get_by_label("Territory").select_option(label=values["territory"])
    page.get_by_label("Duration").select_option(label=values["duration"])
    page.get_by_label("First publication date").fill(values["start_date"])
    page.get_by_label(values["extent"], exact=True).check()
    page.get_by_label("Number of words").fill(values["word_count"])
    page.get_by_label("I also want to use the article's images").check()
    page.get_by_label("Planned edits or translation").fill(values["edits"])
    page.get_by_label("Anything else we should know").fill(values["notes"])
    page.get_by_label("I accept the republishing terms").check()
    return values


def send(page: Page) -> None:
    page.get_by_role("button", name="Send request").click()
