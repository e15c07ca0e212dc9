"""The public fee estimate: /articles/<slug>/estimate/ and the form's "Update estimate"."""

import pytest
from django.test import Client

from licensing.models import PriceRule, RepublicationRequest
from tests.factories import request_form_data


@pytest.fixture
def rate_card(db) -> None:
    PriceRule.objects.create(name="Base", fee_minor=25000, currency="GBP")
    PriceRule.objects.create(name="NGO", outlet_type="ngo", fee_minor=7500, currency="GBP")
    PriceRule.objects.create(
        name="NGO excerpt", outlet_type="ngo", extent="excerpt", fee_minor=4000, currency="GBP"
    )


def test_estimate_sharpens_as_options_are_chosen(client: Client, article, rate_card) -> None:
    url = f"/articles/{article.slug}/estimate/"
    assert "250.00 GBP" in client.get(url).content.decode()
    assert "75.00 GBP" in client.get(url, {"outlet_type": "ngo"}).content.decode()
    html = client.get(url, {"outlet_type": "ngo", "extent": "excerpt"}).content.decode()
    assert "40.00 GBP" in html
    assert "estimate, final fee set on review" in html


def test_bad_estimate_input_is_ignored_not_an_error(client: Client, article, rate_card) -> None:
    url = f"/articles/{article.slug}/estimate/"
    response = client.get(url, {"outlet_type": "spaceship", "audience_size": "-4"})
    assert response.status_code == 200
    assert "250.00 GBP" in response.content.decode()


def test_no_rule_no_figure(client: Client, article) -> None:
    html = client.get(f"/articles/{article.slug}/estimate/").content.decode()
    assert "GBP" not in html
    assert "to see an estimate" in html


def test_form_page_shows_estimate_with_wording(client: Client, article, rate_card) -> None:
    html = client.get(f"/articles/{article.slug}/republish/").content.decode()
    assert 'id="estimate"' in html and "250.00 GBP" in html
    assert "estimate, final fee set on review" in html


def test_update_estimate_without_javascript_keeps_input_and_saves_nothing(
    client: Client, article, rate_card
) -> None:
    data = request_form_data(outlet_type="ngo", extent="excerpt", word_count="100", email="")
    data["estimate"] = "1"
    response = client.post(f"/articles/{article.slug}/republish/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "40.00 GBP" in html
    assert 'value="Amira Haddad"' in html
    assert "This field is required." not in html
    assert RepublicationRequest.objects.count() == 0


def test_suggested_fee_is_stored_on_submission(client: Client, article, rate_card) -> None:
    client.post(f"/articles/{article.slug}/republish/", request_form_data(outlet_type="ngo"))
    req = RepublicationRequest.objects.get()
    assert (req.suggested_fee_minor, req.suggested_currency) == (7500, "GBP")


@pytest.mark.parametrize(
    ("params", "case"),
    [
        (
            {"country": "DE", "vat_number": "DE136695976"},
            "DE VAT number valid in form: reverse charge",
        ),
        ({"country": "DE", "vat_number": "DE12"}, "DE VAT number not valid in form"),
        ({"country": "GB"}, "UK buyer: UK VAT at 20%"),
    ],
)
def test_estimate_says_which_vat_case_applies(client: Client, article, rate_card, params, case):
    html = client.get(f"/articles/{article.slug}/estimate/", params).content.decode()
    assert f"VAT: {case}" in html


def test_estimate_in_french_explains_vat_in_french(client: Client, article, rate_card) -> None:
    client.post("/i18n/setlang/", {"language": "fr"})
    params = {"country": "DE", "vat_number": "DE136695976"}
    html = client.get(f"/articles/{article.slug}/estimate/", params).content.decode()
    assert "Numéro de TVA DE de forme valide\u00a0: autoliquidation" in html


def test_estimate_without_a_country_or_with_a_bad_one_says_nothing_of_vat(
    client: Client, article, rate_card
) -> None:
    for params in ({}, {"country": "XX", "vat_number": "<b>"}):
        response = client.get(f"/articles/{article.slug}/estimate/", params)
        assert response.status_code == 200
        assert 'id="vat-case"' not in response.content.decode()


def test_form_page_shows_the_vat_case_of_a_form_sent_back(client: Client, article, rate_card):
    data = request_form_data(country="DE", vat_number="DE136695976")
    data["estimate"] = "1"
    html = client.post(f"/articles/{article.slug}/republish/", data).content.decode()
    assert "VAT: DE VAT number valid in form: reverse charge" in html
