"""Money as integer minor units plus an ISO currency, and its one formatting helper."""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from operator import attrgetter
from typing import Any, Self, overload

from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation

# All configured currencies have two decimal places (GBP, EUR, USD).
MINOR_UNITS = 100
# English pages, the desk and every document body print the ISO code after
# the amount ("1,234.50 GBP"), as accounts teams and the e-invoice expect.
ENGLISH_PATTERN = "#,##0.00 ¤¤"
# Our interface languages as CLDR locales (babel). French and Arabic readers
# get their own currency format: "1 234,50 €", "‏1,234.50 €" (Arabic with
# Latin digits, as the rest of the portal; see docs/glossary.md).
LOCALES = {"fr": "fr_FR", "ar": "ar"}


def to_minor(amount: Decimal) -> int:
    """Decimal major units (150.00) to integer minor units (15000)."""
    return int((amount * MINOR_UNITS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(amount_minor: int) -> Decimal:
    return (Decimal(amount_minor) / MINOR_UNITS).quantize(Decimal("0.01"))


def format_money(amount_minor: int | None, currency: str, *, language: str | None = None) -> str:
    """The amount as a reader of `language` (default: the active one) writes it.

    English "150.00 GBP"; French "150,00 £GB", "120,50 €"; Arabic "‏150.00 UK£".
    """
    if amount_minor is None:
        return ""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return _formatted(amount_minor, currency, LOCALES.get(language.split("-")[0]))


# A page lists the same few fees (a rate card's) many times over, and babel
# parses its number pattern for each one it formats.
@lru_cache(maxsize=4096)
def _formatted(amount_minor: int, currency: str, locale: str | None) -> str:
    if locale is None:
        return format_currency(
            to_major(amount_minor), currency, format=ENGLISH_PATTERN, locale="en_GB"
        )
    return format_currency(to_major(amount_minor), currency, locale=locale)


class MoneyDisplay:
    """A read-only attribute: an amount field and its currency, as format_money prints them.

    `total_display = MoneyDisplay("total_minor")` reads `currency`; a currency
    kept elsewhere is named by its path ("invoice.currency").
    """

    def __init__(self, amount: str, currency: str = "currency") -> None:
        self.amount, self.currency = attrgetter(amount), attrgetter(currency)

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: type[Any]) -> str: ...
    def __get__(self, instance: object | None, owner: type[Any]) -> Self | str:
        if instance is None:
            return self
        return format_money(self.amount(instance), self.currency(instance))


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in settings.PORTAL_CURRENCIES]
