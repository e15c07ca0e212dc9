"""VAT on our invoices: the seller is in the UK (configurable rate).

UK buyers pay UK VAT; EU businesses with a VAT number valid for their
country account for it themselves (reverse charge); everyone else is
outside the scope of UK VAT.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from stdnum.eu import vat as eu_vat


class VatTreatment(models.TextChoices):
    STANDARD = "standard", "UK VAT"
    REVERSE_CHARGE = "reverse_charge", "Reverse charge"
    OUTSIDE_SCOPE = "outside_scope", "Outside the scope of UK VAT"


# Frozen on the invoice in English; printed also in the buyer's language (legal_note).
REVERSE_CHARGE_NOTE = gettext_noop("Reverse charge: customer to account for VAT")
OUTSIDE_SCOPE_NOTE = gettext_noop("Outside the scope of UK VAT")
# stdnum's EU member-state prefixes: Greece uses EL on VAT numbers.
_VAT_PREFIX = {"GR": "EL"}


@dataclass(frozen=True)
class Vat:
    treatment: str
    rate: Decimal
    note: str


def vat_id(*, country: str, number: str) -> str:
    """The number as an EU VAT identifier, with its country prefix: DE136695976, EL094259216."""
    prefix = _VAT_PREFIX.get(country, country)
    compact = "".join(ch for ch in number if ch.isalnum()).upper()
    if prefix != country and compact.startswith(country):
        compact = compact.removeprefix(country)
    if not compact.startswith(prefix):
        compact = prefix + compact
    return compact


def prefixed_vat_number(party: dict[str, object]) -> str:
    """A party's VAT number ({"country", "vat_number"}) with its country prefix, or ''."""
    number, country = str(party.get("vat_number") or ""), str(party.get("country") or "")
    return vat_id(country=country, number=number) if number and country else number


def valid_eu_vat_number(*, country: str, number: str) -> bool:
    """A VAT number that python-stdnum accepts for `country`: one from elsewhere fails."""
    return bool(eu_vat.is_valid(vat_id(country=country, number=number)))


def vat_for(*, country: str, vat_number: str) -> Vat:
    """How VAT applies to a buyer in `country` (ISO code) with an optional VAT number."""
    if country == "GB":
        return Vat(VatTreatment.STANDARD, Decimal(settings.UK_VAT_RATE), "")
    # stdnum lists member states by ISO code (gr), though Greek numbers carry EL.
    if (
        country.lower() in eu_vat.MEMBER_STATES
        and vat_number
        and valid_eu_vat_number(country=country, number=vat_number)
    ):
        return Vat(VatTreatment.REVERSE_CHARGE, Decimal(0), REVERSE_CHARGE_NOTE)
    return Vat(VatTreatment.OUTSIDE_SCOPE, Decimal(0), OUTSIDE_SCOPE_NOTE)


def vat_amount(net_minor: int, rate: Decimal) -> int:
    """VAT on one line, rounded half-up to the minor unit."""
    return int((Decimal(net_minor) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def legal_note(note: str, language: str) -> str:
    """The invoice's English VAT note in `language`; '' when that is English or no translation."""
    if not note or language == "en":
        return ""
    with translation.override(language):
        translated = gettext(note)
    return translated if translated != note else ""


def explain_vat(*, country: str, vat_number: str) -> str:
    """Which VAT case applies and why, in the active language, as reviewers and requesters see it.

    "DE VAT number valid in form: reverse charge". The check is python-stdnum's
    (format and check digits), made before approval, not a VIES look-up.
    """
    if not country:
        return ""
    if country == "GB":
        return gettext("UK buyer: UK VAT at %(rate)s%%") % {"rate": settings.UK_VAT_RATE}
    if country.lower() in eu_vat.MEMBER_STATES:
        if not vat_number:
            return gettext(
                "%(country)s buyer without a VAT number: outside the scope of UK VAT"
            ) % {"country": country}
        if valid_eu_vat_number(country=country, number=vat_number):
            return gettext("%(country)s VAT number valid in form: reverse charge") % {
                "country": country
            }
        return gettext("%(country)s VAT number not valid in form: outside the scope of UK VAT") % {
            "country": country
        }
    return gettext("Buyer outside the UK and the EU (%(country)s): outside the scope of UK VAT") % {
        "country": country
    }
