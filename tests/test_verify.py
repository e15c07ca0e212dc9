"""/verify/ and /verify/<number>/: public licence checks, nothing private shown."""

from datetime import date

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from licensing.models import ArticleNotice, Licence, LicenceStatus, RepublicationRequest
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


# --- Precise dates and territory ---------------------------------------------


@pytest.fixture
def year_from_10_december(article, reviewer) -> Licence:
    """A one-year licence for France only, starting on 10 December 2026."""
    with time_machine.travel(date(2026, 11, 20), tick=False):
        req = make_request(
            article, territory="country", country="FR", start_date="2026-12-10", duration="1y"
        )
        req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    return req.licence


@pytest.mark.parametrize(
    ("day", "words", "state"),
    [
        (date(2026, 12, 9), "Not yet valid: from 10 December 2026", "not_yet_valid"),
        (date(2026, 12, 10), "Valid", "valid"),
        (date(2027, 12, 9), "Valid", "valid"),
        (date(2027, 12, 10), "Expired on 9 December 2027", "expired"),
    ],
)
def test_verify_page_reads_the_status_against_the_dates(
    client: Client, year_from_10_december, day, words, state
) -> None:
    licence = year_from_10_december
    assert licence.end_date == date(2027, 12, 9)
    with time_machine.travel(day, tick=False):
        html = client.get(f"/verify/{licence.number}/").content.decode()
        assert licence.verification_state() == state
    assert f'id="licence-status">{words}<' in html
    assert "From 10 December 2026 until and including 9 December 2027" in html
    assert "France only" in html and "My country only" not in html
    if state == "not_yet_valid":
        assert "does not allow republishing before then" in html
        assert "holds a valid licence" not in html


def test_the_licence_pdf_names_the_country_and_the_last_day(year_from_10_december) -> None:
    from licensing.pdf import render_licence_pdf
    from tests.test_licence_pdf import pdf_text

    text = pdf_text(render_licence_pdf(year_from_10_december))
    assert "Territory France only" in text
    assert "My country only" not in text
    assert "Until and including 9 December 2027" in text


def test_french_verify_page_says_the_country_and_dates_in_french(
    client: Client, year_from_10_december
) -> None:
    client.post("/i18n/setlang/", {"language": "fr"})
    with time_machine.travel(date(2026, 12, 1), tick=False):
        html = client.get(f"/verify/{year_from_10_december.number}/").content.decode()
    assert "France uniquement" in html
    assert "Du 10 déc. 2026 au 9 déc. 2027 inclus" in html
    assert "Pas encore valide" in html


# --- Machine-readable: ODRL 2.2 in JSON-LD --------------------------------------


def test_verify_page_links_its_odrl_policy(client: Client, licence) -> None:
    html = client.get(f"/verify/{licence.number}/").content.decode()
    assert (
        f'<link rel="alternate" type="application/ld+json" href="/verify/{licence.number}.json">'
        in html
    )


def test_odrl_policy_of_a_licence(client: Client, year_from_10_december) -> None:
    licence = year_from_10_december
    response = client.get(f"/verify/{licence.number}.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    policy = response.json()
    assert policy["@context"] == "http://www.w3.org/ns/odrl.jsonld"
    assert policy["@type"] == "Agreement"
    assert policy["uid"] == licence.verify_url
    assert policy["assigner"]["vcard:fn"] == "Middle East Eye"
    assert policy["assigner"]["uid"] == "https://www.middleeasteye.net/"
    assert policy["assignee"] == {
        "@type": "Party",
        "uid": "https://daily.example",
        "vcard:fn": "The Daily Example",
    }
    (permission,) = policy["permission"]
    assert permission["target"] == licence.article_url
    assert permission["action"] == ["reproduce", "distribute"]
    constraints = {
        (c["leftOperand"], c["operator"]): c["rightOperand"] for c in permission["constraint"]
    }
    assert constraints[("spatial", "eq")] == "FR"
    assert constraints[("language", "eq")]["@value"] == "en"
    assert constraints[("media", "eq")] == "online"
    assert constraints[("dateTime", "gteq")] == {"@value": "2026-12-10", "@type": "xsd:date"}
    assert constraints[("dateTime", "lteq")] == {"@value": "2027-12-09", "@type": "xsd:date"}
    assert constraints[("relativeSize", "eq")]["@value"] == "100"
    (duty,) = permission["duty"]
    assert duty["action"] == "attribute"
    assert licence.number in duty["dct:description"]


def test_odrl_policy_of_an_excerpt_counts_its_words(client: Client, article, reviewer) -> None:
    req = make_request(article, extent="excerpt", word_count="150", edits="Headline shortened")
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    permission = client.get(f"/verify/{req.licence.number}.json").json()["permission"][0]
    sizes = [c for c in permission["constraint"] if c["leftOperand"] == "absoluteSize"]
    assert sizes[0]["operator"] == "lteq" and sizes[0]["rightOperand"]["@value"] == "150"
    assert "modify" in permission["action"]


def test_odrl_policy_of_an_unknown_licence_is_404(client: Client, db) -> None:
    assert client.get("/verify/LIC-2026-999999.json").status_code == 404


def test_odrl_policy_carries_the_duties_of_the_notices_since(
    client: Client, licence, reviewer
) -> None:
    article = licence.request.article
    ArticleNotice.send_correction(article, actor=reviewer, message="The minister was misnamed.")
    takedown = ArticleNotice.request_takedown(article, actor=reviewer, reason="legal")
    permission = client.get(f"/verify/{licence.number}.json").json()["permission"][0]
    attribute, correction, delete = permission["duty"]
    assert attribute["action"] == "attribute"
    assert correction["action"] == "modify"
    assert correction["dct:description"] == "Correction: The minister was misnamed."
    assert delete["action"] == "delete"
    assert delete["target"] == licence.article_url
    assert delete["dct:description"] == "Takedown requested (Legal reasons)"
    assert delete["constraint"] == [
        {
            "leftOperand": "dateTime",
            "operator": "lteq",
            "rightOperand": {"@value": takedown.remove_by.isoformat(), "@type": "xsd:date"},
        }
    ]


def test_odrl_policy_of_a_renewal_names_the_licence_it_replaces(
    client: Client, licence, article, reviewer
) -> None:
    renewal = make_request(article)
    RepublicationRequest.objects.filter(pk=renewal.pk).update(renews=licence)
    renewal.refresh_from_db()
    renewal.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    policy = client.get(f"/verify/{renewal.licence.number}.json").json()
    assert policy["dct:replaces"] == licence.verify_url
    assert "dct:replaces" not in client.get(f"/verify/{licence.number}.json").json()
