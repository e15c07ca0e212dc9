"""A correction sent from the desk's article page and acknowledged by a licensee in a
fresh browser; a takedown asked for without JavaScript. axe-core checks every page."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from licensing.models import Article, LicenceNotice, RepublicationRequest
from tests.e2e.helpers import check_accessibility, sign_in_staff

pytestmark = pytest.mark.e2e

CORRECTION = "The minister quoted in the third paragraph is the finance minister."
ACK_LINK = re.compile(r"https?://[^/\s]+(/notices/[0-9a-f-]{36}/done/\?link=\S+)")


def emailed_acknowledgement_link(address: str) -> str:
    """The "Done" link in the latest email to `address`, as a path on the live server."""
    for message in reversed(mail.outbox):
        if address in message.to and (match := ACK_LINK.search(message.body)):
            return match.group(1)
    pytest.fail(f"no email to {address} carries a Done link")


def test_a_correction_sent_from_the_desk_is_acknowledged_by_a_licensee(
    site: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    article: Article,
    reviewer: User,
    licence_holders: list[RepublicationRequest],
    console_errors: list[str],
    screenshot_dir: Path,
) -> None:
    french, arabic = licence_holders
    # The reviewer goes from a request's desk page to its article's.
    sign_in_staff(page, "reviewer", "pw-for-tests", next_url=f"/staff/requests/{french.pk}/")
    page.get_by_role("link", name="All requests, licences and notices for this article").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(article.title)
    expect(page.locator("#article-requests")).to_contain_text(french.licence.number)
    expect(page.locator("#article-requests")).to_contain_text(arabic.licence.number)
    check_accessibility(page)

    page.get_by_label("What changed").fill(CORRECTION)
    page.get_by_role("button", name="Send correction").click()
    # Are you sure? The dialog names who will be emailed before anything is sent.
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("emails the 2 licence holders")
    expect(dialog).to_contain_text(french.licence.licensee_name)
    check_accessibility(page)
    dialog.get_by_role("button", name="Yes, send the correction").click()
    expect(page.get_by_text("Correction sent to 2 licence holders")).to_be_visible()
    expect(page.locator("[data-notice=correction]")).to_contain_text(
        "0 of 2 licence holders acknowledged."
    )
    assert sorted(
        m.to[0] for m in mail.outbox if "Correction" in m.subject or "تصحيح" in m.subject
    ) == sorted([french.email, arabic.email])

    # The French licensee opens the emailed link in a browser of their own.
    licensee = new_context(locale="fr-FR").new_page()
    licensee.goto(emailed_acknowledgement_link(french.email))
    expect(licensee.get_by_role("heading", level=1)).to_contain_text("Correction de")
    licensee.screenshot(path=screenshot_dir / "notice-done-fr.png", full_page=True)
    expect(licensee.locator("#notice-text")).to_contain_text(CORRECTION)
    check_accessibility(licensee)
    reached = LicenceNotice.objects.get(licence__request=french)
    assert reached.acknowledged_at is None  # opening the page records nothing
    licensee.get_by_role("button", name="C’est fait").click()  # noqa: RUF001
    expect(licensee.locator("#acknowledged")).to_be_visible()
    expect(licensee.get_by_role("status").first).to_contain_text("Merci")
    check_accessibility(licensee)
    reached.refresh_from_db()
    assert reached.acknowledged_at is not None

    # The public verification page shows the correction and its acknowledgement.
    licensee.get_by_role("link", name="Page de vérification publique").click()
    expect(licensee.locator("#licence-notices")).to_contain_text(CORRECTION)
    expect(licensee.locator("[data-acknowledged]")).to_have_attribute("data-acknowledged", "yes")
    check_accessibility(licensee)

    # The desk sees who has acknowledged and who has not.
    page.reload()
    expect(page.locator("[data-notice=correction]")).to_contain_text(
        "1 of 2 licence holders acknowledged."
    )
    expect(page.locator(f"tr[data-licence='{arabic.licence.number}']")).to_contain_text("Not yet")
    expect(page.locator(f"tr[data-licence='{french.licence.number}']")).not_to_contain_text(
        "Not yet"
    )
    page.screenshot(path=screenshot_dir / "staff-article.png", full_page=True)


def test_a_takedown_asked_for_without_javascript(
    site: LiveServer,
    new_context: CreateContextCallback,
    article: Article,
    reviewer: User,
    licence_holders: list[RepublicationRequest],
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in_staff(page, "reviewer", "pw-for-tests", next_url=f"/staff/articles/{article.slug}/")
    page.get_by_label("Reason").select_option(label="Legal reasons")
    page.get_by_role("button", name="Request takedown").click()
    # Without the dialog, the server asks on a page of its own.
    # (axe-core cannot run where scripts are off; the pages are checked in the journey above.)
    expect(page.locator("#confirm-statement")).to_contain_text("This stops new requests")
    page.get_by_role("button", name="Yes, take the article down").click()
    expect(page.locator("#article-state")).to_contain_text("Taken down on")
    expect(page.locator("#takedown-done")).to_contain_text("Legal reasons")
    article.refresh_from_db()
    assert article.republishable is False

    # The Arabic licensee's page, and the refusal of any new request.
    public = new_context(locale="ar").new_page()
    public.goto(article.get_republish_url())
    expect(public.locator("#taken-down")).to_be_visible()
    expect(public.locator("html")).to_have_attribute("dir", "rtl")
    check_accessibility(public)
