"""/requests/<uuid>/renew/: a new request for the same article and scope, from the day
after the licence ends, linked to the licence it renews."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from licensing.models import Licence, RepublicationRequest
from tests.e2e.helpers import pdf_text
from tests.factories import (
    make_auto_approval_rule,
    make_price_rule,
    make_request,
    make_request_in,
    request_form_data,
)


def renew_url(req: RepublicationRequest) -> str:
    return f"/requests/{req.uuid}/renew/"


def renewal_data(licensed: RepublicationRequest, **overrides: str) -> dict[str, str]:
    start = licensed.renewal_start().isoformat()
    return request_form_data(**{"start_date": start, **overrides})


def test_a_licensed_request_offers_renew(requester: Client, licensed) -> None:
    html = requester.get(f"/requests/{licensed.uuid}/").content.decode()
    assert 'id="renew-button"' in html and renew_url(licensed) in html


def test_the_renew_form_is_prefilled_from_the_licence(requester: Client, licensed) -> None:
    licence = licensed.licence
    response = requester.get(renew_url(licensed))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Renew licence {licence.number}" in html
    day_after = licence.end_date + timedelta(days=1)
    assert f'value="{day_after.isoformat()}"' in html
    assert '<option value="worldwide" selected>' in html
    assert 'value="The Daily Example"' in html
    assert "Send renewal request" in html


def test_renewing_makes_a_linked_request_the_desk_sees_as_a_renewal(
    requester: Client,
    licensed,
    reviewer_client: Client,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    make_price_rule(name="Newspapers", outlet_type="newspaper", fee_minor=12000)
    licence = licensed.licence
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = requester.post(renew_url(licensed), renewal_data(licensed, duration="6m"))
    renewal = RepublicationRequest.objects.latest("id")
    assert response["Location"] == f"/requests/{renewal.uuid}/"
    assert renewal.renews == licence
    assert (renewal.article, renewal.email, renewal.duration) == (
        licensed.article,
        licensed.email,
        "6m",
    )
    assert renewal.start_date == licence.end_date + timedelta(days=1)
    # Signed in as the requester: confirmed at once, priced by the rate card.
    assert renewal.status == "submitted"
    assert renewal.suggested_fee_minor == 12000
    [to_desk] = [m for m in mail.outbox if m.to == [settings.REVIEWERS_EMAIL]]
    assert f"(renewal of {licence.number})" in to_desk.subject
    queue = reviewer_client.get("/staff/").content.decode()
    assert f"Renewal of {licence.number}" in queue
    desk = reviewer_client.get(f"/staff/requests/{renewal.pk}/").content.decode()
    assert "Renewal of" in desk and licence.number in desk
    page = requester.get(f"/requests/{renewal.uuid}/").content.decode()
    assert f"Renewal of licence {licence.number}" in page


def test_the_new_licence_names_the_one_it_renews(
    requester: Client, licensed, reviewer, client: Client
) -> None:
    old = licensed.licence
    requester.post(renew_url(licensed), renewal_data(licensed))
    renewal = RepublicationRequest.objects.latest("id")
    renewal.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    new = Licence.objects.get(request=renewal)
    assert new.start_date == old.end_date + timedelta(days=1)
    text = pdf_text(new.pdf_bytes())
    assert f"Renews Licence {old.number}" in text
    verify = client.get(f"/verify/{new.number}/").content.decode()
    assert "Renews" in verify and f"/verify/{old.number}/" in verify
    assert "Not yet valid" in verify


def test_auto_approval_rules_apply_to_a_renewal(requester: Client, licensed) -> None:
    make_auto_approval_rule(name="Newspapers free", outlet_type="newspaper", fee_minor=0)
    requester.post(renew_url(licensed), renewal_data(licensed))
    renewal = RepublicationRequest.objects.latest("id")
    assert renewal.status == "licensed"
    assert renewal.licence.start_date == licensed.licence.end_date + timedelta(days=1)


def test_the_renewal_keeps_the_narrowed_scope(client: Client, article, reviewer) -> None:
    from licensing.models import Scope

    req = make_request(article)
    req.approve(
        actor=reviewer,
        fee_minor=0,
        currency="GBP",
        validity_days=30,
        scope=Scope("europe", "6m", "excerpt", 100, False, ""),
    )
    client.force_login(req.requester)
    html = client.get(renew_url(req)).content.decode()
    assert '<option value="europe" selected>' in html
    assert '<option value="6m" selected>' in html
    assert 'name="word_count" value="100"' in html


def test_an_expired_licence_renews_from_today(requester: Client, licensed) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    Licence.objects.filter(request=licensed).update(end_date=yesterday)
    licensed.licence.refresh_from_db()
    licensed.licence.expire(on=timezone.localdate())
    html = requester.get(f"/requests/{licensed.uuid}/").content.decode()
    assert 'id="renew-button"' in html
    html = requester.get(renew_url(licensed)).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in html
    requester.post(renew_url(licensed), renewal_data(licensed))
    assert RepublicationRequest.objects.latest("id").start_date == timezone.localdate()


def test_renewing_twice_shows_the_renewal_already_asked_for(requester: Client, licensed) -> None:
    requester.post(renew_url(licensed), renewal_data(licensed))
    first = RepublicationRequest.objects.latest("id")
    for response in (
        requester.get(renew_url(licensed), follow=True),
        requester.post(renew_url(licensed), renewal_data(licensed), follow=True),
    ):
        assert response.redirect_chain[-1][0] == f"/requests/{first.uuid}/"
        assert f"You already asked to renew this licence: request {first.reference}." in (
            response.content.decode()
        )
    assert RepublicationRequest.objects.filter(renews=licensed.licence).count() == 1
    page = requester.get(f"/requests/{licensed.uuid}/").content.decode()
    assert 'id="renew-button"' not in page and first.reference in page


def test_a_declined_renewal_makes_room_for_another(requester: Client, licensed, reviewer) -> None:
    requester.post(renew_url(licensed), renewal_data(licensed))
    RepublicationRequest.objects.latest("id").decline(actor=reviewer, reason="Not now.")
    response = requester.post(renew_url(licensed), renewal_data(licensed))
    assert response.status_code == 302
    assert RepublicationRequest.objects.filter(renews=licensed.licence).count() == 2


def test_the_database_holds_one_open_renewal_per_licence(requester: Client, licensed) -> None:
    requester.post(renew_url(licensed), renewal_data(licensed))
    first = RepublicationRequest.objects.latest("id")
    second = make_request(licensed.article)
    with pytest.raises(IntegrityError), transaction.atomic():
        RepublicationRequest.objects.filter(pk=second.pk).update(renews=first.renews)


@pytest.mark.parametrize("status", ["submitted", "awaiting_payment", "declined", "revoked"])
def test_renewing_what_is_not_licensed_says_why_and_creates_nothing(
    client: Client, article, reviewer, status: str
) -> None:
    req = make_request_in(article, status, actor=reviewer)
    client.force_login(req.requester)
    count = RepublicationRequest.objects.count()
    for response in (
        client.get(renew_url(req), follow=True),
        client.post(renew_url(req), request_form_data(), follow=True),
    ):
        assert response.redirect_chain[-1][0] == f"/requests/{req.uuid}/"
        assert "Only a licensed request can be renewed" in response.content.decode()
    assert RepublicationRequest.objects.count() == count


def test_a_perpetual_licence_has_nothing_to_renew(client: Client, article, reviewer) -> None:
    req = make_request_in(article, "licensed", actor=reviewer, duration="perpetual")
    client.force_login(req.requester)
    response = client.get(renew_url(req), follow=True)
    assert "This licence has no end date: there is nothing to renew." in (response.content.decode())
    assert 'id="renew-button"' not in client.get(f"/requests/{req.uuid}/").content.decode()


def test_an_article_withdrawn_from_republication_cannot_be_renewed(
    requester: Client, licensed
) -> None:
    licensed.article.republishable = False
    licensed.article.save()
    response = requester.post(renew_url(licensed), renewal_data(licensed), follow=True)
    assert "This article is no longer offered for republication." in response.content.decode()
    assert not RepublicationRequest.objects.filter(renews__isnull=False).exists()


def test_bad_input_is_a_field_error_and_nothing_is_created(requester: Client, licensed) -> None:
    response = requester.post(
        renew_url(licensed), renewal_data(licensed, start_date="2001-01-01", audience_size="0")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The start date cannot be in the past." in html
    assert "Enter an audience of at least 1." in html
    assert not RepublicationRequest.objects.filter(renews__isnull=False).exists()


def test_only_the_licensee_may_renew(client: Client, licensed, article, reviewer_client) -> None:
    someone = make_request(article, email="someone@else.example")
    client.force_login(someone.requester)
    assert client.get(renew_url(licensed)).status_code == 404
    assert client.post(renew_url(licensed), renewal_data(licensed)).status_code == 404
    assert reviewer_client.post(renew_url(licensed), renewal_data(licensed)).status_code == 403
    signed_out = Client().get(renew_url(licensed))
    assert signed_out.status_code == 302 and "/account/login/" in signed_out["Location"]
    assert not RepublicationRequest.objects.filter(renews__isnull=False).exists()
