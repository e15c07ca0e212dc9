"""Error pages: handler500's 500 page, or its 503 page when the database is the cause (no
database needed), and the 404 for a NUL byte in the URL.

tests/test_database_outage.py shows the 503 in real outages on PostgreSQL.
"""

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from portal.views import server_error


def answer(error: Exception):
    request = RequestFactory().get("/requests/")
    try:
        raise error
    except Exception:
        # As Django calls it: inside the handling of the exception.
        return server_error(request)


@pytest.mark.django_db
def test_an_ordinary_error_gives_the_500_page(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = answer(ValueError("a bug"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "Retry-After" not in response


@pytest.mark.django_db
def test_a_database_error_gives_the_503_page_in_the_layout(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = answer(OperationalError("connection refused"))
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Service briefly unavailable" in html
    assert 'href="#main"' in html
    assert 'name="csrfmiddlewaretoken"' in html  # the language switcher still works


@pytest.mark.parametrize(
    "url",
    [
        "/verify/LIC%00x/",
        "/republish/?url=https://a%00b",
        "/articles/?q=a%00b",
        "/staff/invoices/INV%00/",
    ],
)
def test_nul_bytes_in_urls_are_404_not_500(client: Client, db, url: str) -> None:
    # PostgreSQL refuses NUL in text; the guard (portal.middleware) answers before any query.
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
