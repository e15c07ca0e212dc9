"""The rate card (PriceRule), auto-approval at submission, and their admin pages."""

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from billing.models import Invoice
from licensing.models import AutoApprovalRule, PriceRule, RepublicationRequest
from licensing.notices import ArticleNotice
from tests.factories import make_auto_approval_rule, make_price_rule, make_request


def asking(**overrides: Any) -> RepublicationRequest:
    """An unsaved request with the fields the rate card looks at."""
    values: dict[str, Any] = {
        "outlet_type": "newspaper",
        "media": "online",
        "extent": "full",
        "territory": "worldwide",
        "audience_size": 50_000,
    }
    values.update(overrides)
    return RepublicationRequest(**values)


# --- Suggested fee ------------------------------------------------------------


def test_most_specific_rule_wins(db) -> None:
    make_price_rule(name="Anything", fee_minor=10000)
    make_price_rule(name="Newspapers", outlet_type="newspaper", fee_minor=5000)
    make_price_rule(
        name="Newspapers online", outlet_type="newspaper", media="online", fee_minor=30000
    )
    make_price_rule(
        name="Big newspapers online",
        outlet_type="newspaper",
        media="online",
        min_audience=1_000_000,
        fee_minor=90000,
    )
    assert PriceRule.suggest_fee(asking()) == (30000, "GBP")
    assert PriceRule.suggest_fee(asking(audience_size=2_000_000)) == (90000, "GBP")
    assert PriceRule.suggest_fee(asking(media="print")) == (5000, "GBP")
    assert PriceRule.suggest_fee(asking(outlet_type="ngo")) == (10000, "GBP")


def test_equally_specific_rules_lowest_fee_wins(db) -> None:
    make_price_rule(name="Newspapers", outlet_type="newspaper", fee_minor=20000)
    make_price_rule(name="Online", media="online", fee_minor=15000)
    make_price_rule(name="Worldwide", territory="worldwide", fee_minor=17500)
    rule = PriceRule.best_for(asking())
    assert rule is not None
    assert rule.name == "Online"
    assert PriceRule.suggest_fee(asking()) == (15000, "GBP")


def test_inactive_rules_are_ignored(db) -> None:
    make_price_rule(name="Anything", fee_minor=10000)
    make_price_rule(name="Old newspaper rate", outlet_type="newspaper", fee_minor=1, active=False)
    assert PriceRule.suggest_fee(asking()) == (10000, "GBP")


@pytest.mark.parametrize(
    ("audience", "matches"),
    [(999, False), (1000, True), (5000, True), (10_000, True), (10_001, False)],
)
def test_audience_band_bounds_are_inclusive(db, audience: int, matches: bool) -> None:
    make_price_rule(name="Small", min_audience=1000, max_audience=10_000, fee_minor=7500)
    expected = (7500, "GBP") if matches else None
    assert PriceRule.suggest_fee(asking(audience_size=audience)) == expected


def test_open_ended_band(db) -> None:
    make_price_rule(name="Up to 500", max_audience=500, fee_minor=100)
    assert PriceRule.suggest_fee(asking(audience_size=1)) == (100, "GBP")
    assert PriceRule.suggest_fee(asking(audience_size=501)) is None


def test_the_audience_band_counts_as_one_condition(db) -> None:
    make_price_rule(name="Band", min_audience=1, max_audience=100_000, fee_minor=100)
    make_price_rule(
        name="Two conditions", outlet_type="newspaper", media="online", fee_minor=99_999
    )
    assert PriceRule.suggest_fee(asking()) == (99_999, "GBP")


def test_rule_currency_is_suggested(db) -> None:
    make_price_rule(name="Euro", fee_minor=12000, currency="EUR")
    assert PriceRule.suggest_fee(asking()) == (12000, "EUR")


def test_no_matching_rule_gives_none_and_the_queue_shows_a_dash(
    reviewer_client: Client, article
) -> None:
    make_price_rule(name="Broadcast only", media="broadcast", fee_minor=40000)
    assert PriceRule.suggest_fee(asking()) is None
    req = make_request(article)
    assert (req.suggested_fee_minor, req.suggested_currency) == (None, "")
    html = reviewer_client.get("/staff/").content.decode()
    row = html.split(f">{req.reference}</a>", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
    assert cells[4] == "—"  # the suggested fee, after article, outlet, medium, territory


def test_suggestion_is_stored_at_submission(article) -> None:
    make_price_rule(name="Newspapers", outlet_type="newspaper", fee_minor=25000)
    req = make_request(article)
    assert (req.suggested_fee_minor, req.suggested_currency) == (25000, "GBP")
    assert req.suggested_fee_display == "250.00 GBP"


# --- Auto-approval ------------------------------------------------------------

SMALL_NGO_EXCERPT = {
    "outlet_type": "ngo",
    "audience_size": "5000",
    "extent": "excerpt",
    "word_count": "100",
}


def test_matching_auto_approval_rule_approves_at_its_fee(article) -> None:
    make_auto_approval_rule(
        name="Small NGOs, excerpts",
        outlet_type="ngo",
        extent="excerpt",
        max_audience=9999,
        fee_minor=2500,
    )
    req = make_request(article, **SMALL_NGO_EXCERPT)
    req.refresh_from_db()
    assert req.status == "awaiting_payment"
    assert (req.fee_minor, req.currency) == (2500, "GBP")
    change = req.status_changes.order_by("id").last()
    assert change is not None
    assert (change.from_status, change.to_status, change.actor) == (
        "submitted",
        "awaiting_payment",
        None,
    )
    assert "Small NGOs, excerpts" in change.note
    assert Invoice.objects.get().net_minor == 2500


def test_zero_fee_auto_approval_licenses_at_once(article) -> None:
    make_auto_approval_rule(name="Free for small NGOs", outlet_type="ngo", fee_minor=0)
    req = make_request(article, **SMALL_NGO_EXCERPT)
    req.refresh_from_db()
    assert req.status == "licensed"
    assert req.waiting_on == "nobody"
    assert list(req.status_changes.values_list("to_status", "actor")) == [
        ("unconfirmed", None),
        ("submitted", None),
        ("licensed", None),
    ]
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {**SMALL_NGO_EXCERPT, "audience_size": "10000"},
        {**SMALL_NGO_EXCERPT, "outlet_type": "newspaper"},
        {"outlet_type": "ngo", "audience_size": "5000"},  # full text
    ],
)
def test_non_matching_request_waits_for_a_reviewer(article, overrides: dict[str, str]) -> None:
    make_auto_approval_rule(
        name="Small NGOs, excerpts", outlet_type="ngo", extent="excerpt", max_audience=9999
    )
    req = make_request(article, **overrides)
    req.refresh_from_db()
    assert req.status == "submitted"
    assert req.waiting_on == "staff"


def test_inactive_auto_approval_rule_is_ignored(article) -> None:
    make_auto_approval_rule(name="Everything free", active=False)
    req = make_request(article)
    req.refresh_from_db()
    assert req.status == "submitted"


def test_a_request_confirmed_after_a_takedown_is_not_approved_automatically(
    article, reviewer
) -> None:
    make_auto_approval_rule(name="Everything free")
    req = make_request(article, confirmed=False)
    ArticleNotice.request_takedown(article, actor=reviewer, reason="legal")

    req.confirm()

    req.refresh_from_db()
    assert req.status == "submitted"
    assert req.invoice is None


# --- Admin --------------------------------------------------------------------


@pytest.mark.parametrize("model", ["pricerule", "autoapprovalrule"])
def test_admin_pages_load_and_explain_the_rule(client: Client, superuser, model: str) -> None:
    client.force_login(superuser)
    if model == "pricerule":
        rule: PriceRule | AutoApprovalRule = make_price_rule(name="Newspapers")
    else:
        rule = make_auto_approval_rule(name="Newspapers")
    changelist = client.get(f"/admin/licensing/{model}/")
    assert changelist.status_code == 200
    assert "Newspapers" in changelist.content.decode()
    for url in [f"/admin/licensing/{model}/add/", f"/admin/licensing/{model}/{rule.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert "the most specific wins" in response.content.decode()


def test_admin_add_refuses_a_bad_currency(client: Client, superuser) -> None:
    client.force_login(superuser)
    response = client.post(
        "/admin/licensing/pricerule/add/",
        {"name": "Yen", "fee_minor": "100", "currency": "JPY", "active": "on"},
    )
    assert response.status_code == 200
    assert "Use one of" in response.content.decode()
    assert PriceRule.objects.count() == 0


@pytest.mark.parametrize("model", [PriceRule, AutoApprovalRule])
def test_full_clean_refuses_unknown_currency(db, model: type[PriceRule | AutoApprovalRule]) -> None:
    with pytest.raises(ValidationError) as error:
        model(name="Yen", fee_minor=100, currency="JPY").full_clean()
    assert "currency" in error.value.message_dict


@pytest.mark.parametrize("model", [PriceRule, AutoApprovalRule])
def test_full_clean_refuses_an_inverted_band(db, model: type[PriceRule | AutoApprovalRule]) -> None:
    with pytest.raises(ValidationError) as error:
        model(name="Band", fee_minor=100, min_audience=10, max_audience=9).full_clean()
    assert "max_audience" in error.value.message_dict
    model(name="Band", fee_minor=100, min_audience=10, max_audience=10).full_clean()
