"""What a person does in the browser, shared by the journey tests."""

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

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
        "outlet_address": "12 rue de la Paix\n75002 Paris",
        "purchase_order": "",
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
    page.get_by_label("Postal address for the invoice").fill(values["outlet_address"])
    page.get_by_label("Purchase order or reference").fill(values["purchase_order"])
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


# --- The requester's mailbox ---------------------------------------------------

EMAILED_REQUEST_LINK = re.compile(r"https?://[^/\s]+(/requests/[0-9a-f-]{36}/\?link=\S+)")


def emailed_request_link(address: str = "amira@outlet.example") -> str:
    """The request link in the latest email to `address`, as its mailbox shows it.

    Emails go out on commit, before the page that follows the submission is
    served, so the link is there once the browser shows that page. Returned as
    a path: the link names PORTAL_BASE_URL, the live server listens elsewhere.
    """
    from django.core import mail

    for message in reversed(mail.outbox):
        if address in message.to and (match := EMAILED_REQUEST_LINK.search(message.body)):
            return match.group(1)
    pytest.fail(f"no email to {address} carries a request link")


def confirm_by_email(page: Page, address: str = "amira@outlet.example") -> None:
    """The page just sent asks to confirm; the requester opens the emailed link in `page`."""
    expect(page.locator("#request-status")).to_have_text("Unconfirmed")
    expect(page.locator("#confirm-email")).to_contain_text(address)
    page.goto(emailed_request_link(address))
    expect(page).to_have_url(REQUEST_URL)


# --- Signing in, downloads ---------------------------------------------------


def sign_in_staff(page: Page, username: str, password: str, *, next_url: str = "/staff/") -> None:
    """Staff sign in with username and password on Django's login page."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


def download(page: Page, link_name: str) -> tuple[str, bytes]:
    """Click a download link as a person would; the file's suggested name and its bytes."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    path = info.value.path()
    return info.value.suggested_filename, Path(path).read_bytes()


def pdf_text(pdf: bytes) -> str:
    """The text of every page, whitespace collapsed, as pypdf reads it back."""
    assert pdf.startswith(b"%PDF-"), pdf[:40]
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


# --- Accessibility -----------------------------------------------------------

# axe-core from the npm package pinned in package-lock.json (`make axe` installs it).
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}

# Every visible form control, and whether something names it: its own <label>,
# or for a radio button the <legend> of the fieldset around its group.
UNLABELLED_CONTROLS_JS = """
root => [...root.querySelectorAll("input, select, textarea")]
  .filter(el => el.type !== "hidden" && el.type !== "submit" && el.getClientRects().length > 0)
  .filter(el => {
    if (el.labels && el.labels.length > 0) return false;
    if (el.type === "radio") {
      const legend = el.closest("fieldset")?.querySelector("legend");
      return !(legend && legend.textContent.trim());
    }
    return true;
  })
  .map(el => el.outerHTML.slice(0, 120))
"""

AXE_RUN_JS = """
async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => `${n.target.join(" ")}: ${n.failureSummary}`),
  }));
}
"""


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now.

    The script goes in through evaluate (the DevTools protocol), which the
    portal's Content-Security-Policy does not govern, unlike a <script> tag.
    """
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make axe` (npm ci) first.")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text() + "\n;undefined")
    violations = page.evaluate(AXE_RUN_JS)
    return [v for v in violations if v["impact"] in FAILING_IMPACTS]


def check_accessibility(page: Page) -> None:
    """One h1, every visible control labelled, no serious or critical axe-core violation."""
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_be_visible()
    assert page.locator("body").evaluate(UNLABELLED_CONTROLS_JS) == [], page.url
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: " + json.dumps(violations, indent=2)
