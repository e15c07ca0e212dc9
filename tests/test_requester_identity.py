"""Requester identity: unconfirmed requests, the signed links in emails, staff never requesters."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from billing.models import Invoice
from licensing.links import request_link
from licensing.models import Outlet, RepublicationRequest
from tests.factories import (
    follow_request_link,
    make_auto_approval_rule,
    make_request,
    request_form_data,
)

VICTIM = "amira@outlet.example"


def link_path(req: RepublicationRequest) -> str:
    return request_link(req).removeprefix("http://127.0.0.1:8000")


def send_form(client: Client, article, **overrides) -> RepublicationRequest:
    response = client.post(article.get_republish_url(), request_form_data(**overrides))
    assert response.status_code == 302
    return RepublicationRequest.objects.latest("id")


# --- Unconfirmed --------------------------------------------------------------


def test_unconfirmed_page_asks_to_confirm_and_offers_to_resend(client: Client, article) -> None:
    req = send_form(client, article)
    html = client.get(req.get_absolute_url()).content.decode()
    assert req.reference in html
    assert "Confirm your email to send this request" in html
    assert VICTIM in html
    assert f'action="/requests/{req.uuid}/resend/"' in html
    assert req.status == "unconfirmed" and req.waiting_on == "requester"


@pytest.mark.django_db(transaction=True)
def test_nothing_happens_until_the_link_is_followed(article, settings) -> None:
    settings.REVIEWERS_EMAIL = "desk@publisher.example"
    make_auto_approval_rule(name="Free for all", fee_minor=0)
    req = send_form(Client(), article)
    # Only the acknowledgement, to the address typed; no reviewer, no licence.
    assert [m.to for m in mail.outbox] == [[VICTIM]]
    assert f"/requests/{req.uuid}/?link=" in mail.outbox[0].body
    assert Outlet.objects.count() == 0
    assert User.objects.filter(email=VICTIM).count() == 0
    assert req.status == "unconfirmed"

    # A different browser (a phone) opens the emailed link.
    phone = Client()
    response = phone.get(mail.outbox[0].body.split("http://127.0.0.1:8000", 1)[1].split()[0])
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    page = phone.get(response["Location"])
    req.refresh_from_db()
    # Auto-approved at once, the desk told, the outlet remembered, the phone signed in.
    assert req.status == "licensed"
    assert "Licensed" in page.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [VICTIM, "desk@publisher.example", VICTIM]
    )
    assert Outlet.objects.get().email == VICTIM
    assert int(phone.session["_auth_user_id"]) == req.requester_id


def test_confirming_twice_is_harmless(article) -> None:
    req = make_request(article, confirmed=False)
    first, second = Client(), Client()
    follow_request_link(first, req)
    follow_request_link(second, req)
    req.refresh_from_db()
    assert req.status == "submitted"
    assert list(req.status_changes.values_list("to_status", flat=True)) == [
        "unconfirmed",
        "submitted",
    ]
    assert req.confirm() is False


def test_signed_in_as_that_address_needs_no_confirmation(article) -> None:
    earlier = make_request(article)
    client = Client()
    client.force_login(earlier.requester)
    req = send_form(client, article)
    assert req.status == "submitted"
    assert req.requester_id == earlier.requester_id


def test_signed_in_as_another_address_still_confirms(article) -> None:
    other = make_request(article, email="bea@other.example")
    client = Client()
    client.force_login(other.requester)
    req = send_form(client, article)
    assert req.status == "unconfirmed" and req.requester is None


def test_an_impostors_request_changes_nothing_of_the_victims(article, reviewer) -> None:
    mine = make_request(article, outlet_name="The Daily Example")
    mine.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    victim = Client()
    victim.force_login(mine.requester)
    account_rows = victim.get("/account/").content.decode().count("<tr")

    impostor = Client()
    fake = send_form(impostor, article, outlet_name="Impostor Weekly", vat_number="")
    # Their own page is all the impostor sees; it holds nothing of the victim's.
    html = impostor.get(fake.get_absolute_url()).content.decode()
    assert mine.reference not in html and mine.invoice.number not in html
    # The victim's account, outlet (the next form's prefill) and invoices are as they were.
    after = victim.get("/account/").content.decode()
    assert mine.reference in after and fake.reference not in after
    assert after.count("<tr") == account_rows
    assert Outlet.objects.get(email=VICTIM).name == "The Daily Example"
    assert "Impostor Weekly" not in victim.get(article.get_republish_url()).content.decode()
    assert Invoice.objects.count() == 1
    fake.refresh_from_db()
    assert fake.requester is None and fake.outlet is None
    # And the desk never sees it.
    desk = Client()
    desk.force_login(reviewer)
    assert fake.reference not in desk.get("/staff/").content.decode()


def test_unconfirmed_requests_are_deleted_after_seven_days(article) -> None:
    old = make_request(article, confirmed=False)
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        recent = make_request(article, confirmed=False)
    kept = make_request(article, email="bea@other.example")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        call_command("daily", stdout=StringIO())
    assert set(RepublicationRequest.objects.values_list("pk", flat=True)) == {recent.pk, kept.pk}
    # Its link now leads nowhere, cleanly.
    response = Client().get(link_path(old))
    assert response.status_code == 400


def test_resend_is_rate_limited(
    client: Client, article, django_capture_on_commit_callbacks
) -> None:
    req = send_form(client, article)
    mail.outbox.clear()
    for _ in range(3):
        assert client.post(f"/requests/{req.uuid}/resend/").status_code == 302
    assert len(mail.outbox) == 3
    assert all(m.to == [VICTIM] and "?link=" in m.body for m in mail.outbox)
    refused = client.post(f"/requests/{req.uuid}/resend/")
    assert refused.status_code == 429
    assert len(mail.outbox) == 3


def test_strangers_cannot_resend(article) -> None:
    req = make_request(article, confirmed=False)
    assert Client().post(f"/requests/{req.uuid}/resend/").status_code == 404


# --- Signed links ----------------------------------------------------------------


def test_a_link_opens_the_request_in_a_fresh_browser(article) -> None:
    req = make_request(article)
    fresh = Client()
    page = follow_request_link(fresh, req)
    assert page.redirect_chain[-1][0] == req.get_absolute_url()
    assert req.reference in page.content.decode()
    # Signed in as the requester: the account lists the request too.
    assert req.reference in fresh.get("/account/").content.decode()


def test_a_link_for_a_never_shows_b(article) -> None:
    a = make_request(article)
    b = make_request(article, email="bea@other.example")
    token = link_path(a).split("?link=", 1)[1]
    response = Client().get(f"/requests/{b.uuid}/?link={token}")
    assert response.status_code == 400
    html = response.content.decode()
    assert b.reference not in html and a.reference not in html
    assert "This link does not work" in html
    # And signed in by A's link, B's page is 404.
    client = Client()
    follow_request_link(client, a)
    assert client.get(b.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("damage", [lambda t: t[:-2] + "xx", lambda t: t[:10], lambda t: "zz" + t])
def test_a_tampered_link_gets_a_clear_page_with_a_way_on(article, damage) -> None:
    req = make_request(article)
    path, token = link_path(req).split("?link=", 1)
    client = Client()
    response = client.get(f"{path}?link={damage(token)}")
    assert response.status_code == 400
    html = response.content.decode()
    assert req.reference not in html
    assert f"/account/login/?next=/requests/{req.uuid}/" in html
    assert "_auth_user_id" not in client.session


def test_an_expired_link_leads_to_sign_in_with_the_address_filled_in(article) -> None:
    req = make_request(article)
    path = link_path(req)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        client = Client()
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == (
            f"/account/login/?email=amira%40outlet.example&next=/requests/{req.uuid}/"
        )
        assert "_auth_user_id" not in client.session
        login = client.get(response["Location"]).content.decode()
        assert 'value="amira@outlet.example"' in login
        assert f'name="next" value="/requests/{req.uuid}/"' in login


def test_a_link_is_good_for_thirty_days(article) -> None:
    req = make_request(article)
    path = link_path(req)
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        client = Client()
        assert client.get(path)["Location"] == req.get_absolute_url()
        assert client.get(req.get_absolute_url()).status_code == 200


def test_every_email_to_the_requester_carries_a_working_link(
    article, reviewer, django_capture_on_commit_callbacks
) -> None:
    # One step at a time: a retry never sends what no longer holds.
    with django_capture_on_commit_callbacks(execute=True):
        req = make_request(article)
    with django_capture_on_commit_callbacks(execute=True):
        req.ask_for_information(actor=reviewer, message="Which edition?")
    with django_capture_on_commit_callbacks(execute=True):
        req.reply(body="Saturday.")
    with django_capture_on_commit_callbacks(execute=True):
        req.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    to_requester = [m for m in mail.outbox if m.to == [VICTIM]]
    assert len(to_requester) == 3  # received, information requested, approved
    for message in to_requester:
        link = message.body.split("http://127.0.0.1:8000", 1)[1].split()[0]
        assert "?link=" in link
        assert link in message.alternatives[0][0].replace("&amp;", "&")
        assert req.reference in follow_request_link_path(link)


def follow_request_link_path(path: str) -> str:
    return Client().get(path, follow=True).content.decode()


def test_after_sign_in_the_visitor_returns_to_the_page(article) -> None:
    req = make_request(article)
    client = Client()
    to_login = client.get(req.get_absolute_url())["Location"]
    assert to_login == f"/account/login/?next=/requests/{req.uuid}/"
    client.post(to_login, {"email": VICTIM, "next": f"/requests/{req.uuid}/"})
    magic = mail.outbox[-1].body.split("http://127.0.0.1:8000", 1)[1].split()[0]
    landed = client.get(magic, follow=True)
    assert landed.redirect_chain[-1][0] == req.get_absolute_url()
    # A next pointing elsewhere is ignored.
    client2 = Client()
    client2.post("/account/login/", {"email": VICTIM, "next": "https://evil.example/"})
    magic = mail.outbox[-1].body.split("http://127.0.0.1:8000", 1)[1].split()[0]
    assert client2.get(magic)["Location"] == "/account/"


@pytest.mark.django_db(transaction=True)
def test_sign_in_queues_the_same_task_for_any_address(article, settings) -> None:
    from django_tasks_db.models import DBTaskResult

    make_request(article)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    Client().post("/account/login/", {"email": VICTIM})
    Client().post("/account/login/", {"email": "nobody@nowhere.example"})
    queued = DBTaskResult.objects.order_by("enqueued_at", "id")
    assert [(row.task_path, row.args_kwargs["kwargs"]["address"]) for row in queued] == [
        ("licensing.tasks.send_magic_link_email", VICTIM),
        ("licensing.tasks.send_magic_link_email", "nobody@nowhere.example"),
    ]


# --- Staff are never requesters ------------------------------------------------


def test_a_staff_address_on_the_public_form_gets_no_requester_account(
    article, reviewer, superuser
) -> None:
    for address in (reviewer.email, superuser.email.upper()):
        req = make_request(article, email=address)
        assert req.status == "submitted"
        assert req.requester is None
    assert User.objects.filter(is_staff=False).count() == 0


def test_a_requester_link_never_signs_in_staff(article, reviewer) -> None:
    req = make_request(article, email=reviewer.email, confirmed=False)
    client = Client()
    response = client.get(link_path(req))
    req.refresh_from_db()
    # The link proves the mailbox (the request goes to the desk) but signs nobody in.
    assert req.status == "submitted"
    assert "_auth_user_id" not in client.session
    assert response["Location"].startswith("/accounts/login/?next=/staff/requests/")


def test_staff_posting_as_the_requester_are_refused(article, reviewer_client: Client) -> None:
    req = make_request(article)
    assert reviewer_client.post(f"/requests/{req.uuid}/reply/", {"body": "Hi"}).status_code == 403
    assert reviewer_client.post(f"/requests/{req.uuid}/withdraw/").status_code == 403
    req.refresh_from_db()
    assert req.status == "submitted" and not req.messages.exists()


def test_a_magic_link_never_signs_in_staff(reviewer) -> None:
    from sesame.utils import get_query_string

    client = Client()
    assert client.get("/account/magic/" + get_query_string(reviewer)).status_code == 400
    assert "_auth_user_id" not in client.session
