"""GET /api/requests/: the read-only JSON list for staff tools, behind a bearer token."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import ApiToken, hash_token
from tests.factories import make_article, make_request, make_request_in


@pytest.fixture
def token(db) -> str:
    _token, raw = ApiToken.create(name="CMS sync")
    return raw


def api(client: Client, raw: str | None, **params):
    headers = {"Authorization": f"Bearer {raw}"} if raw is not None else {}
    return client.get("/api/requests/", params, headers=headers)


# --- Tokens ------------------------------------------------------------------


def test_token_is_stored_hashed_with_a_visible_prefix(token: str) -> None:
    stored = ApiToken.objects.get()
    assert stored.token_hash == hash_token(token)
    assert token not in (stored.token_hash, stored.prefix)
    assert token.startswith(stored.prefix)
    assert len(stored.prefix) < len(token) // 3


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer rpt_wrong", "Token {raw}", "Basic {raw}", "Bearer {raw}x"],
)
def test_missing_or_invalid_token_gets_401_json(client: Client, token: str, header) -> None:
    headers = {"Authorization": header.format(raw=token)} if header is not None else {}
    response = client.get("/api/requests/", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_gets_401(client: Client, token: str) -> None:
    ApiToken.objects.update(revoked=True)
    assert api(client, token).status_code == 401


def test_use_is_recorded(client: Client, token: str) -> None:
    assert ApiToken.objects.get().last_used_at is None
    assert api(client, token).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_management_command_prints_the_token_once(db) -> None:
    out = StringIO()
    call_command("create_api_token", "Newsroom dashboard", stdout=out)
    raw = out.getvalue().split()[-1]
    stored = ApiToken.objects.get(name="Newsroom dashboard")
    assert stored.token_hash == hash_token(raw)
    assert (
        Client().get("/api/requests/", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 200
    )


def test_admin_creates_a_token_and_shows_it_once(superuser) -> None:
    client = Client()
    client.force_login(superuser)
    response = client.post("/admin/integrations/apitoken/add/", {"name": "BI tool"}, follow=True)
    assert response.status_code == 200
    stored = ApiToken.objects.get(name="BI tool")
    assert stored.created_by == superuser
    shown = [str(m) for m in response.context["messages"]]
    raw = next(word for m in shown for word in m.split() if word.startswith("rpt_"))
    assert stored.token_hash == hash_token(raw)
    page = client.get(f"/admin/integrations/apitoken/{stored.pk}/change/").content.decode()
    assert raw not in page
    assert stored.prefix in page


def test_only_get(client: Client, token: str) -> None:
    response = client.post("/api/requests/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405


# --- Content -------------------------------------------------------------------


def test_fields_of_a_licensed_and_an_invoiced_request(
    client: Client, token: str, article, reviewer, exchange_rates
) -> None:
    licensed = make_request_in(article, "licensed", actor=reviewer)
    invoiced = make_request(article, email="other@outlet.example", outlet_name="Other Times")
    invoiced.approve(actor=reviewer, fee_minor=15000, currency="EUR", validity_days=30)
    invoiced.refresh_from_db()
    body = api(client, token).json()
    assert body["count"] == 2
    assert body["next"] is None and body["previous"] is None
    by_ref = {row["reference"]: row for row in body["results"]}
    row = by_ref[licensed.reference]
    assert row == {
        "reference": licensed.reference,
        "uuid": str(licensed.uuid),
        "status": "licensed",
        "article": {"title": article.title, "canonical_url": article.canonical_url},
        "outlet_name": "The Daily Example",
        "outlet_type": "newspaper",
        "country": "GB",
        "media": "online",
        "language": "en",
        "territory": "worldwide",
        "extent": "full",
        "fee_minor": 0,
        "currency": "GBP",
        "invoice_number": None,
        "licence_number": licensed.licence.number,
        "licence_status": "valid",
        "created_at": licensed.created_at.isoformat(),
        "updated_at": licensed.updated_at.isoformat(),
    }
    quoted = by_ref[invoiced.reference]
    assert quoted["status"] == "awaiting_payment"
    assert (quoted["fee_minor"], quoted["currency"]) == (15000, "EUR")
    assert quoted["invoice_number"] == invoiced.invoice.number
    assert quoted["licence_number"] is None and quoted["licence_status"] is None
    assert "amira@outlet.example" not in str(body)


# --- Filters -------------------------------------------------------------------


def test_filter_by_status_and_article(client: Client, token: str, article, reviewer) -> None:
    other = make_article()
    declined = make_request_in(article, "declined", actor=reviewer)
    make_request_in(article, "submitted", actor=reviewer)
    elsewhere = make_request_in(other, "submitted", actor=reviewer)
    refs = lambda **p: [r["reference"] for r in api(client, token, **p).json()["results"]]  # noqa: E731
    assert refs(status="declined") == [declined.reference]
    assert refs(article=other.slug) == [elsewhere.reference]
    assert len(refs(status="submitted", article=article.slug)) == 1
    assert refs(article="no-such-article") == []


def test_filter_updated_since(client: Client, token: str, article) -> None:
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=3), tick=False):
        make_request(article, email="old@outlet.example")
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        recent = make_request(article, email="new@outlet.example")
    since = (start - timedelta(days=1)).isoformat()
    rows = api(client, token, updated_since=since).json()["results"]
    assert [r["reference"] for r in rows] == [recent.reference]
    # "Z" and an offset with an unencoded "+" (a space after decoding) are both understood.
    zulu = (start - timedelta(days=1)).astimezone(timezone.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert api(client, token, updated_since=zulu).json()["count"] == 1
    raw = client.get(
        f"/api/requests/?updated_since={since.replace('+', '%2B')}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert raw.json()["count"] == 1
    unencoded = client.get(
        f"/api/requests/?updated_since={since}", headers={"Authorization": f"Bearer {token}"}
    )
    assert unencoded.json()["count"] == 1


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "approved"}, "status"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-13-01T00:00:00"}, "updated_since"),
        ({"article": "not a slug!"}, "article"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_filter_values_get_400_json_naming_the_field(
    client: Client, token: str, params, field
) -> None:
    response = api(client, token, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]
    assert list(body["fields"]) == [field]
    assert body["fields"][field][0]["message"]


def test_page_past_the_end_gets_404_json(client: Client, token: str, article) -> None:
    make_request(article)
    response = api(client, token, page=2)
    assert response.status_code == 404
    assert "error" in response.json()


# --- Pagination ------------------------------------------------------------------


def test_pages_with_next_and_previous_links_keep_the_filters(
    client: Client, token: str, article
) -> None:
    for i in range(5):
        make_request(article, email=f"outlet{i}@example.org")
    first = api(client, token, page_size=2, status="submitted").json()
    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/requests/?")
    assert "status=submitted" in first["next"] and "page=2" in first["next"]
    second = client.get(first["next"], headers={"Authorization": f"Bearer {token}"}).json()
    assert "page=1" in second["previous"]
    last = api(client, token, page_size=2, page=3).json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen = [r["reference"] for p in (first, second, last) for r in p["results"]]
    assert len(set(seen)) == 5


def test_default_and_maximum_page_size(client: Client, token: str, article) -> None:
    for i in range(30):
        make_request(article, email=f"outlet{i}@example.org")
    assert len(api(client, token).json()["results"]) == 25
    assert len(api(client, token, page_size=100).json()["results"]) == 30


def _queries(client: Client, token: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api(client, token, page_size=100).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_page(
    client: Client, token: str, article, reviewer
) -> None:
    make_request_in(article, "licensed", actor=reviewer)
    make_request_in(article, "awaiting_payment", actor=reviewer, email="b@outlet.example")
    with_two = _queries(client, token)
    for i in range(6):
        make_request_in(make_article(), "licensed", actor=reviewer, email=f"l{i}@outlet.example")
        make_request_in(
            make_article(), "awaiting_payment", actor=reviewer, email=f"p{i}@outlet.example"
        )
    assert _queries(client, token) == with_two
