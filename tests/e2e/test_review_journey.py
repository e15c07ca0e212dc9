"""A request worked through in two browsers: the requester's and a reviewer's.

Ask for information, reply, approve with the suggested fee: each side sees
each step on its own page, and the approval issues an invoice with bank
transfer details.
"""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from licensing.models import Article, PriceRule, RepublicationRequest
from tests.e2e.helpers import emailed_request_link, fill_request_form, send

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk_reviewer(site: LiveServer) -> User:
    from importlib import import_module

    from django.apps import apps

    # The live-server tests flush tables; make the groups the migration made.
    if not Group.objects.filter(name="Reviewers").exists():
        import_module("licensing.migrations.0002_reviewer_and_finance_groups").create_groups(
            apps, None
        )
    user = User.objects.create_user("desk", "desk@publisher.example", "desk-password-1")
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


def test_ask_reply_approve_in_two_browsers(
    site: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    article: Article,
    desk_reviewer: User,
    console_errors: list[str],
) -> None:
    PriceRule.objects.create(name="Newspapers", outlet_type="newspaper", fee_minor=18000)
    # The requester sends the form (UK outlet: 20% VAT on the invoice).
    page.goto(article.get_republish_url())
    fill_request_form(page, country="United Kingdom", vat_number="")
    # The estimate followed the choices (the form's script asked the server).
    expect(page.locator("#estimate")).to_contain_text("180.00 GBP")
    send(page)
    # The requester confirms on another device, and follows the request there from now on.
    expect(page.locator("#request-status")).to_have_text("Unconfirmed")
    page = new_context().new_page()
    page.goto(emailed_request_link())
    expect(page.locator("#request-status")).to_have_text("Submitted")
    req = RepublicationRequest.objects.get()
    requester_url = page.url

    # The reviewer signs in and finds it in the queue.
    desk = new_context().new_page()
    desk.goto("/staff/")
    desk.get_by_label("Username").fill("desk")
    desk.get_by_label("Password").fill("desk-password-1")
    desk.get_by_role("button", name="Sign in").click()
    expect(desk.get_by_role("heading", name="Review queue")).to_be_visible()
    desk.get_by_role("link", name=req.reference).click()
    desk.get_by_label("Question for the requester").fill("Which edition will carry it?")
    desk.get_by_role("button", name="Ask for information").click()
    expect(desk.locator("#request-status")).to_have_text("Information requested")

    # The requester sees the question and replies.
    page.goto(requester_url)
    expect(page.locator("#request-status")).to_have_text("Information requested")
    expect(page.get_by_text("Which edition will carry it?")).to_be_visible()
    page.get_by_label("Your message").fill("The Sunday print edition and our website.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#request-status")).to_have_text("Submitted")

    # The reviewer approves at the suggested fee, prefilled from the rate card.
    desk.reload()
    expect(desk.get_by_text("The Sunday print edition and our website.")).to_be_visible()
    expect(desk.get_by_label("Fee")).to_have_value("180.00")
    expect(desk.get_by_label("Currency")).to_have_value("GBP")
    desk.get_by_role("button", name="Approve").click()
    # Are you sure? The dialog says what approving does before anything happens.
    dialog = desk.get_by_role("dialog")
    expect(dialog).to_contain_text("This issues a numbered invoice for 180.00 GBP")
    expect(dialog).to_contain_text(req.email)
    assert RepublicationRequest.objects.get().status == "submitted"
    dialog.get_by_role("button", name="Yes, approve").click()
    expect(desk.locator("#request-status")).to_have_text("Awaiting payment")

    # The requester sees the invoice, VAT included, and how to pay.
    page.reload()
    expect(page.locator("#request-status")).to_have_text("Awaiting payment")
    req.refresh_from_db()
    assert req.invoice is not None
    expect(page.get_by_role("heading", name=f"Invoice {req.invoice.number}")).to_be_visible()
    expect(page.locator("#invoice-total")).to_have_text("216.00 GBP")
    expect(page.locator("#bank-details")).to_contain_text(req.invoice.number)
    # No Stripe keys in this run: bank transfer only.
    expect(page.get_by_role("button", name="Pay by card")).to_have_count(0)
