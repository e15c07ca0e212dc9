"""UK VAT in sterling on an invoice in another currency (HMRC, VAT Notice 700): the rate
frozen at issue, what the desk sees when the month has none, and where it is shown."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client, TestCase
from django.utils import timezone

from billing.models import ExchangeRate, ExchangeRateMissing, Invoice
from billing.pdf import render_credit_note_pdf, render_invoice_pdf
from licensing.models import Message, RepublicationRequest
from portal.models import DocumentSequence
from tests.factories import make_auto_approval_rule, make_invoice, make_request
from tests.test_finance_invoices import csv_rows
from tests.test_invoice_pdf import pdf_text

pytestmark = pytest.mark.django_db

# 142.35 EUR net, 28.47 EUR VAT at 20%: 28.47 / 1.1862 = 24.0010, £24.00 half-up.
NET_EUR = 14235
MISSING = (
    "No exchange rate for EUR for {month}: finance adds it in the admin (Exchange rates) "
    "or with manage.py load_exchange_rates."
)


def this_month() -> str:
    return f"{timezone.localdate():%B %Y}"


def test_an_eur_invoice_to_a_uk_buyer_freezes_the_rate_and_the_vat_in_pence(
    exchange_rates,
) -> None:
    invoice = make_invoice(amount_minor=NET_EUR, currency="EUR", country="GB")

    invoice.refresh_from_db()
    assert (invoice.net_minor, invoice.vat_minor) == (14235, 2847)
    assert invoice.exchange_rate == Decimal("1.1862")
    assert invoice.exchange_rate_source == "HMRC monthly exchange rate"
    assert invoice.exchange_rate_month == timezone.localdate().replace(day=1)
    assert invoice.vat_gbp_minor == 2400
    assert invoice.sterling_vat_line == (
        "VAT in sterling: £24.00 (at 1.1862 EUR per £1, HMRC monthly exchange rate for "
        f"{this_month()})"
    )


def test_a_corrected_rate_never_rewrites_an_issued_invoice(exchange_rates) -> None:
    invoice = make_invoice(amount_minor=NET_EUR, currency="EUR")
    ExchangeRate.objects.filter(currency="EUR").update(units_per_gbp=Decimal("1.5"))

    invoice.refresh_from_db()
    assert invoice.exchange_rate == Decimal("1.1862")
    assert invoice.vat_gbp_minor == 2400


def test_the_vat_in_pence_is_rounded_half_up(db) -> None:
    # 2.50 USD VAT at 2 USD per £1 is exactly 125.0 pence; 2.51 is 125.5, up to 126.
    ExchangeRate.objects.create(
        currency="USD", month=timezone.localdate().replace(day=1), units_per_gbp=Decimal(2)
    )
    assert make_invoice(amount_minor=1250, currency="USD").vat_gbp_minor == 125
    assert make_invoice(amount_minor=1255, currency="USD").vat_gbp_minor == 126


def test_the_pdf_prints_the_vat_in_sterling_under_the_totals(exchange_rates) -> None:
    invoice = make_invoice(amount_minor=NET_EUR, currency="EUR")

    text = pdf_text(render_invoice_pdf(invoice))

    line = (
        "VAT in sterling: £24.00 (at 1.1862 EUR per £1, HMRC monthly exchange rate for "
        f"{this_month()})"
    )
    assert line in text
    assert text.index("Total (EUR) 170.82 EUR") < text.index(line)
    # The stored PDF/A-3 the buyer downloads carries it too.
    assert line in pdf_text(invoice.make_pdf())


@pytest.mark.parametrize("currency", ["GBP", "EUR", "USD"])
def test_a_uk_buyer_in_sterling_or_anyone_without_vat_gets_nothing_added(
    exchange_rates, currency
) -> None:
    documents = [make_invoice(currency="GBP")] if currency == "GBP" else []
    documents += [
        make_invoice(currency=currency, country="DE", vat_number="136695976"),  # reverse charge
        make_invoice(currency=currency, country="US"),  # outside the scope
    ]
    for invoice in documents:
        invoice.refresh_from_db()
        assert invoice.exchange_rate is None
        assert invoice.exchange_rate_source == ""
        assert invoice.exchange_rate_month is None
        assert invoice.vat_gbp_minor is None
        assert invoice.sterling_vat_line == ""
        assert "sterling" not in pdf_text(render_invoice_pdf(invoice))


def test_no_vat_no_rate_needed(db) -> None:
    """Reverse charge and outside scope in euros issue without any rate stored."""
    assert ExchangeRate.objects.count() == 0
    assert make_invoice(currency="EUR", country="DE", vat_number="136695976").vat_minor == 0
    assert make_invoice(currency="USD", country="US").vat_minor == 0


def test_without_the_months_rate_no_invoice_is_issued_and_no_number_used(db) -> None:
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    ExchangeRate.objects.create(currency="EUR", month=last_month, units_per_gbp=Decimal("1.17"))

    with pytest.raises(ExchangeRateMissing) as raised:
        make_invoice(amount_minor=NET_EUR, currency="EUR")

    assert raised.value.message_dict == {"currency": [MISSING.format(month=this_month())]}
    assert Invoice.objects.count() == 0
    assert not DocumentSequence.objects.filter(prefix="INV", last_value__gt=0).exists()


def test_the_rate_is_the_one_for_the_month_of_issue(db) -> None:
    for month, rate in ((date(2026, 11, 1), "1.1500"), (date(2026, 12, 1), "1.1862")):
        ExchangeRate.objects.create(currency="EUR", month=month, units_per_gbp=Decimal(rate))

    with time_machine.travel(date(2026, 11, 30)):
        november = make_invoice(amount_minor=NET_EUR, currency="EUR")
    with time_machine.travel(date(2026, 12, 1)):
        december = make_invoice(amount_minor=NET_EUR, currency="EUR")

    assert (november.exchange_rate, november.exchange_rate_month) == (
        Decimal("1.15"),
        date(2026, 11, 1),
    )
    assert november.vat_gbp_minor == 2476  # 28.47 / 1.15 = 24.7565
    assert (december.exchange_rate_month, december.vat_gbp_minor) == (date(2026, 12, 1), 2400)


def test_the_database_refuses_a_sterling_vat_without_its_rate(exchange_rates) -> None:
    invoice = make_invoice(amount_minor=NET_EUR, currency="EUR")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(exchange_rate=None)
    gbp = make_invoice(currency="GBP")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=gbp.pk).update(
            exchange_rate=Decimal(1),
            exchange_rate_month=date(2026, 12, 1),
            exchange_rate_source="HMRC monthly exchange rate",
            vat_gbp_minor=5000,
        )


def test_a_rate_is_for_a_whole_month_once(db) -> None:
    rate = ExchangeRate(currency="EUR", month=date(2026, 12, 5), units_per_gbp=Decimal("1.18"))
    with pytest.raises(ValidationError) as raised:
        rate.full_clean()
    assert "month" in raised.value.message_dict
    ExchangeRate.objects.create(currency="EUR", month=date(2026, 12, 1), units_per_gbp=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.create(currency="EUR", month=date(2026, 12, 1), units_per_gbp=2)


# --- Credit notes ---------------------------------------------------------


def test_a_cancellation_credits_the_same_vat_in_sterling(exchange_rates) -> None:
    invoice = make_invoice(amount_minor=NET_EUR, currency="EUR")
    # A rate changed since issue: the credit note still uses the invoice's.
    ExchangeRate.objects.filter(currency="EUR").update(units_per_gbp=Decimal(2))

    note = invoice.void(reason="Request withdrawn.")

    assert (note.vat_minor, note.vat_gbp_minor) == (2847, 2400)
    text = pdf_text(render_credit_note_pdf(note))
    assert (
        "VAT credited in sterling: £24.00 (at 1.1862 EUR per £1, HMRC monthly exchange rate for "
        f"{this_month()})"
    ) in text


def test_a_part_refund_credits_its_own_vat_at_the_invoices_rate(exchange_rates) -> None:
    invoice = make_invoice(amount_minor=NET_EUR, currency="EUR")
    invoice.mark_paid()

    note = invoice.refund(amount_minor=6000, reason="Part refund.")

    # 60.00 gross at 20%: 10.00 VAT; 10.00 / 1.1862 = 8.4303, £8.43.
    assert (note.vat_minor, note.vat_gbp_minor) == (1000, 843)


def test_part_refunds_that_credit_all_the_vat_credit_the_invoices_sterling_vat(
    exchange_rates,
) -> None:
    invoice = make_invoice(amount_minor=NET_EUR, currency="EUR")
    invoice.mark_paid()

    # 1.30 EUR VAT is £1.0960, £1.10; the rest, 27.17 EUR, is £22.9051, £22.91: £24.01
    # in all, a penny more than the £24.00 the invoice declared, each rounded on its own.
    first = invoice.refund(amount_minor=779, reason="Part refund.")
    last = invoice.refund(amount_minor=invoice.total_minor - 779, reason="The rest.")

    assert first.vat_minor + last.vat_minor == invoice.vat_minor
    assert (first.vat_gbp_minor, last.vat_gbp_minor) == (110, 2290)
    assert first.vat_gbp_minor + last.vat_gbp_minor == invoice.vat_gbp_minor == 2400


def test_a_credit_note_for_a_sterling_invoice_states_nothing_more(db) -> None:
    note = make_invoice(currency="GBP").void(reason="Request withdrawn.")
    assert note.vat_gbp_minor is None
    assert "sterling" not in pdf_text(render_credit_note_pdf(note))


# --- The desk's approval --------------------------------------------------


def approve(client: Client, req: RepublicationRequest, **data: str):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            f"/staff/requests/{req.pk}/approve/",
            {"fee": "142.35", "currency": "EUR", "validity_days": "30", **data},
        )


def currency_error(html: str) -> str:
    found = re.search(r'<p id="error_1_id_currency"><strong>(.*?)</strong>', html, re.S)
    assert found, html
    return found.group(1)


@pytest.mark.parametrize("step", [{}, {"step": "review"}])
def test_the_desk_is_told_next_to_the_currency_and_nothing_is_approved(
    reviewer_client: Client, submitted, step
) -> None:
    response = approve(reviewer_client, submitted, **step)

    assert response.status_code == 400
    html = response.content.decode()
    assert currency_error(html) == MISSING.format(month=this_month())
    # Said on the form, before any "are you sure?" page.
    assert "licensing/confirm_action.html" not in [t.name for t in response.templates]
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert submitted.invoice is None
    assert submitted.fee_minor is None
    assert not submitted.scope_granted
    assert Invoice.objects.count() == 0
    assert not DocumentSequence.objects.filter(prefix="INV", last_value__gt=0).exists()


def test_once_finance_adds_the_rate_the_same_approval_goes_through(
    reviewer_client: Client, submitted
) -> None:
    assert approve(reviewer_client, submitted).status_code == 400
    ExchangeRate.objects.create(
        currency="EUR", month=timezone.localdate().replace(day=1), units_per_gbp=Decimal("1.1862")
    )

    response = approve(reviewer_client, submitted)

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_payment"
    assert submitted.invoice.number.endswith("-000001")  # the refused try used no number
    assert submitted.invoice.vat_gbp_minor == 2400


def test_the_desk_approves_in_sterling_or_without_vat_without_any_rate(
    reviewer_client: Client, article
) -> None:
    in_sterling = make_request(article)
    abroad = make_request(article, country="US", email="desk@us.example")

    assert approve(reviewer_client, in_sterling, currency="GBP").status_code == 302
    assert approve(reviewer_client, abroad, currency="USD").status_code == 302
    for req in (in_sterling, abroad):
        req.refresh_from_db()
        assert req.status == "awaiting_payment"
        assert req.invoice.vat_gbp_minor is None


def test_a_rate_removed_after_the_form_was_checked_gives_the_same_field_error(
    reviewer_client: Client, submitted, exchange_rates, monkeypatch
) -> None:
    """The form checked the rate; by the time approve() runs it has gone (a race)."""
    from licensing.forms import ApproveForm

    checked = ApproveForm.clean

    def clean_then_lose_the_rate(form):
        cleaned = checked(form)
        ExchangeRate.objects.all().delete()
        return cleaned

    monkeypatch.setattr(ApproveForm, "clean", clean_then_lose_the_rate)

    response = approve(reviewer_client, submitted)

    assert response.status_code == 400
    assert currency_error(response.content.decode()) == MISSING.format(month=this_month())
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert Invoice.objects.count() == 0


def test_approve_refuses_without_the_rate_and_changes_nothing(submitted, reviewer) -> None:
    with pytest.raises(ExchangeRateMissing):
        submitted.approve(actor=reviewer, fee_minor=NET_EUR, currency="EUR", validity_days=30)
    stored = RepublicationRequest.objects.get(pk=submitted.pk)
    assert stored.status == "submitted"
    assert stored.invoice_id is None
    assert stored.status_changes.count() == 2  # sent, confirmed


# --- Auto-approval --------------------------------------------------------


def test_an_auto_approval_without_the_rate_leaves_the_request_for_the_desk(article) -> None:
    make_auto_approval_rule(name="Newspapers in euros", fee_minor=NET_EUR, currency="EUR")

    req = make_request(article)

    assert req.status == "submitted"
    assert req.invoice is None
    assert Invoice.objects.count() == 0
    note = Message.objects.get(request=req, internal=True)
    assert note.body == (
        "Not approved automatically by the rule “Newspapers in euros”: "
        + MISSING.format(month=this_month())
    )


def test_an_auto_approval_with_the_rate_issues_the_sterling_vat(article, exchange_rates) -> None:
    make_auto_approval_rule(name="Newspapers in euros", fee_minor=NET_EUR, currency="EUR")

    req = make_request(article)

    assert req.status == "awaiting_payment"
    assert req.invoice.vat_gbp_minor == 2400


# --- Pages ----------------------------------------------------------------


@pytest.fixture
def approved_in_euros(submitted, reviewer, exchange_rates) -> RepublicationRequest:
    submitted.approve(actor=reviewer, fee_minor=NET_EUR, currency="EUR", validity_days=30)
    submitted.refresh_from_db()
    return submitted


def test_the_requesters_invoice_card_shows_the_vat_in_sterling(
    approved_in_euros, requester: Client
) -> None:
    response = requester.get(f"/requests/{approved_in_euros.uuid}/")

    html = " ".join(response.content.decode().split())
    assert re.search(r'id="vat-in-sterling">.*?VAT in sterling.*?24\.00 GBP', html)
    assert (
        "The VAT in sterling is at 1.1862 EUR per £1 (HMRC monthly exchange rate for "
        f"{this_month()}), as UK VAT law requires on an invoice in another currency."
    ) in html


def test_the_requesters_invoice_card_speaks_french(
    approved_in_euros, requester: Client, settings
) -> None:
    requester.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = requester.get(f"/requests/{approved_in_euros.uuid}/")
    html = " ".join(response.content.decode().split())
    assert "TVA en livres sterling" in html
    assert "1,1862 EUR pour 1 £" in html
    assert "taux de change mensuel du HMRC" in html


def test_finance_and_the_desk_see_the_vat_in_sterling(
    client: Client, reviewer_client: Client, finance, approved_in_euros
) -> None:
    line = f"£24.00 (at 1.1862 EUR per £1, HMRC monthly exchange rate for {this_month()})"
    client.force_login(finance)
    finance_page = client.get(f"/staff/invoices/{approved_in_euros.invoice.number}/")
    assert finance_page.status_code == 200
    assert f"VAT in sterling: {line}" in finance_page.content.decode()

    desk_page = reviewer_client.get(f"/staff/requests/{approved_in_euros.pk}/")
    assert re.search(
        rf'VAT in sterling</dt><dd class="col-7" id="sterling-vat">{re.escape(line)}',
        desk_page.content.decode(),
    )


def test_finance_keeps_the_rates_in_the_admin(client: Client, finance) -> None:
    client.force_login(finance)
    assert client.get("/admin/billing/exchangerate/").status_code == 200

    response = client.post(
        "/admin/billing/exchangerate/add/",
        {
            "currency": "EUR",
            "month": "2026-12-01",
            "units_per_gbp": "1.1862",
            "source": "HMRC monthly exchange rate",
        },
    )

    assert response.status_code == 302
    rate = ExchangeRate.objects.get()
    assert (rate.currency, rate.month, rate.units_per_gbp) == (
        "EUR",
        date(2026, 12, 1),
        Decimal("1.1862"),
    )


def test_the_admin_refuses_a_rate_that_is_not_for_a_month(client: Client, finance) -> None:
    client.force_login(finance)
    response = client.post(
        "/admin/billing/exchangerate/add/",
        {"currency": "EUR", "month": "2026-12-15", "units_per_gbp": "1.1862", "source": "x"},
    )
    assert response.status_code == 200
    assert "Use the first day of the month." in response.content.decode()
    assert not ExchangeRate.objects.exists()


def test_reviewers_cannot_change_the_rates(reviewer_client: Client) -> None:
    assert reviewer_client.get("/admin/billing/exchangerate/add/").status_code in {302, 403}


def test_the_invoice_csv_gives_finance_the_vat_in_sterling_and_its_rate(
    client: Client, finance, approved_in_euros
) -> None:
    client.force_login(finance)
    header, row = csv_rows(client.get("/staff/invoices.csv"))
    line = dict(zip(header, row, strict=True))
    assert (line["currency"], line["vat"], line["vat_gbp"], line["exchange_rate"]) == (
        "EUR",
        "28.47",
        "24.00",
        "1.1862",
    )
