"""VAT by buyer (billing.vat) and invoice totals: half-up per line, total = net + VAT."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from billing.models import Invoice
from billing.vat import (
    OUTSIDE_SCOPE_NOTE,
    REVERSE_CHARGE_NOTE,
    VatTreatment,
    valid_eu_vat_number,
    vat_amount,
    vat_for,
)
from tests.factories import make_invoice

RATES = st.one_of(
    st.sampled_from([Decimal(0), Decimal(5), Decimal(20)]),
    st.decimals(min_value=0, max_value=30, places=2, allow_nan=False, allow_infinity=False),
)
NETS = st.integers(min_value=0, max_value=10**8)


def half_up_vat(net_minor: int, rate: Decimal) -> int:
    """VAT computed another way: the rate in hundredths of a percent, integer half-up."""
    hundredths = int(rate * 100)
    assert Decimal(hundredths) / 100 == rate
    exact = Decimal(net_minor * hundredths) / Decimal(10_000)
    by_decimal = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    by_integers = (net_minor * hundredths * 2 + 10_000) // 20_000
    assert by_decimal == by_integers
    return by_integers


def test_uk_buyer_pays_20_percent(db) -> None:
    invoice = make_invoice(amount_minor=25000, country="GB")
    assert (invoice.net_minor, invoice.vat_minor, invoice.total_minor) == (25000, 5000, 30000)
    assert (invoice.net_display, invoice.vat_display, invoice.total_display) == (
        "250.00 GBP",
        "50.00 GBP",
        "300.00 GBP",
    )
    assert invoice.vat_treatment == VatTreatment.STANDARD
    assert invoice.vat_note == ""
    line = invoice.lines.get()
    assert (line.net_minor, line.vat_rate, line.vat_minor, line.total_minor) == (
        25000,
        Decimal("20.00"),
        5000,
        30000,
    )


def test_uk_vat_number_does_not_change_uk_vat(db) -> None:
    invoice = make_invoice(country="GB", vat_number="GB980780684")
    assert invoice.vat_treatment == VatTreatment.STANDARD
    assert invoice.vat_minor == 5000


@pytest.mark.parametrize("number", ["DE136695976", "136695976", "de 136 695 976"])
def test_german_business_with_valid_vat_number_is_reverse_charged(db, number: str) -> None:
    invoice = make_invoice(amount_minor=25000, currency="EUR", country="DE", vat_number=number)
    assert invoice.vat_treatment == VatTreatment.REVERSE_CHARGE
    assert invoice.vat_note == "Reverse charge: customer to account for VAT"
    assert (invoice.vat_minor, invoice.total_minor) == (0, 25000)
    assert invoice.lines.get().vat_rate == 0


def test_german_buyer_with_invalid_vat_number_is_outside_scope(db) -> None:
    invoice = make_invoice(currency="EUR", country="DE", vat_number="DE136695977")
    assert invoice.vat_treatment == VatTreatment.OUTSIDE_SCOPE
    assert invoice.vat_note == "Outside the scope of UK VAT"
    assert (invoice.vat_minor, invoice.total_minor) == (0, 25000)


def test_german_buyer_without_vat_number_is_outside_scope(db) -> None:
    invoice = make_invoice(currency="EUR", country="DE")
    assert invoice.vat_treatment == VatTreatment.OUTSIDE_SCOPE


def test_us_buyer_is_outside_scope(db) -> None:
    invoice = make_invoice(currency="USD", country="US", vat_number="123456789")
    assert invoice.vat_treatment == VatTreatment.OUTSIDE_SCOPE
    assert invoice.vat_note == OUTSIDE_SCOPE_NOTE
    assert (invoice.vat_minor, invoice.total_minor, invoice.total_display) == (
        0,
        25000,
        "250.00 USD",
    )


def test_french_number_without_prefix_is_valid() -> None:
    assert valid_eu_vat_number(country="FR", number="40303265045")
    assert vat_for(country="FR", vat_number="40303265045").note == REVERSE_CHARGE_NOTE


@pytest.mark.parametrize("number", ["FR40303265045", "40303265045"])
def test_number_valid_for_another_country_is_not_reverse_charged(number: str) -> None:
    assert not valid_eu_vat_number(country="DE", number=number)
    vat = vat_for(country="DE", vat_number=number)
    assert (vat.treatment, vat.rate, vat.note) == (
        VatTreatment.OUTSIDE_SCOPE,
        Decimal(0),
        OUTSIDE_SCOPE_NOTE,
    )


@pytest.mark.parametrize("number", ["094259216", "EL094259216", "GR094259216"])
def test_greek_numbers_carry_el_but_greece_is_gr(number: str) -> None:
    assert vat_for(country="GR", vat_number=number).treatment == VatTreatment.REVERSE_CHARGE


@pytest.mark.parametrize(
    ("net", "rate", "vat"),
    [(1, Decimal(20), 0), (3, Decimal(20), 1), (2, Decimal(25), 1), (1, Decimal(50), 1)],
)
def test_rounding_is_half_up(net: int, rate: Decimal, vat: int) -> None:
    assert vat_amount(net, rate) == vat


@given(net=NETS, rate=RATES)
def test_vat_amount_is_half_up_of_net_times_rate(net: int, rate: Decimal) -> None:
    assert vat_amount(net, rate) == half_up_vat(net, rate)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(net=NETS, rate=RATES)
def test_invoice_total_is_net_plus_half_up_vat(net: int, rate: Decimal) -> None:
    with override_settings(UK_VAT_RATE=str(rate)):
        invoice = make_invoice(amount_minor=net, country="GB")
    invoice = Invoice.objects.get(pk=invoice.pk)
    line = invoice.lines.get()
    assert invoice.vat_minor == half_up_vat(net, rate) == line.vat_minor
    assert invoice.total_minor == invoice.net_minor + invoice.vat_minor == net + line.vat_minor
    assert line.total_minor == line.net_minor + line.vat_minor == invoice.total_minor
    assert line.vat_rate == rate
