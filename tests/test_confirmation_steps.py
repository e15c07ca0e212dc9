"""'Are you sure?' before Approve, Decline, Cancel, Revoke (staff) and Withdraw (requester)."""

import re

from django.test import Client

from licensing.models import RepublicationRequest
from tests.factories import make_request, make_request_in


def hidden_inputs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def test_the_desk_forms_ask_first(reviewer_client: Client, submitted) -> None:
    html = reviewer_client.get(f"/staff/requests/{submitted.pk}/").content.decode()
    for action in ("approve", "decline"):
        form = html.split(f"/staff/requests/{submitted.pk}/{action}/", 1)[1].split("</form>")[0]
        assert "data-confirm=" in form and 'name="step" value="review"' in form
    assert '<dialog id="confirm-dialog"' in html
    assert "/static/portal/confirm.js" in html
    # Asking for information is not irreversible: no step.
    ask = html.split(f"/staff/requests/{submitted.pk}/ask/", 1)[1].split("</form>")[0]
    assert "data-confirm" not in ask


def test_approve_without_javascript_shows_what_will_happen_then_acts(
    reviewer_client: Client, submitted
) -> None:
    url = f"/staff/requests/{submitted.pk}/approve/"
    data = {"fee": "150.00", "currency": "GBP", "validity_days": "30"}
    step = reviewer_client.post(url, {**data, "step": "review"})
    html = step.content.decode()
    assert step.status_code == 200
    assert "Are you sure?" in html
    assert "This issues a numbered invoice for 150.00 GBP" in html
    assert "amira@outlet.example" in html
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and submitted.invoice is None
    carried = hidden_inputs(html)
    assert {k: carried[k] for k in data} == data and "step" not in carried
    assert "Yes, approve" in html
    reviewer_client.post(url, carried)
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_payment"


def test_a_free_approval_needs_no_extra_confirmation(reviewer_client: Client, submitted) -> None:
    """DESIGN: a zero fee issues no invoice and asks for no money, so it acts at once."""
    response = reviewer_client.post(
        f"/staff/requests/{submitted.pk}/approve/",
        {"fee": "0", "currency": "GBP", "validity_days": "30", "step": "review"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "licensed" and submitted.invoice is None


def test_bad_input_is_refused_before_the_step(reviewer_client: Client, submitted) -> None:
    response = reviewer_client.post(
        f"/staff/requests/{submitted.pk}/decline/", {"reason": "", "step": "review"}
    )
    assert response.status_code == 400
    assert 'id="confirm-statement"' not in response.content.decode()


def test_decline_and_revoke_ask_first(reviewer_client: Client, reviewer, article) -> None:
    req = make_request(article)
    html = reviewer_client.post(
        f"/staff/requests/{req.pk}/decline/", {"reason": "Not for you.", "step": "review"}
    ).content.decode()
    assert f"This declines {req.reference} and emails your reason" in html
    req.refresh_from_db()
    assert req.status == "submitted"
    licensed = make_request_in(article, "licensed", actor=reviewer, email="bea@other.example")
    html = reviewer_client.post(
        f"/staff/requests/{licensed.pk}/revoke/", {"reason": "Takedown.", "step": "review"}
    ).content.decode()
    assert f"This revokes licence {licensed.licence.number}" in html
    licensed.refresh_from_db()
    assert licensed.status == "licensed"


def test_withdraw_asks_first_without_javascript(requester: Client, submitted) -> None:
    page = requester.get(submitted.get_absolute_url()).content.decode()
    form = page.split(f"/requests/{submitted.uuid}/withdraw/", 1)[1].split("</form>")[0]
    assert "data-confirm=" in form and 'name="step" value="review"' in form
    step = requester.post(f"/requests/{submitted.uuid}/withdraw/", {"step": "review"})
    html = step.content.decode()
    assert step.status_code == 200 and "Are you sure?" in html
    assert f"This withdraws request {submitted.reference}" in html
    assert RepublicationRequest.objects.get(pk=submitted.pk).status == "submitted"
    requester.post(f"/requests/{submitted.uuid}/withdraw/")
    assert RepublicationRequest.objects.get(pk=submitted.pk).status == "withdrawn"
