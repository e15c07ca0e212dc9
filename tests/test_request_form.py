"""The public request form at /articles/<slug>/republish/: happy path and every bad input."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from licensing.models import Outlet, RepublicationRequest, StatusChange
from tests.factories import follow_request_link, make_article, request_form_data

# The form's inputs, in order, as the contract names them.
CONTRACT_FIELDS = [
    "contact_name", "email", "outlet_name", "outlet_website", "outlet_type", "country",
    "audience_size", "vat_number", "outlet_address", "purchase_order", "media", "language",
    "territory", "start_date", "duration", "extent", "word_count", "include_images", "edits",
    "notes", "accept_terms",
]  # fmt: skip


def url_for(article) -> str:
    return f"/articles/{article.slug}/republish/"


def test_form_has_every_contract_field_with_a_visible_label(client: Client, article) -> None:
    response = client.get(url_for(article))
    html = response.content.decode()
    assert response.status_code == 200
    for name in CONTRACT_FIELDS:
        assert f'name="{name}"' in html, name
    for name in CONTRACT_FIELDS:
        if name == "extent":  # radio group: each option has its own label, the group a legend
            assert 'for="id_extent_0"' in html
            continue
        assert f'for="id_{name}"' in html, name


def test_form_shows_the_article_beside_it(client: Client, article) -> None:
    response = client.get(url_for(article))
    assert article.title in response.content.decode()
    assert article.canonical_url in response.content.decode()


def test_bootstrap_is_served_locally(client: Client, article) -> None:
    html = client.get(url_for(article)).content.decode()
    assert "/static/css/bootstrap.min.css" in html
    # Every stylesheet and script from this server, none from a CDN. (Not a search for
    # "cdn" in the page: a random CSRF token spelt it once.)
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"|<script src="([^"]+)"', html)
    assert assets
    assert [url for pair in assets for url in pair if url and not url.startswith("/static/")] == []


@pytest.mark.django_db(transaction=True)
def test_submit_stores_request_and_redirects_to_its_page(client: Client, article) -> None:
    response = client.post(url_for(article), request_form_data())
    req = RepublicationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{req.uuid}/"
    # Not signed in as that address: it waits for the emailed link.
    assert req.status == "unconfirmed"
    assert req.reference == f"RR-{timezone.localdate().year}-00001"
    assert req.article == article
    assert req.outlet is None and req.requester is None
    assert req.include_images is True
    assert req.word_count is None
    assert StatusChange.objects.get().to_status == "unconfirmed"
    follow_request_link(client, req)
    req.refresh_from_db()
    assert req.status == "submitted"
    assert req.outlet.email == "amira@outlet.example"
    assert req.requester.email == "amira@outlet.example"


@pytest.mark.django_db(transaction=True)
def test_submit_emails_requester_and_reviewers_after_commit(
    client: Client, article, settings
) -> None:
    settings.REVIEWERS_EMAIL = "desk@publisher.example"
    client.post(url_for(article), request_form_data())
    req = RepublicationRequest.objects.get()
    # Unconfirmed: only the requester hears of it, with the link that confirms.
    assert [message.to for message in mail.outbox] == [["amira@outlet.example"]]
    to_requester = mail.outbox[0]
    assert req.reference in to_requester.subject and "Confirm" in to_requester.subject
    assert f"/requests/{req.uuid}/?link=" in to_requester.body
    assert to_requester.alternatives[0][1] == "text/html"
    follow_request_link(client, req)
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["amira@outlet.example", "desk@publisher.example"]


def test_second_request_gets_next_reference_and_updates_outlet(client: Client, article) -> None:
    client.post(url_for(article), request_form_data())
    follow_request_link(client, RepublicationRequest.objects.get())
    # Signed in as that address by the link: the second one needs no confirmation.
    client.post(
        url_for(article),
        request_form_data(outlet_name="Renamed Daily", email="AMIRA@outlet.example"),
    )
    assert RepublicationRequest.objects.latest("id").status == "submitted"
    references = sorted(RepublicationRequest.objects.values_list("reference", flat=True))
    year = timezone.localdate().year
    assert references == [f"RR-{year}-00001", f"RR-{year}-00002"]
    assert Outlet.objects.get().name == "Renamed Daily"


def test_excerpt_with_word_count_is_accepted(client: Client, article) -> None:
    response = client.post(url_for(article), request_form_data(extent="excerpt", word_count="150"))
    assert response.status_code == 302
    assert RepublicationRequest.objects.get().word_count == 150


def test_arabic_cyrillic_and_accented_input_is_kept(client: Client, article) -> None:
    data = request_form_data(
        contact_name="سارة العلي",
        outlet_name="Газета Пример",
        notes="Traduction prévue en français, déjà validée.",
        country="FR",
    )
    response = client.post(url_for(article), data, follow=True)
    html = response.content.decode()
    req = RepublicationRequest.objects.get()
    assert req.contact_name == "سارة العلي"
    assert req.outlet_name == "Газета Пример"
    assert "سارة العلي" in html and "Газета Пример" in html and "déjà validée" in html


def test_html_typed_into_fields_is_shown_escaped(client: Client, article) -> None:
    data = request_form_data(notes="<script>alert('x')</script>", outlet_name="<b>Bold</b> News")
    html = client.post(url_for(article), data, follow=True).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; News" in html


def test_valid_eu_vat_number_is_stored_compact(client: Client, article) -> None:
    data = request_form_data(country="FR", vat_number="FR 40 303 265 045")
    assert client.post(url_for(article), data).status_code == 302
    assert RepublicationRequest.objects.get().vat_number == "40303265045"


today = timezone.localdate


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"start_date": "yesterday"}, "start_date", "Enter a valid date."),
        ({"audience_size": "-5"}, "audience_size", "at least 1"),
        ({"audience_size": "0"}, "audience_size", "at least 1"),
        ({"audience_size": "99999999999"}, "audience_size", "less than or equal to"),
        ({"audience_size": "lots"}, "audience_size", "Enter a whole number."),
        ({"extent": "full", "word_count": "300"}, "word_count", "Leave the word count empty"),
        ({"extent": "excerpt", "word_count": ""}, "word_count", "how many words"),
        ({"extent": "excerpt", "word_count": "5000"}, "word_count", "shorter than the article"),
        ({"contact_name": "x" * 201}, "contact_name", "at most 200 characters"),
        ({"outlet_name": "x" * 201}, "outlet_name", "at most 200 characters"),
        ({"notes": "x" * 5001}, "notes", "at most 5000 characters"),
        ({"edits": "x" * 5001}, "edits", "at most 5000 characters"),
        ({"outlet_address": ""}, "outlet_address", "This field is required."),
        ({"outlet_address": "   "}, "outlet_address", "This field is required."),
        ({"outlet_address": "x" * 501}, "outlet_address", "at most 500 characters"),
        ({"purchase_order": "x" * 101}, "purchase_order", "at most 100 characters"),
        ({"outlet_website": "ftp://files.example.org"}, "outlet_website", "Enter a valid URL."),
        ({"outlet_website": "javascript:alert(1)"}, "outlet_website", "Enter a valid URL."),
        ({"country": "FR", "vat_number": "FR12345"}, "vat_number", "not a valid VAT number"),
        ({"country": "DE", "vat_number": "FR40303265045"}, "vat_number", "not a valid VAT number"),
        ({"accept_terms": None}, "accept_terms", "You must accept the terms"),
        ({"media": "carrier-pigeon"}, "media", "Select a valid choice."),
        ({"country": "XX"}, "country", "Select a valid choice."),
    ],
)
def test_bad_input_shows_field_error_keeps_input_and_saves_nothing(
    client: Client, article, overrides, field, message
) -> None:
    data = request_form_data(**overrides)
    response = client.post(url_for(article), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    # The error is rendered next to its field (crispy's per-field feedback block).
    assert f'id="error_1_id_{field}"' in html
    # What the user typed elsewhere is still in the form.
    assert 'value="Amira Haddad"' in html or field == "contact_name"
    assert RepublicationRequest.objects.count() == 0
    assert Outlet.objects.count() == 0
    assert StatusChange.objects.count() == 0


def test_start_date_in_the_past_is_refused(client: Client, article) -> None:
    past = (today() - timedelta(days=1)).isoformat()
    response = client.post(url_for(article), request_form_data(start_date=past))
    assert response.status_code == 400
    assert response.context["form"].errors["start_date"] == [
        "The start date cannot be in the past."
    ]
    assert f'value="{past}"' in response.content.decode()
    assert RepublicationRequest.objects.count() == 0


def test_start_date_years_ahead_is_refused(client: Client, article) -> None:
    far = (today() + timedelta(days=365 * 5)).isoformat()
    response = client.post(url_for(article), request_form_data(start_date=far))
    assert "within the next two years" in response.context["form"].errors["start_date"][0]


def test_missing_csrf_token_is_refused_with_a_friendly_page(article) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(url_for(article), request_form_data())
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()
    assert RepublicationRequest.objects.count() == 0


def test_unknown_article_is_404(client: Client, db) -> None:
    assert client.get("/articles/no-such-article/republish/").status_code == 404


def test_not_republishable_article_refuses_requests(client: Client, db) -> None:
    article = make_article(republishable=False)
    page = client.get(url_for(article))
    assert "not available for republishing" in page.content.decode()
    assert 'name="accept_terms"' not in page.content.decode()
    client.post(url_for(article), request_form_data())
    assert RepublicationRequest.objects.count() == 0


def test_error_summary_links_each_error_to_its_field(client: Client, article) -> None:
    response = client.post(url_for(article), request_form_data(contact_name="", accept_terms=None))
    html = response.content.decode()
    assert '<a href="#id_contact_name">Your name: This field is required.</a>' in html
    # The terms' label is a sentence of its own: the summary gives only the error.
    assert '<a href="#id_accept_terms">You must accept the terms to send a request.</a>' in html


def test_postal_address_and_purchase_order_are_kept_and_the_address_remembered(
    client: Client, article
) -> None:
    address = "Rue de la Paix 12\n75002 Paris"
    data = request_form_data(outlet_address=address, purchase_order="PO-2026-118")
    assert client.post(url_for(article), data).status_code == 302
    req = RepublicationRequest.objects.get()
    assert (req.outlet_address, req.purchase_order) == (address, "PO-2026-118")
    # Remembered with the outlet once the address is confirmed, not before.
    assert not Outlet.objects.exists()
    follow_request_link(client, req)
    assert Outlet.objects.get().address == address


def test_postal_address_is_stored_one_line_a_line(client: Client, article) -> None:
    data = request_form_data(outlet_address="  Rue de la Paix 12\r\n\r\n 75002 Paris \r\n")
    assert client.post(url_for(article), data).status_code == 302
    assert RepublicationRequest.objects.get().outlet_address == "Rue de la Paix 12\n75002 Paris"


def test_purchase_order_is_optional(client: Client, article) -> None:
    assert client.post(url_for(article), request_form_data(purchase_order="")).status_code == 302
    assert RepublicationRequest.objects.get().purchase_order == ""


@pytest.mark.parametrize(
    ("country", "number", "what_is_wrong"),
    [
        ("FR", "FR12345", "il compte trop ou trop peu de caractères"),  # InvalidLength
        ("DE", "DE136695977", "sa clé de contrôle ne correspond pas"),  # InvalidChecksum
        ("NL", "NL004495445XYZ", "pas la forme des numéros de ce pays"),  # InvalidFormat
    ],
)
def test_vat_number_error_says_what_is_wrong_in_the_readers_language(
    article, country: str, number: str, what_is_wrong: str
) -> None:
    """python-stdnum's error class picks our own translated message, never its English text."""
    client = Client()
    client.cookies["django_language"] = "fr"
    data = request_form_data(country=country, vat_number=number)
    response = client.post(url_for(article), data)
    assert response.status_code == 400
    [error] = response.context["form"].errors["vat_number"]
    assert error.startswith("Ce numéro de TVA n\u2019est pas valide pour le pays choisi\u00a0: ")
    assert what_is_wrong in error
    assert "number" not in error  # stdnum's "The number has an invalid length."
    assert RepublicationRequest.objects.count() == 0
