"""Edit → approve narrowed → licensed → renew, in the requester's and a reviewer's browsers.

Each page on the way passes the accessibility checks (one h1, labels, axe-core).
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from licensing.models import Article, RepublicationRequest
from tests.e2e.helpers import (
    REQUEST_URL,
    check_accessibility,
    confirm_by_email,
    download,
    fill_request_form,
    pdf_text,
    send,
    sign_in_staff,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk_reviewer(site: LiveServer) -> User:
    from importlib import import_module

    from django.apps import apps

    if not Group.objects.filter(name="Reviewers").exists():
        import_module("licensing.migrations.0002_reviewer_and_finance_groups").create_groups(
            apps, None
        )
    user = User.objects.create_user("desk", "desk@publisher.example", "desk-password-1")
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


def test_edit_approve_narrowed_then_renew(
    site: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    article: Article,
    desk_reviewer: User,
    console_errors: list[str],
) -> None:
    # The requester asks for the full text, worldwide, for a year, and confirms.
    page.goto(article.get_republish_url())
    fill_request_form(page, territory="Worldwide", edits="")
    send(page)
    confirm_by_email(page)
    expect(page.locator("#request-status")).to_have_text("Submitted")
    requester_url = page.url
    req = RepublicationRequest.objects.get()

    # Before any answer, they change the territory and the duration.
    page.get_by_role("link", name="Edit request").click()
    expect(page).to_have_url(re.compile(rf"/requests/{req.uuid}/edit/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit request {req.reference}")
    expect(page.get_by_label("Email address")).to_be_disabled()
    check_accessibility(page)
    page.get_by_label("Territory").select_option(label="Europe")
    page.get_by_label("Duration").select_option(label="2 years")
    page.get_by_label("I accept the republishing terms").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(REQUEST_URL)
    expect(page.get_by_text("2 changes saved and sent to our desk.")).to_be_visible()
    expect(page.locator(".request-summary").first).to_contain_text("Europe")

    # The desk sees each change, and grants less: France only, one year, text only.
    desk = new_context().new_page()
    sign_in_staff(desk, "desk", "desk-password-1")
    row = desk.get_by_role("row").filter(has_text=req.reference)
    expect(row.locator('[data-marker="edited"]')).to_be_visible()
    desk.get_by_role("link", name=req.reference).click()
    history = desk.locator('[data-history="edit"]')
    expect(history).to_contain_text("Territory: Worldwide → Europe")
    expect(history).to_contain_text("Duration: 1 year → 2 years")
    expect(desk.get_by_label("Territory granted")).to_have_value("europe")
    check_accessibility(desk)
    desk.get_by_label("Territory granted").select_option(label="France only")
    desk.get_by_label("Duration granted").select_option(label="1 year")
    desk.get_by_role("radio", name="No").check()
    desk.get_by_label("Fee").fill("0")
    desk.get_by_role("button", name="Approve", exact=True).click()
    expect(desk.locator("#request-status")).to_have_text("Licensed")
    expect(desk.locator("#granted-scope")).to_contain_text("France only")

    # The requester sees what was granted against what was asked, and the licence says it.
    page.goto(requester_url)
    expect(page.locator("#request-status")).to_have_text("Licensed")
    granted = page.locator("#scope-granted")
    expect(granted).to_contain_text("Territory: you asked for Europe; granted: France only")
    expect(granted).to_contain_text("Duration: you asked for 2 years; granted: 1 year")
    expect(granted).to_contain_text(
        "Images: you asked for Yes, with the article's images; granted: No, text only"
    )
    check_accessibility(page)
    req.refresh_from_db()
    licence = req.licence
    name, pdf = download(page, "Download the licence (PDF)")
    assert name == f"{licence.number}.pdf"
    text = pdf_text(pdf)
    assert "Territory France only" in text and "Images No" in text

    # Renew: the form comes prefilled with the scope granted, from the day after the end.
    page.get_by_role("link", name="Renew", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Renew licence {licence.number}")
    expect(page.get_by_label("Territory")).to_have_value("country")
    assert licence.end_date is not None
    expect(page.get_by_label("First publication date")).to_have_value(
        (licence.end_date + timedelta(days=1)).isoformat()
    )
    check_accessibility(page)
    page.get_by_label("I accept the republishing terms").check()
    page.get_by_role("button", name="Send renewal request").click()
    expect(page).to_have_url(REQUEST_URL)
    expect(page.locator("#request-status")).to_have_text("Submitted")
    expect(page.locator("#renews")).to_contain_text(f"Renewal of licence {licence.number}")
    renewal = RepublicationRequest.objects.exclude(pk=req.pk).get()
    assert renewal.renews_id == licence.pk

    # Renewing again shows the renewal already asked for.
    page.goto(requester_url)
    expect(page.locator("#renewal")).to_contain_text(renewal.reference)
    expect(page.get_by_role("link", name="Renew", exact=True)).to_have_count(0)

    # The desk sees it as a renewal, in the queue and on its page.
    desk.goto("/staff/")
    expect(desk.get_by_role("row").filter(has_text=renewal.reference)).to_contain_text(
        f"Renewal of {licence.number}"
    )
    desk.get_by_role("link", name=renewal.reference).click()
    expect(desk.locator("#renewal-of")).to_contain_text(licence.number)
