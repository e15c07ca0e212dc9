"""/republish/?url= for an article of our own sites that the catalogue lacks."""

from typing import Any

from django.core import mail
from django.test import Client

from licensing.models import Article, RepublicationRequest
from tests.factories import follow_request_link, make_auto_approval_rule, request_form_data

ARCHIVE = "https://www.middleeasteye.net/news/archive-piece-2015?utm_source=newsletter"


def test_an_address_on_our_site_offers_the_form_with_a_title_field(client: Client, db) -> None:
    response = client.get("/republish/", {"url": ARCHIVE})
    html = response.content.decode()
    assert response.status_code == 200
    assert "not in our republishing catalogue yet" in html
    assert 'name="article_title"' in html and 'for="id_article_title"' in html
    assert 'name="url"' in html and "archive-piece-2015" in html
    assert 'name="email"' in html and 'name="accept_terms"' in html


def test_an_address_elsewhere_keeps_the_404_with_a_search_box(client: Client, db) -> None:
    response = client.get("/republish/", {"url": "https://elsewhere.example/story"})
    assert response.status_code == 404
    assert '<input type="search" name="q"' in response.content.decode()


def send(client: Client, **overrides) -> Any:
    data = {"url": ARCHIVE, "article_title": "An archive piece", **request_form_data(**overrides)}
    return client.post("/republish/", data)


def test_the_request_is_stored_for_an_unlisted_article_and_the_desk_confirms_it(
    client: Client, reviewer_client: Client, db
) -> None:
    make_auto_approval_rule(name="Free for all", fee_minor=0)
    response = send(client)
    req = RepublicationRequest.objects.get()
    assert response["Location"] == req.get_absolute_url()
    article = req.article
    assert article.title == "An archive piece"
    assert article.canonical_url == "https://www.middleeasteye.net/news/archive-piece-2015"
    assert article.in_catalogue is False
    # Not listed, no page of its own, until the desk confirms it.
    assert "An archive piece" not in client.get("/articles/").content.decode()
    assert client.get(article.get_absolute_url()).status_code == 404
    follow_request_link(client, req)
    req.refresh_from_db()
    # No auto-approval for an article the desk has not confirmed.
    assert req.status == "submitted"
    desk = reviewer_client.get(f"/staff/requests/{req.pk}/").content.decode()
    assert "Not in the catalogue" in desk
    assert 'name="confirm_article"' in desk
    # Approving needs the confirmation; with it the article is listed.
    approve = {"fee": "100.00", "currency": "GBP", "validity_days": "30"}
    refused = reviewer_client.post(f"/staff/requests/{req.pk}/approve/", approve)
    assert refused.status_code == 400
    req.refresh_from_db()
    assert req.status == "submitted"
    reviewer_client.post(f"/staff/requests/{req.pk}/approve/", {**approve, "confirm_article": "on"})
    req.refresh_from_db()
    assert req.status == "awaiting_payment"
    assert Article.objects.get(pk=article.pk).in_catalogue is True
    assert "An archive piece" in client.get("/articles/").content.decode()


def test_bad_input_is_a_field_error_and_nothing_is_saved(client: Client, db) -> None:
    response = client.post(
        "/republish/", {"url": ARCHIVE, "article_title": "", **request_form_data(email="x")}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Title of the article" in html and "Enter a valid email address." in html
    assert not Article.objects.exists() and not RepublicationRequest.objects.exists()
    assert mail.outbox == []


def test_a_second_request_for_the_same_address_reuses_the_article(client: Client, db) -> None:
    send(client)
    again = client.get("/republish/", {"url": ARCHIVE}).content.decode()
    assert 'value="An archive piece"' in again
    send(Client(), email="bea@other.example")
    assert Article.objects.count() == 1
    assert RepublicationRequest.objects.count() == 2
