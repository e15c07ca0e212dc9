"""/admin/: superusers manage articles and read requests with their history."""

from django.test import Client

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
