"""/verify/ and /verify/<number>/: public licence checks, nothing private shown."""

from datetime import date

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from licensing.models import Licence, LicenceStatus
from tests.factories import make_request


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def licence(article, reviewer) -> Licence:
    req = make_request(article, vat_number="", outlet_name="صحيفة الشرق", notes="private note")
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    return req.licence


def test_valid_licence_shows_scope_and_nothing_private(client: Client, licence) -> None:
    response = client.get(f"/verify/{licence.number}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert licence.number in html
    assert ">Valid<" in html
    assert "صحيفة الشرق" in html
    assert licence.article_title in html and licence.article_url in html
    for shown in ["Website or app", "Worldwide", "English"]:
        assert shown in html
    for private in ["amira@outlet.example", "private note", "GBP", "Amira Haddad"]:
        assert private not in html


def test_lower_case_number_is_found(client: Client, licence) -> None:
    assert client.get(f"/verify/{licence.number.lower()}/").status_code == 200


def test_revoked_licence_says_so_with_the_date(client: Client, licence, reviewer) -> None:
    with time_machine.travel(date(2027, 3, 4), tick=False):
        licence.request.revoke(actor=reviewer, reason="Article corrected; republication withdrawn")
    html = client.get(f"/verify/{licence.number}/").content.decode()
    assert "Revoked on 4 March 2027" in html
    assert "no longer allows" in html
    assert "Article corrected" not in html  # the reason is for the licensee, not the public


def test_expired_licence_says_so_with_the_date(client: Client, licence) -> None:
    Licence.objects.filter(pk=licence.pk).update(
        status=LicenceStatus.EXPIRED, expired_on=date(2027, 12, 1)
    )
    assert "Expired on 1 December 2027" in client.get(f"/verify/{licence.number}/").content.decode()


def test_unknown_number_is_404_with_a_form(client: Client, db) -> None:
    response = client.get("/verify/LIC-2026-999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "No such licence" in html
    assert 'name="number"' in html and 'value="LIC-2026-999999"' in html


def test_garbage_number_is_escaped_404(client: Client, db) -> None:
    response = client.get("/verify/%3Cscript%3E/")
    assert response.status_code == 404
    assert "<script>" not in response.content.decode()


def test_form_redirects_to_the_licence(client: Client, licence) -> None:
    response = client.get("/verify/", {"number": f"  {licence.number.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{licence.number}/"


def test_form_shows_errors_for_malformed_numbers(client: Client, db) -> None:
    response = client.get("/verify/", {"number": "INV-2026-000001"})
    assert response.status_code == 200
    assert "A licence number looks like LIC-2026-000042." in response.content.decode()


def test_empty_form_page(client: Client, db) -> None:
    html = client.get("/verify/").content.decode()
    assert "Check a republication licence" in html
    assert 'for="id_number"' in html


def test_rate_limited(client: Client, licence) -> None:
    for _ in range(60):
        assert client.get(f"/verify/{licence.number}/").status_code == 200
    response = client.get(f"/verify/{licence.number}/")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
