"""/admin/: superusers manage articles and read requests with their history."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from licensing.models import Article, ArticleNotice
from tests.factories import make_request


def test_anonymous_is_sent_to_login(client: Client, db) -> None:
    response = client.get("/admin/licensing/republicationrequest/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_request_list_search_and_filter(client: Client, superuser, article) -> None:
    req = make_request(article, outlet_name="Searchable Gazette")
    client.force_login(superuser)
    listing = client.get("/admin/licensing/republicationrequest/", {"q": "Searchable"})
    assert req.reference in listing.content.decode()
    filtered = client.get("/admin/licensing/republicationrequest/", {"status__exact": "declined"})
    assert req.reference not in filtered.content.decode()


def test_request_change_page_shows_history_read_only(client: Client, superuser, article) -> None:
    req = make_request(article)
    client.force_login(superuser)
    html = client.get(f"/admin/licensing/republicationrequest/{req.pk}/change/").content.decode()
    assert req.reference in html
    assert "The requester confirmed their email address." in html


def test_article_admin_search(client: Client, superuser, article) -> None:
    client.force_login(superuser)
    html = client.get("/admin/licensing/article/", {"q": "al-Nusra"}).content.decode()
    assert article.title in html


def _tick_republishable(client: Client, article) -> str:
    """Post the article list's editable column, as the admin's Save button does."""
    response = client.post(
        "/admin/licensing/article/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(article.pk),
            "form-0-republishable": "on",
            "_save": "Save",
        },
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_an_article_taken_down_cannot_be_offered_again(
    client: Client, superuser, article, reviewer
) -> None:
    ArticleNotice.request_takedown(article, actor=reviewer, reason="legal")
    client.force_login(superuser)
    html = _tick_republishable(client, article)
    assert "A takedown of this article was requested on" in html
    article.refresh_from_db()
    assert article.republishable is False
    article.full_clean()  # unticked, as the takedown left it: nothing to refuse
    article.republishable = True
    with pytest.raises(ValidationError, match="cannot be offered for republication again"):
        article.full_clean()


def test_an_article_merely_unticked_can_be_offered_again(
    client: Client, superuser, article
) -> None:
    Article.objects.filter(pk=article.pk).update(republishable=False)
    client.force_login(superuser)
    _tick_republishable(client, article)
    article.refresh_from_db()
    assert article.republishable is True
