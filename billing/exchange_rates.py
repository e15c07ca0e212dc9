"""HMRC's monthly exchange rates: reading the CSV HMRC publishes and storing the portal's.

A VAT invoice in a currency other than sterling states its VAT in sterling at
the month's rate (billing.models.ExchangeRate); this fills that table.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from billing.models import HMRC_SOURCE, STERLING, ExchangeRate

# The header of HMRC's monthly CSV (trade-tariff.service.gov.uk / gov.uk).
CODE = "Currency Code"
UNITS = "Currency Units per £1"
START = "Start Date"
END = "End Date"
COLUMNS = ("Country/Territories", "Currency", CODE, UNITS, START, END)


class ExchangeRateFileError(Exception):
    """The file is not HMRC's monthly CSV, or a row of it cannot be read."""


@dataclass(frozen=True)
class MonthlyRate:
    currency: str
    month: date
    units_per_gbp: Decimal


@dataclass(frozen=True)
class Stored:
    created: int
    updated: int
    unchanged: int
    missing: tuple[str, ...]  # portal currencies the file had no rate for

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def portal_foreign_currencies() -> list[str]:
    return [code for code in settings.PORTAL_CURRENCIES if code != STERLING]


def _decode(data: bytes) -> str:
    # HMRC's files have come as UTF-8 with a BOM and as Windows-1252 (the £ in the header).
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ExchangeRateFileError(
            "Not HMRC's monthly exchange rate CSV: it is not text (neither UTF-8 nor Windows-1252)."
        ) from None


def _day(value: str, *, line: int, column: str) -> date:
    try:
        return datetime.strptime(value.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise ExchangeRateFileError(
            f"Line {line}: {column} {value!r} is not a date as dd/mm/yyyy."
        ) from None


def read_hmrc_csv(data: bytes, *, currencies: list[str]) -> list[MonthlyRate]:
    """The monthly rates for `currencies` in HMRC's CSV; each currency once per month.

    Several countries share a currency (EUR, USD): their rows must agree.
    """
    reader = csv.DictReader(io.StringIO(_decode(data)))
    header = [name.strip() for name in reader.fieldnames or []]
    if missing := [name for name in COLUMNS if name not in header]:
        raise ExchangeRateFileError(
            "Not HMRC's monthly exchange rate CSV: it lacks "
            f"{'the column' if len(missing) == 1 else 'the columns'} "
            f"{', '.join(map(repr, missing))}."
        )
    reader.fieldnames = header
    found: dict[tuple[str, date], MonthlyRate] = {}
    for line, row in enumerate(reader, start=2):
        code = (row.get(CODE) or "").strip().upper()
        if code not in currencies:
            continue
        start = _day(row.get(START) or "", line=line, column=START)
        end = _day(row.get(END) or "", line=line, column=END)
        if start.day != 1 or end < start or (end.year, end.month) != (start.year, start.month):
            raise ExchangeRateFileError(
                f"Line {line}: {start:%d/%m/%Y} to {end:%d/%m/%Y} is not one calendar month."
            )
        try:
            units = Decimal((row.get(UNITS) or "").strip().replace(",", ""))
        except InvalidOperation:
            units = Decimal(0)
        if not units.is_finite() or units <= 0:
            raise ExchangeRateFileError(
                f"Line {line}: {UNITS} {row.get(UNITS)!r} is not a positive number."
            )
        rate = MonthlyRate(currency=code, month=start, units_per_gbp=units)
        earlier = found.setdefault((code, start), rate)
        if earlier.units_per_gbp != units:
            raise ExchangeRateFileError(
                f"Line {line}: {code} for {start:%B %Y} is {units}, but an earlier row gives "
                f"{earlier.units_per_gbp}."
            )
    return list(found.values())


def store_rates(rates: list[MonthlyRate], *, currencies: list[str]) -> Stored:
    """Store each rate (a month already stored is updated): all of them, or none."""
    created = updated = unchanged = 0
    with transaction.atomic():
        for rate in rates:
            row = ExchangeRate.objects.filter(currency=rate.currency, month=rate.month).first()
            if row is None:
                row = ExchangeRate(currency=rate.currency, month=rate.month)
                created += 1
            elif row.units_per_gbp == rate.units_per_gbp and row.source == HMRC_SOURCE:
                unchanged += 1
                continue
            else:
                updated += 1
            row.units_per_gbp = rate.units_per_gbp
            row.source = HMRC_SOURCE
            row.full_clean()
            row.save()
    seen = {rate.currency for rate in rates}
    return Stored(
        created=created,
        updated=updated,
        unchanged=unchanged,
        missing=tuple(code for code in currencies if code not in seen),
    )
