"""The request form's honeypot: a field people never see and bots fill in."""

import re
from pathlib import Path

from django.core import mail
from django.test import Client

from licensing.forms import HONEYPOT_FIELD
from licensing.models import Article, RepublicationRequest
from tests.factories import request_form_data

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_FIELDS = {
    "contact_name", "email", "outlet_name", "outlet_website", "outlet_type", "country",
    "audience_size", "vat_number", "outlet_address", "purchase_order", "media", "language",
    "territory", "start_date", "duration",
    "extent", "word_count", "include_images", "edits", "notes", "accept_terms",
}  # fmt: skip


def honeypot_markup(html: str) -> str:
    """The element wrapping the honeypot, up to its input."""
    start = html.rindex("<", 0, html.index('class="form-extra"'))
    end = html.index(">", html.index(f'name="{HONEYPOT_FIELD}"'))
    return html[start:end]


def test_honeypot_is_hidden_labelled_and_out_of_the_tab_order(
    client: Client, article: Article
) -> None:
    assert HONEYPOT_FIELD not in CONTRACT_FIELDS
    html = client.get(article.get_republish_url()).content.decode()
    markup = honeypot_markup(html)
    field_id = f"id_{HONEYPOT_FIELD}"
    # A visible-to-screen-readers label telling people to leave it empty.
    assert re.search(rf'<label[^>]*for="{field_id}"[^>]*>\s*Leave this field empty', markup)
    field = re.search(rf'<input[^>]*name="{HONEYPOT_FIELD}"[^>]*', markup)
    assert field is not None
    assert 'tabindex="-1"' in field.group(0)
    assert 'autocomplete="off"' in field.group(0)
    assert "required" not in field.group(0)
    # Hidden by the stylesheet, not by an inline style (the CSP forbids those).
    css = (ROOT / "static/portal/portal.css").read_text()
    rule = re.search(r"\.form-extra\s*\{([^}]*)\}", css)
    assert rule is not None
    assert "clip: rect(0, 0, 0, 0)" in rule.group(1)
    assert "position: absolute" in rule.group(1)


def test_filled_honeypot_saves_nothing_and_sends_nothing(client: Client, article: Article) -> None:
    mail.outbox.clear()
    data = request_form_data(**{HONEYPOT_FIELD: "https://cheap-pills.example"})
    response = client.post(article.get_republish_url(), data)
    assert response.status_code == 400
    assert RepublicationRequest.objects.count() == 0
    assert mail.outbox == []
    html = response.content.decode()
    # A person whose browser autofilled it learns why and can send again:
    # what they typed is kept, the hidden field comes back empty.
    assert "Your browser filled in a field meant to stay empty." in html
    assert 'value="Amira Haddad"' in html
    assert "cheap-pills" not in html


def test_sending_again_with_the_honeypot_empty_works(client: Client, article: Article) -> None:
    url = article.get_republish_url()
    client.post(url, request_form_data(**{HONEYPOT_FIELD: "x"}))
    response = client.post(url, request_form_data(**{HONEYPOT_FIELD: ""}))
    assert response.status_code == 302
    assert RepublicationRequest.objects.count() == 1


def test_whitespace_only_honeypot_is_treated_as_empty(client: Client, article: Article) -> None:
    # CharField strips: an autofilled space is not a bot.
    response = client.post(article.get_republish_url(), request_form_data(homepage="  "))
    assert response.status_code == 302
