"""/account/login/, the magic link, and /account/: a requester's own requests."""

import re
import time

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from licensing.models import RepublicationRequest
from tests.factories import make_request, make_request_in


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # Rate-limit counters live in the cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


def ask_for_link(client: Client, email: str):
    return client.post("/account/login/", {"email": email})


def link_in_last_email() -> str:
    match = re.search(r"http://\S+/account/magic/\?sesame=\S+", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0).replace("http://127.0.0.1:8000", "")


def test_login_page_asks_for_email(client: Client, db) -> None:
    html = client.get("/account/login/").content.decode()
    assert 'name="email"' in html and 'for="id_email"' in html


def test_known_email_gets_a_working_single_use_link(client: Client, submitted) -> None:
    mail.outbox.clear()
    response = ask_for_link(client, "AMIRA@outlet.example")
    assert "If amira@outlet.example has sent us a request" in response.content.decode()
    assert mail.outbox[-1].to == ["amira@outlet.example"]
    link = link_in_last_email()
    landed = client.get(link, follow=True)
    assert landed.redirect_chain[-1][0] == "/account/"
    assert submitted.reference in landed.content.decode()
    # Used once: a second visit (another browser) is refused.
    again = Client().get(link)
    assert again.status_code == 400
    assert "expired or was already used" in again.content.decode()


def test_expired_link_is_refused(client: Client, submitted, settings) -> None:
    ask_for_link(client, "amira@outlet.example")
    link = link_in_last_email()
    later = time.time() + settings.SESAME_MAX_AGE + 60
    with time_machine.travel(later):
        response = client.get(link)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_tampered_link_is_refused(client: Client, submitted) -> None:
    ask_for_link(client, "amira@outlet.example")
    response = client.get(link_in_last_email()[:-3] + "abc")
    assert response.status_code == 400


def test_unknown_email_gets_the_same_answer_and_no_email(client: Client, submitted) -> None:
    mail.outbox.clear()
    known = ask_for_link(client, "amira@outlet.example").content.decode()
    unknown = ask_for_link(client, "nobody@else.example").content.decode()
    # The language switcher's CSRF token is masked afresh on every page.
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    known, unknown = token.sub("", known), token.sub("", unknown)
    assert known.replace("amira@outlet.example", "X") == unknown.replace("nobody@else.example", "X")
    assert [m.to for m in mail.outbox] == [["amira@outlet.example"]]


def test_staff_accounts_never_get_magic_links(client: Client, reviewer, article) -> None:
    # Even a staff account linked to a request must sign in with its password.
    req = make_request(article, email=reviewer.email)
    User.objects.filter(pk=req.requester_id).delete()
    RepublicationRequest.objects.filter(pk=req.pk).update(requester=reviewer)
    mail.outbox.clear()
    ask_for_link(client, reviewer.email)
    assert mail.outbox == []


def test_bad_email_is_a_field_error(client: Client, db) -> None:
    response = client.post("/account/login/", {"email": "not-an-email"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


def test_rate_limited_per_email(client: Client, submitted) -> None:
    for _ in range(3):
        assert ask_for_link(client, "amira@outlet.example").status_code == 200
    mail.outbox.clear()
    response = ask_for_link(client, "amira@outlet.example")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert mail.outbox == []


def test_rate_limited_per_ip(client: Client, db) -> None:
    for n in range(10):
        assert ask_for_link(client, f"person{n}@example.org").status_code == 200
    assert ask_for_link(client, "one-more@example.org").status_code == 429


def test_account_lists_only_my_requests_with_next_step(
    requester: Client, submitted, article
) -> None:
    theirs = make_request(article, email="someone@else.example")
    html = requester.get("/account/").content.decode()
    assert submitted.reference in html
    assert theirs.reference not in html
    assert "we answer within two working days" in html


def _row(html: str, reference: str) -> str:
    match = re.search(rf"<tr>(?:(?!</tr>).)*{reference}.*?</tr>", html, re.S)
    assert match, reference
    return match.group(0)


def test_account_tells_a_cancelled_request_from_a_withdrawn_one(
    requester: Client, submitted, article, reviewer
) -> None:
    cancelled = make_request_in(article, "awaiting_payment", actor=reviewer, email=submitted.email)
    cancelled.withdraw(actor=reviewer, note="A duplicate of an earlier request.")
    withdrawn = make_request_in(article, "withdrawn", actor=reviewer, email=submitted.email)
    html = requester.get("/account/").content.decode()
    assert "Our desk cancelled this request." in _row(html, cancelled.reference)
    assert "You withdrew this request." in _row(html, withdrawn.reference)
    # Its documents: the invoice and the credit note that cancels it.
    credit_note = cancelled.invoice.credit_notes.get()
    assert f"/billing/credit-notes/{credit_note.uuid}/pdf" in _row(html, cancelled.reference)


def test_account_reads_every_row_in_the_same_queries(
    requester: Client, submitted, article, reviewer
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert requester.get("/account/").status_code == 200
        return len(captured)

    # One of each read at first: a licence, and an invoice (its credit notes are prefetched).
    make_request_in(article, "licensed", actor=reviewer, email=submitted.email)
    make_request_in(article, "awaiting_payment", actor=reviewer, email=submitted.email)
    first = queries()
    for status in ["licensed", "awaiting_payment", "withdrawn", "declined", "revoked"]:
        make_request_in(article, status, actor=reviewer, email=submitted.email)
    make_request_in(article, "awaiting_payment", actor=reviewer, email=submitted.email).withdraw(
        actor=reviewer, note="Cancelled."
    )
    assert queries() == first


def test_account_requires_sign_in(client: Client, db) -> None:
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/"


def test_same_email_same_account(article) -> None:
    first = make_request(article, email="desk@paper.example")
    second = make_request(article, email="DESK@paper.example")
    assert first.requester_id == second.requester_id
    assert User.objects.filter(email="desk@paper.example").count() == 1


def test_signed_in_requester_sees_request_from_another_browser(
    requester: Client, submitted
) -> None:
    assert requester.get(f"/requests/{submitted.uuid}/").status_code == 200


def test_signed_in_requester_cannot_see_others(requester: Client, article) -> None:
    theirs = make_request(article, email="someone@else.example")
    assert requester.get(f"/requests/{theirs.uuid}/").status_code == 404


def test_next_form_is_prefilled_from_the_outlet(requester: Client, article) -> None:
    html = requester.get(f"/articles/{article.slug}/republish/").content.decode()
    assert 'value="The Daily Example"' in html
    assert 'value="amira@outlet.example"' in html
    assert 'value="https://daily.example"' in html
    # The postal address, remembered with the outlet, comes back in its textarea.
    assert "1 Example Road\nManchester M1 1AA</textarea>" in html


def test_logout(requester: Client) -> None:
    requester.post("/account/logout/")
    assert requester.get("/account/").status_code == 302


def test_requester_account_has_no_password(submitted: RepublicationRequest) -> None:
    assert submitted.requester is not None
    assert not submitted.requester.has_usable_password()
    assert not submitted.requester.is_staff


def test_rate_limit_per_visitor_behind_a_proxy(client: Client, db, settings) -> None:
    # Behind nginx REMOTE_ADDR is the proxy; X-Real-IP tells visitors apart.
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    for n in range(10):
        response = client.post(
            "/account/login/", {"email": f"p{n}@example.org"}, HTTP_X_REAL_IP="203.0.113.7"
        )
        assert response.status_code == 200
    blocked = client.post(
        "/account/login/", {"email": "late@example.org"}, HTTP_X_REAL_IP="203.0.113.7"
    )
    other = client.post(
        "/account/login/", {"email": "else@example.org"}, HTTP_X_REAL_IP="198.51.100.4"
    )
    assert (blocked.status_code, other.status_code) == (429, 200)


def test_long_emails_get_their_own_accounts(article) -> None:
    stem = "x" * 150
    first = make_request(article, email=f"{stem}a@example.org")
    second = make_request(article, email=f"{stem}b@example.org")
    assert first.requester_id != second.requester_id
    assert first.requester.email == f"{stem}a@example.org"
