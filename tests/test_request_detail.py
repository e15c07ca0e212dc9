"""/requests/<uuid>/: only the submitting browser, its requester and staff may see a request."""

import uuid

from django.test import Client

from portal.formats import format_day
from tests.factories import approved_request, make_request, submit_and_confirm

submit = submit_and_confirm


def test_submitting_browser_sees_reference_status_article_and_answers(
    client: Client, article
) -> None:
    req = submit(
        client, article, extent="excerpt", word_count="120", territory="mena", language="ar"
    )
    response = client.get(f"/requests/{req.uuid}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert req.reference in html
    assert ">Submitted<" in html
    assert article.title in html
    for shown in [
        "Website or app",
        "Arabic",
        "Middle East and North Africa",
        "Excerpt",
        "120 words",
        "1 year",
        "The Daily Example",
        "amira@outlet.example",
        "250,000",
    ]:
        assert shown in html, shown


def test_signed_out_visitor_is_sent_to_sign_in_and_back(
    client: Client, other_requester: Client, article
) -> None:
    req = submit(client, article)
    response = other_requester.get(f"/requests/{req.uuid}/")
    assert response["Location"] == f"/account/login/?next=/requests/{req.uuid}/"


def test_visitor_signed_in_as_someone_else_gets_404(client: Client, article) -> None:
    req = submit(client, article)
    someone = Client()
    someone.force_login(make_request(article, email="bea@other.example").requester)
    assert someone.get(f"/requests/{req.uuid}/").status_code == 404


def test_request_from_another_session_stays_hidden(client: Client, article) -> None:
    theirs = make_request(article, email="bea@other.example")
    submit(client, article)
    assert client.get(f"/requests/{theirs.uuid}/").status_code == 404


def test_staff_may_see_any_request(reviewer_client: Client, article) -> None:
    req = make_request(article)
    assert reviewer_client.get(f"/requests/{req.uuid}/").status_code == 200


def test_unknown_uuid_answers_like_a_real_one(client: Client, article) -> None:
    # Signed out: to the sign-in page, whether or not the request exists.
    unknown = f"/requests/{uuid.uuid4()}/"
    assert client.get(unknown)["Location"] == f"/account/login/?next={unknown}"
    assert client.get("/requests/not-a-uuid/").status_code == 404
    # Signed in: 404.
    submit(client, article)
    assert client.get(unknown).status_code == 404


def test_history_lists_the_submission(client: Client, article) -> None:
    req = submit(client, article)
    html = client.get(f"/requests/{req.uuid}/").content.decode()
    assert 'id="history-heading"' in html
    # Sent from the form, then confirmed by the emailed link.
    assert html.count('class="list-group-item"') == 2


def test_card_button_needs_both_stripe_keys(client: Client, article, reviewer, settings) -> None:
    req = submit_and_confirm(client, article)
    req.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", ""
    assert "Pay by card" not in client.get(f"/requests/{req.uuid}/").content.decode()
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert "Pay by card" in client.get(f"/requests/{req.uuid}/").content.decode()


def test_arabic_request_page_labels_bank_details_and_formats_figures(
    article, reviewer, exchange_rates
) -> None:
    """Arabic labels for IBAN and BIC, the audience grouped, the amount in the reader's format."""
    req = approved_request(
        article, actor=reviewer, fee_minor=123450, currency="EUR", audience_size="1250000"
    )
    client = Client()
    client.cookies["django_language"] = "ar"
    client.force_login(req.requester)
    html = client.get(req.get_absolute_url()).content.decode()
    assert '<dt class="col-5">رقم الآيبان (IBAN)</dt>' in html
    assert '<dt class="col-5">رمز السويفت (BIC)</dt>' in html
    assert '<dd class="col-sm-8">1,250,000</dd>' in html
    assert 'id="invoice-total">\u200f1,481.40\xa0€</td>' in html
    assert "ضريبة القيمة المضافة (20%)" in html


def test_french_request_page_writes_figures_and_dates_the_french_way(
    article, reviewer, exchange_rates
) -> None:
    req = approved_request(
        article, actor=reviewer, fee_minor=123450, currency="EUR", audience_size="1250000"
    )
    client = Client()
    client.cookies["django_language"] = "fr"
    client.force_login(req.requester)
    html = client.get(req.get_absolute_url()).content.decode()
    assert '<dd class="col-sm-8">1\u202f250\u202f000</dd>' in html
    assert 'id="invoice-total">1\u202f481,40\xa0€</td>' in html
    assert "TVA (20\xa0%)" in html
    assert f"à régler au plus tard le {format_day(req.invoice.due_on, language='fr')}" in html
    assert "Montant HT" in html
