"""Random input to every field of every public form (and the staff forms) never gives a 5xx.

Hypothesis mixes valid values with junk: any unicode (NUL bytes included,
which PostgreSQL refuses in text), very long strings, numbers written every
which way. Bounded (FUZZ examples per form) so the file runs in seconds;
`make test` runs it on SQLite and PostgreSQL.
"""

from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import ApiToken
from licensing.models import Article, RepublicationRequest
from tests.factories import request_form_data

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)

# Unicode without lone surrogates (no browser can send those as UTF-8).
any_char = st.characters(exclude_categories=["Cs"])
junk = st.one_of(
    st.text(any_char, max_size=40),
    st.text(st.sampled_from("\x00\t\r\n \u200f\u202e\ufeffé中ع😀<>&\"'%;\\"), max_size=30),
    # Very long: repeated so generating it stays cheap.
    st.builds(
        lambda s, n: s * n, st.text(any_char, min_size=1, max_size=4), st.integers(300, 6000)
    ),
    # Numbers as text.
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["-0", "1e400", "0x10", "١٢٣", "NaN", "-1", "99999999999999999999", "1,000"]),
    st.sampled_from(["2026-02-30", "0000-00-00", "9999-12-31", "31/12/2026", "LIC-2026-000001"]),
)


def fields(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, str]]:
    """Each field either its valid value, junk, or left out."""
    return st.fixed_dictionaries(
        {},
        optional={name: st.one_of(st.just(str(value)), junk) for name, value in valid.items()},
    )


def assert_no_server_error(response: Any, sent: object) -> None:
    assert response.status_code < 500, (response.status_code, sent)


@pytest.fixture(autouse=True)
def no_rate_limits(settings) -> None:
    # The fuzzer is one visitor sending a lot; the limits have their own tests.
    settings.RATE_LIMITS = {name: "100000/s" for name in settings.RATE_LIMITS}


REQUEST_FORM = {**request_form_data(), "homepage": "", "estimate": "1", "page": "1"}


@FUZZ
@given(data=fields(REQUEST_FORM))
def test_request_form(client: Client, article: Article, data: dict[str, str]) -> None:
    response = client.post(article.get_republish_url(), data)
    assert_no_server_error(response, data)
    assert response.status_code in (200, 302, 400)


@FUZZ
@given(
    data=fields(
        {
            "outlet_type": "ngo",
            "media": "online",
            "extent": "full",
            "territory": "worldwide",
            "audience_size": "100",
        }
    )
)
def test_estimate(client: Client, article: Article, data: dict[str, str]) -> None:
    assert_no_server_error(client.get(f"/articles/{article.slug}/estimate/", data), data)


@FUZZ
@given(data=fields({"email": "amira@outlet.example"}))
def test_magic_link_form(client: Client, db: None, data: dict[str, str]) -> None:
    assert_no_server_error(client.post("/account/login/", data), data)


@FUZZ
@given(data=fields({"body": "Which edition?"}))
def test_reply_form(
    requester: Client, submitted: RepublicationRequest, data: dict[str, str]
) -> None:
    assert_no_server_error(requester.post(f"/requests/{submitted.uuid}/reply/", data), data)


@FUZZ
@given(data=fields({"number": "LIC-2026-000001"}), path=junk)
def test_verify(client: Client, db: None, data: dict[str, str], path: str) -> None:
    assert_no_server_error(client.get("/verify/", data), data)
    url = f"/verify/{quote(path, safe='')}/"
    assert_no_server_error(client.get(url), url)


@FUZZ
@given(data=fields({"language": "fr", "next": "/articles/"}))
def test_language_switch(client: Client, db: None, data: dict[str, str]) -> None:
    assert_no_server_error(client.post("/i18n/setlang/", data), data)


@FUZZ
@given(
    catalogue=fields({"q": "Syria", "language": "ar", "page": "2"}),
    redirect=fields({"url": "https://news.example.org/articles/test-1"}),
)
def test_search_and_republish_link(
    client: Client, article: Article, catalogue: dict[str, str], redirect: dict[str, str]
) -> None:
    assert_no_server_error(client.get("/articles/", catalogue), catalogue)
    assert_no_server_error(client.get("/", catalogue), catalogue)
    assert_no_server_error(client.get("/republish/", redirect), redirect)


@FUZZ
@given(data=fields({"username": "reviewer", "password": "pw-for-tests", "next": "/staff/"}))
def test_staff_sign_in(client: Client, reviewer: User, data: dict[str, str]) -> None:
    assert_no_server_error(client.post("/accounts/login/", data), data)
    assert_no_server_error(client.post("/admin/login/", data), data)


@pytest.fixture
def api_token(db: None) -> str:
    return ApiToken.create(name="fuzz")[1]


@FUZZ
@given(
    data=fields(
        {
            "status": "submitted",
            "updated_since": "2026-01-01T00:00:00Z",
            "article": "test-article-1",
            "page": "1",
            "page_size": "10",
        }
    )
)
def test_api_filters(
    client: Client, submitted: RepublicationRequest, api_token: str, data: dict[str, str]
) -> None:
    response = client.get("/api/requests/", data, HTTP_AUTHORIZATION=f"Bearer {api_token}")
    assert_no_server_error(response, data)


# --- Staff forms: not public, but bad input must not break them either -----

STAFF_ACTIONS = {
    "approve": {"fee": "150.00", "currency": "GBP", "validity_days": "30"},
    "decline": {"reason": "Not for this outlet."},
    "ask": {"message": "Which edition?"},
    "note": {"body": "Called them."},
    "assign": {"assignee": "1"},
}


@FUZZ
@given(action=st.sampled_from(sorted(STAFF_ACTIONS)), data=st.data())
def test_staff_actions(
    reviewer_client: Client, submitted: RepublicationRequest, action: str, data: st.DataObject
) -> None:
    # One request for all examples: once an approval goes through, later
    # actions meet a closed request, a path worth fuzzing too.
    sent = data.draw(fields(STAFF_ACTIONS[action]))
    response = reviewer_client.post(f"/staff/requests/{submitted.pk}/{action}/", sent)
    assert_no_server_error(response, (action, sent))
    queue = data.draw(
        fields(
            {"q": "Amira", "status": "submitted", "outlet_type": "ngo", "media": "online",
             "assignee": "me", "page": "1"}
        )
    )  # fmt: skip
    assert_no_server_error(reviewer_client.get("/staff/", queue), queue)


@pytest.fixture
def invoice_number(submitted: RepublicationRequest, reviewer: User) -> str:
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    submitted.refresh_from_db()
    assert submitted.invoice is not None
    return submitted.invoice.number


@FUZZ
@given(data=st.data())
def test_finance_forms(finance: User, invoice_number: str, data: st.DataObject) -> None:
    client = Client()
    client.force_login(finance)
    sent = data.draw(fields({"amount": "100.00", "received_on": "2026-01-05", "reference": "B1"}))
    response = client.post(f"/staff/invoices/{invoice_number}/payments/", sent)
    assert_no_server_error(response, sent)
    filters = data.draw(
        fields(
            {"status": "open", "currency": "GBP", "issued_from": "2026-01-01",
             "issued_to": "2026-12-31", "q": "INV", "page": "1"}
        )
    )  # fmt: skip
    assert_no_server_error(client.get("/staff/invoices/", filters), filters)
    assert_no_server_error(client.get("/staff/invoices.csv", filters), filters)
