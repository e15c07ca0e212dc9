"""manage.py load_exchange_rates FILE: HMRC's monthly CSV, for the portal's currencies."""

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from billing.models import ExchangeRate

pytestmark = pytest.mark.django_db

HEADER = "Country/Territories,Currency,Currency Code,Currency Units per £1,Start Date,End Date"
DECEMBER = [
    "Eurozone,Euro,EUR,1.1862,01/12/2026,31/12/2026",
    "USA,Dollar,USD,1.3396,01/12/2026,31/12/2026",
    "Ecuador,US Dollar,USD,1.3396,01/12/2026,31/12/2026",
    "Japan,Yen,JPY,193.82,01/12/2026,31/12/2026",
    "Switzerland,Franc,CHF,1.0631,01/12/2026,31/12/2026",
]


def hmrc_csv(tmp_path: Path, rows: list[str], *, header: str = HEADER, encoding="utf-8-sig"):
    path = tmp_path / "exrates-monthly-1226.csv"
    path.write_bytes("\r\n".join([header, *rows, ""]).encode(encoding))
    return path


def load(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("load_exchange_rates", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stored() -> set[tuple[str, date, Decimal, str]]:
    return set(ExchangeRate.objects.values_list("currency", "month", "units_per_gbp", "source"))


def test_stores_the_portals_currencies_only_once_each(tmp_path: Path) -> None:
    out, err = load(hmrc_csv(tmp_path, DECEMBER))

    assert "Stored 2 exchange rates: 2 new, 0 updated, 0 unchanged." in out
    assert err == ""
    assert stored() == {
        ("EUR", date(2026, 12, 1), Decimal("1.1862"), "HMRC monthly exchange rate"),
        ("USD", date(2026, 12, 1), Decimal("1.3396"), "HMRC monthly exchange rate"),
    }


def test_running_it_again_changes_nothing(tmp_path: Path) -> None:
    path = hmrc_csv(tmp_path, DECEMBER)
    load(path)
    before = list(ExchangeRate.objects.order_by("pk").values())

    out, _ = load(path)

    assert "Stored 2 exchange rates: 0 new, 0 updated, 2 unchanged." in out
    assert list(ExchangeRate.objects.order_by("pk").values()) == before


def test_a_corrected_file_updates_the_month_and_another_month_adds_to_it(tmp_path: Path) -> None:
    load(hmrc_csv(tmp_path, DECEMBER))

    out, _ = load(
        hmrc_csv(
            tmp_path,
            [
                "Eurozone,Euro,EUR,1.1870,01/12/2026,31/12/2026",
                "USA,Dollar,USD,1.3396,01/12/2026,31/12/2026",
                "Eurozone,Euro,EUR,1.1900,01/01/2027,31/01/2027",
                "USA,Dollar,USD,1.3400,01/01/2027,31/01/2027",
            ],
        )
    )

    assert "Stored 4 exchange rates: 2 new, 1 updated, 1 unchanged." in out
    assert ExchangeRate.objects.get(currency="EUR", month=date(2026, 12, 1)).units_per_gbp == (
        Decimal("1.187")
    )
    assert ExchangeRate.objects.count() == 4


def test_follows_portal_currencies(tmp_path: Path, settings) -> None:
    settings.PORTAL_CURRENCIES = ["GBP", "EUR", "CHF"]

    out, _ = load(hmrc_csv(tmp_path, DECEMBER))

    assert "Stored 2 exchange rates" in out
    assert {code for code, *_ in stored()} == {"EUR", "CHF"}


def test_a_portal_currency_the_file_lacks_is_named(tmp_path: Path) -> None:
    out, err = load(hmrc_csv(tmp_path, DECEMBER[:1]))

    assert "Stored 1 exchange rate: 1 new" in out
    assert "has no rate for USD." in err


def test_reads_the_file_as_hmrc_has_published_it_in_windows_1252(tmp_path: Path) -> None:
    out, _ = load(hmrc_csv(tmp_path, DECEMBER, encoding="cp1252"))
    assert "Stored 2 exchange rates" in out


USD_ROW = "USA,Dollar,USD,1.3396,01/12/2026,31/12/2026"


@pytest.mark.parametrize(
    ("header", "rows", "error"),
    [
        (
            "Country,Currency,Code,Rate",
            DECEMBER,
            "Not HMRC's monthly exchange rate CSV: it lacks the columns 'Country/Territories', "
            "'Currency Code', 'Currency Units per £1', 'Start Date', 'End Date'.",
        ),
        # Each bad row comes after a good one, which must not be stored either.
        (
            HEADER,
            [USD_ROW, "Eurozone,Euro,EUR,1.1862,2026-12-01,31/12/2026"],
            "Line 3: Start Date '2026-12-01' is not a date as dd/mm/yyyy.",
        ),
        (
            HEADER,
            [USD_ROW, "Eurozone,Euro,EUR,n/a,01/12/2026,31/12/2026"],
            "Line 3: Currency Units per £1 'n/a' is not a positive number.",
        ),
        (
            HEADER,
            [USD_ROW, "Eurozone,Euro,EUR,0,01/12/2026,31/12/2026"],
            "Line 3: Currency Units per £1 '0' is not a positive number.",
        ),
        (
            HEADER,
            [USD_ROW, "Eurozone,Euro,EUR,1.1862,08/12/2026,14/12/2026"],
            "Line 3: 08/12/2026 to 14/12/2026 is not one calendar month.",
        ),
        (
            HEADER,
            [
                USD_ROW,
                "Eurozone,Euro,EUR,1.1862,01/12/2026,31/12/2026",
                "Andorra,Euro,EUR,1.2000,01/12/2026,31/12/2026",
            ],
            "Line 4: EUR for December 2026 is 1.2000, but an earlier row gives 1.1862.",
        ),
        (HEADER, ["Japan,Yen,JPY,193.82,01/12/2026,31/12/2026"], "has no rate for EUR, USD."),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(
    tmp_path: Path, header: str, rows: list[str], error: str
) -> None:
    with pytest.raises(CommandError) as raised:
        load(hmrc_csv(tmp_path, rows, header=header))
    assert error in str(raised.value)
    assert str(raised.value).endswith("Nothing was stored.")
    assert ExchangeRate.objects.count() == 0


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"Cannot read .*absent\.csv: No such file"):
        load(tmp_path / "absent.csv")
    assert ExchangeRate.objects.count() == 0


def test_a_file_that_is_not_text_is_a_clear_error(tmp_path: Path) -> None:
    # The spreadsheet HMRC also publishes, given by mistake: bytes neither UTF-8 nor
    # Windows-1252 can read (0x81 and 0x8D are undefined in Windows-1252).
    path = tmp_path / "exrates-monthly-1226.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x81\x8d\x00\x00")

    with pytest.raises(CommandError) as raised:
        load(path)

    assert "is not text" in str(raised.value)
    assert str(raised.value).endswith("Nothing was stored.")
    assert ExchangeRate.objects.count() == 0
