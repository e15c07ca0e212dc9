"""Money as integer minor units plus an ISO currency, and its one formatting helper."""

from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any, Self, overload

from django.conf import settings

# All configured currencies have two decimal places (GBP, EUR, USD).
MINOR_UNITS = 100


def to_minor(amount: Decimal) -> int:
    """Decimal major units (150.00) to integer minor units (15000)."""
    return int((amount * MINOR_UNITS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(amount_minor: int) -> Decimal:
    return (Decimal(amount_minor) / MINOR_UNITS).quantize(Decimal("0.01"))


def format_money(amount_minor: int | None, currency: str) -> str:
    """'150.00 GBP': two decimals and the ISO code, as on every page and document."""
    if amount_minor is None:
        return ""
    return f"{to_major(amount_minor):,.2f} {currency}"


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
