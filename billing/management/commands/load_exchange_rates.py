"""manage.py load_exchange_rates FILE: store HMRC's monthly rates for the portal's currencies."""

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.exchange_rates import (
    ExchangeRateFileError,
    portal_foreign_currencies,
    read_hmrc_csv,
    store_rates,
)


class Command(BaseCommand):
    help = (
        "Load HMRC's monthly exchange rate CSV (Currency Units per £1) for the currencies in "
        "PORTAL_CURRENCIES other than GBP. A month already stored is updated, so running it "
        "again changes nothing; invoices keep the rate they were issued with."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="HMRC's monthly CSV, e.g. exrates-monthly-1226.csv")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        currencies = portal_foreign_currencies()
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            rates = read_hmrc_csv(data, currencies=currencies)
        except (ExchangeRateFileError, csv.Error) as error:
            raise CommandError(f"{path}: {error} Nothing was stored.") from error
        if not rates:
            raise CommandError(
                f"{path} has no rate for {', '.join(currencies) or 'any portal currency'}. "
                "Nothing was stored."
            )
        try:
            stored = store_rates(rates, currencies=currencies)
        except ValidationError as error:
            raise CommandError(
                f"{path}: a rate is invalid: {error}. Nothing was stored."
            ) from error
        for code in stored.missing:
            self.stderr.write(self.style.WARNING(f"{path} has no rate for {code}."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Stored {stored.total} exchange rate{'s' if stored.total != 1 else ''}: "
                f"{stored.created} new, {stored.updated} updated, {stored.unchanged} unchanged."
            )
        )
