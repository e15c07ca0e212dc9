"""/staff/invoices/, its CSV export and one invoice: what finance sees, and who may see it."""

import csv
import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, PaymentProblem
from portal.money import format_money
from tests.factories import approved_request, make_article

LONDON = ZoneInfo("Europe/London")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def finance_client(finance: User) -> Client:
    return client_for(finance)


def issue(article, reviewer, **kwargs) -> Invoice:
    """An invoice issued the real way: a request approved at a fee."""
    invoice = approved_request(article, actor=reviewer, **{"fee_minor": 10000, **kwargs}).invoice
    assert invoice is not None
    return invoice


def pay(invoice: Invoice, amount_minor: int, **kwargs) -> None:
    invoice.record_payment(
        method="bank_transfer",
        amount_minor=amount_minor,
        currency=invoice.currency,
        received_on=timezone.localdate(),
        provider_reference=kwargs.get("reference", "BANK-REF"),
    )


def listed(response: HttpResponse) -> list[str]:
    """Invoice numbers in the list table, in order."""
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('id="invoices"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/staff/invoices/(INV-[0-9-]+)/"', table)


def totals(response: HttpResponse) -> dict[str, list[str]]:
    """Per currency: invoices, net, VAT, gross, outstanding, as shown."""
    html = response.content.decode()
    table = html.split('id="totals"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-currency="([A-Z]{3})">(.*?)</tr>', table, re.S)
    return {
        currency: [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for currency, row in rows
    }


def csv_rows(response: HttpResponse) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def invoices(article, reviewer) -> dict[str, Invoice]:
    """One of each kind: open (GB, 20% VAT), part-paid EUR, paid USD, void GBP."""
    gb = issue(article, reviewer, outlet_name="Daily Example", email="desk@daily.example")
    eur = issue(
        make_article(),
        reviewer,
        fee_minor=20000,
        currency="EUR",
        outlet_name="Berliner Blatt",
        email="kasse@blatt.example",
        country="DE",
    )
    pay(eur, 5000)
    usd = issue(
        make_article(),
        reviewer,
        fee_minor=30000,
        currency="USD",
        outlet_name="Ohio Courier",
        email="ap@courier.example",
        country="US",
    )
    pay(usd, 30000)
    withdrawn = approved_request(
        make_article(),
        actor=reviewer,
        fee_minor=10000,
        outlet_name="Gone Gazette",
        email="x@gone.example",
    )
    withdrawn.withdraw()
    void = Invoice.objects.get(pk=withdrawn.invoice_id)
    for invoice in (gb, eur, usd, void):
        invoice.refresh_from_db()
    assert [gb.status, eur.status, usd.status, void.status] == ["open", "open", "paid", "void"]
    return {"gb": gb, "eur": eur, "usd": usd, "void": void}


# --- Access -----------------------------------------------------------------


def finance_urls(invoice: Invoice) -> list[str]:
    return ["/staff/invoices/", "/staff/invoices.csv", f"/staff/invoices/{invoice.number}/"]


def test_anonymous_is_sent_to_login(client: Client, invoices) -> None:
    for url in finance_urls(invoices["gb"]):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_signed_in_without_the_permission_gets_404(request, reviewer_client, invoices) -> None:
    clerk = User.objects.create_user("clerk", "clerk@publisher.example", "pw", is_staff=True)
    # Seeing invoices in the admin is not enough: the finance pages need record_payment.
    clerk.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    for client in [request.getfixturevalue("requester"), reviewer_client, client_for(clerk)]:
        for url in finance_urls(invoices["gb"]):
            response = client.get(url)
            assert response.status_code == 404, url
            html = response.content.decode()
            assert "desk@daily.example" not in html
            assert invoices["gb"].number not in html


def test_finance_and_superuser_may_see_every_page(finance, superuser, invoices) -> None:
    for user in (finance, superuser):
        client = client_for(user)
        for url in finance_urls(invoices["gb"]):
            assert client.get(url).status_code == 200, (user, url)


def test_only_finance_sees_the_invoices_link(finance_client, reviewer_client) -> None:
    assert 'href="/staff/invoices/"' in finance_client.get("/articles/").content.decode()
    assert 'href="/staff/invoices/"' not in reviewer_client.get("/staff/").content.decode()


def test_unknown_invoice_is_404(finance_client, db) -> None:
    assert finance_client.get("/staff/invoices/INV-2026-999999/").status_code == 404


def test_pages_are_read_only(finance_client, invoices) -> None:
    assert finance_client.post("/staff/invoices/").status_code == 405
    assert finance_client.post("/staff/invoices.csv").status_code == 405


# --- The list ---------------------------------------------------------------


def test_list_shows_every_invoice_with_its_details(finance_client, invoices) -> None:
    response = finance_client.get("/staff/invoices/")
    assert sorted(listed(response)) == sorted(i.number for i in invoices.values())
    html = response.content.decode()
    gb = invoices["gb"]
    for shown in [gb.reference, "Daily Example", "desk@daily.example", "120.00 GBP", "Open"]:
        assert shown in html, shown
    assert "Part paid: 50.00 EUR" in html
    assert "Paid" in html
    assert "Void" in html


def test_filter_by_status(finance_client, invoices) -> None:
    for status, expected in [("open", {"gb", "eur"}), ("paid", {"usd"}), ("void", {"void"})]:
        got = set(listed(finance_client.get(f"/staff/invoices/?status={status}")))
        assert got == {invoices[key].number for key in expected}, status


def test_filter_by_currency(finance_client, invoices) -> None:
    assert listed(finance_client.get("/staff/invoices/?currency=EUR")) == [invoices["eur"].number]
    got = set(listed(finance_client.get("/staff/invoices/?currency=GBP&status=open")))
    assert got == {invoices["gb"].number}


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("blatt", "eur"),  # buyer name, any case
        ("ap@courier.example", "usd"),  # buyer email
        ("gone.example", "void"),
    ],
)
def test_search(finance_client, invoices, query, key) -> None:
    assert listed(finance_client.get("/staff/invoices/", {"q": query})) == [invoices[key].number]


def test_search_by_number_and_reference(finance_client, invoices) -> None:
    usd = invoices["usd"]
    assert listed(finance_client.get("/staff/invoices/", {"q": usd.number})) == [usd.number]
    assert listed(finance_client.get("/staff/invoices/", {"q": usd.reference.lower()})) == [
        usd.number
    ]


def test_filter_by_issue_date(finance_client, article, reviewer) -> None:
    issued = {}
    for day in (date(2026, 3, 2), date(2026, 3, 16), date(2026, 4, 1)):
        with time_machine.travel(datetime(2026, day.month, day.day, 10, tzinfo=LONDON), tick=False):
            issued[day] = issue(make_article(), reviewer).number
    with time_machine.travel(datetime(2026, 4, 2, 10, tzinfo=LONDON), tick=False):
        got = listed(
            finance_client.get("/staff/invoices/?issued_from=2026-03-10&issued_to=2026-04-01")
        )
        assert got == [issued[date(2026, 4, 1)], issued[date(2026, 3, 16)]]
        got = listed(finance_client.get("/staff/invoices/?issued_to=2026-03-02"))
        assert got == [issued[date(2026, 3, 2)]]


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        ("issued_from=2026-02-30", "issued_from", "Enter a valid date."),
        ("issued_to=yesterday", "issued_to", "Enter a valid date."),
        ("issued_from=2026-04-02&issued_to=2026-04-01", "issued_to", "on or after the start"),
        ("status=unpaid", "status", "Select a valid choice."),
        ("currency=XXX", "currency", "Select a valid choice."),
    ],
)
def test_bad_filters_show_a_field_error(finance_client, invoices, query, field, error) -> None:
    response = finance_client.get(f"/staff/invoices/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(
        rf'id="id_{field}"[^>]*class="[^"]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*id="id_{field}"',
        html,
    )
    after_field = html.split(f'id="id_{field}"', 1)[1][:1000]
    assert error in after_field
    # No CSV of a set the user did not ask for.
    assert "Download CSV" not in html
    assert finance_client.get(f"/staff/invoices.csv?{query}").status_code == 400


def test_overdue_open_invoices_are_highlighted(finance_client, article, reviewer) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False):
        late = issue(make_article(), reviewer)  # due 1 April
        settled = issue(make_article(), reviewer)
        pay(settled, settled.total_minor)
    with time_machine.travel(datetime(2026, 4, 1, 10, tzinfo=LONDON), tick=False):
        html = finance_client.get("/staff/invoices/").content.decode()
        assert "Overdue" not in html.split('id="invoices"', 1)[1]
    with time_machine.travel(datetime(2026, 4, 2, 10, tzinfo=LONDON), tick=False):
        html = finance_client.get("/staff/invoices/").content.decode()
    rows = {
        number: row
        for row in re.findall(r"<tr[^>]*>.*?</tr>", html.split('id="invoices"', 1)[1], re.S)
        for number in re.findall(r"(INV-[0-9-]+)</a>", row)
    }
    assert "Overdue" in rows[late.number]
    assert "table-danger" in rows[late.number]
    assert "Overdue" not in rows[settled.number]


def test_pagination_keeps_the_filters(finance_client, reviewer, exchange_rates) -> None:
    numbers = [issue(make_article(), reviewer).number for _ in range(27)]
    issue(make_article(), reviewer, currency="EUR")
    first = finance_client.get("/staff/invoices/?currency=GBP")
    assert len(listed(first)) == 25
    assert 'href="?currency=GBP&amp;page=2"' in first.content.decode()
    second = finance_client.get("/staff/invoices/?currency=GBP&page=2")
    assert set(listed(first)) | set(listed(second)) == set(numbers)
    assert "Page 2 of 2" in second.content.decode()


# --- Totals -----------------------------------------------------------------


def expected_totals(invoices) -> dict[str, list[str]]:
    """The same sums, added up in Python from what the database holds."""
    result: dict[str, list[int]] = {}
    for invoice in invoices:
        row = result.setdefault(invoice.currency, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += invoice.net_minor
        row[2] += invoice.vat_minor
        row[3] += invoice.total_minor
        if invoice.status == InvoiceStatus.OPEN:
            row[4] += invoice.total_minor - sum(p.amount_minor for p in invoice.payments.all())
    return {
        currency: [str(row[0])] + [format_money(amount, currency) for amount in row[1:]]
        for currency, row in result.items()
    }


def test_totals_per_currency_match_the_database(finance_client, invoices, reviewer) -> None:
    second_gb = issue(make_article(), reviewer, fee_minor=12345)
    pay(second_gb, 1000)
    shown = totals(finance_client.get("/staff/invoices/"))
    assert shown == expected_totals(Invoice.objects.all())
    assert shown["GBP"] == ["3", "323.45 GBP", "64.69 GBP", "388.14 GBP", "258.14 GBP"]
    assert shown["EUR"][4] == "150.00 EUR"  # 200.00 outside UK VAT, less 50.00 received
    assert shown["USD"][4] == "0.00 USD"


def test_totals_follow_the_filters(finance_client, invoices) -> None:
    shown = totals(finance_client.get("/staff/invoices/?status=open"))
    assert shown == expected_totals(Invoice.objects.filter(status="open"))
    assert set(shown) == {"GBP", "EUR"}
    html = finance_client.get("/staff/invoices/?q=nobody-matches").content.decode()
    assert 'id="totals"' not in html
    assert "No invoices, so no totals." in html


# --- CSV --------------------------------------------------------------------


def test_csv_for_accounting(finance_client, invoices) -> None:
    with time_machine.travel(datetime(2026, 5, 4, 10, tzinfo=LONDON), tick=False):
        response = finance_client.get("/staff/invoices.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="invoices-2026-05-04.csv"'
    rows = csv_rows(response)
    assert ",".join(rows[0]) == (
        "number,issued_on,due_on,reference,buyer_name,buyer_email,buyer_country,"
        "buyer_vat_number,vat_treatment,currency,net,vat,total,status,paid_at,credit_notes,"
        "vat_gbp,exchange_rate"
    )
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_number) == {i.number for i in invoices.values()}
    gb = invoices["gb"]
    assert by_number[gb.number] == {
        "number": gb.number,
        "issued_on": gb.issued_on.isoformat(),
        "due_on": gb.due_on.isoformat(),
        "reference": gb.reference,
        "buyer_name": "Daily Example",
        "buyer_email": "desk@daily.example",
        "buyer_country": "GB",
        "buyer_vat_number": "",
        "vat_treatment": "standard",
        "currency": "GBP",
        "net": "100.00",
        "vat": "20.00",
        "total": "120.00",
        "status": "open",
        "paid_at": "",
        "credit_notes": "",
        "vat_gbp": "",
        "exchange_rate": "",
    }
    usd = by_number[invoices["usd"].number]
    assert (usd["net"], usd["vat"], usd["total"], usd["status"]) == (
        "300.00",
        "0.00",
        "300.00",
        "paid",
    )
    assert usd["vat_treatment"] == "outside_scope"
    assert datetime.fromisoformat(usd["paid_at"]) == invoices["usd"].paid_at
    void = by_number[invoices["void"].number]
    assert void["status"] == "void"
    assert void["credit_notes"] == invoices["void"].credit_notes.get().number


def test_csv_keeps_the_filters(finance_client, invoices) -> None:
    html = finance_client.get("/staff/invoices/?status=open&currency=EUR").content.decode()
    assert 'href="/staff/invoices.csv?status=open&amp;currency=EUR"' in html
    rows = csv_rows(finance_client.get("/staff/invoices.csv?status=open&currency=EUR"))
    assert [row[0] for row in rows[1:]] == [invoices["eur"].number]
    rows = csv_rows(finance_client.get("/staff/invoices.csv?q=nobody-matches"))
    assert len(rows) == 1  # the header alone


def test_csv_cells_cannot_become_formulas(finance_client, article, reviewer) -> None:
    issue(
        article,
        reviewer,
        outlet_name='=HYPERLINK("http://evil.example","Click")',
        email="=1+2@outlet.example",
    )
    issue(make_article(), reviewer, outlet_name="+44 Media")
    issue(make_article(), reviewer, outlet_name="-Minus Press")
    issue(make_article(), reviewer, outlet_name="@Handle News")
    issue(make_article(), reviewer, outlet_name="Plain = Fine")
    rows = csv_rows(finance_client.get("/staff/invoices.csv"))
    names = {row[4] for row in rows[1:]}
    assert names == {
        '\'=HYPERLINK("http://evil.example","Click")',
        "'+44 Media",
        "'-Minus Press",
        "'@Handle News",
        "Plain = Fine",
    }
    assert "'=1+2@outlet.example" in {row[5] for row in rows[1:]}


# --- One invoice ------------------------------------------------------------


def test_invoice_page_shows_the_frozen_document(finance_client, invoices, finance) -> None:
    eur = invoices["eur"]
    PaymentProblem.objects.create(
        invoice=eur, kind="amount_mismatch", detail="Card payment of 1.00 EUR, expected 200.00 EUR"
    )
    response = finance_client.get(f"/staff/invoices/{eur.number}/")
    html = response.content.decode()
    for shown in [
        f"Invoice {eur.number}",
        eur.reference,
        settings.SELLER["name"],
        settings.SELLER["vat_number"],
        settings.BANK_DETAILS["account_number"],
        "Berliner Blatt",
        "kasse@blatt.example",
        "Germany",
        "Outside the scope of UK VAT",
        eur.lines.get().description,
        "200.00 EUR",
        "Bank transfer",
        "50.00 EUR",
        "BANK-REF",
        "amount_mismatch",
        "Card payment of 1.00 EUR, expected 200.00 EUR",
    ]:
        assert shown in html, shown
    assert re.search(r'id="amount-due">150.00 EUR<', html)
    assert "Record a bank transfer" in html
    assert 'action="/staff/invoices/' + eur.number + '/payments/"' in html


def test_paid_invoice_says_more_money_is_flagged_for_refund(finance_client, invoices) -> None:
    html = finance_client.get(f"/staff/invoices/{invoices['usd'].number}/").content.decode()
    assert "Paid in full" in html
    assert 'id="amount-due"' not in html
    warning = html.split('id="refund-warning"', 1)[1].split("</p>", 1)[0]
    assert "This invoice is paid" in warning
    assert "flagged for refund" in warning


def test_void_invoice_says_money_is_flagged_for_refund(finance_client, invoices) -> None:
    void = invoices["void"]
    html = finance_client.get(f"/staff/invoices/{void.number}/").content.decode()
    note = void.credit_notes.get()
    notice = html.split('id="void-notice"', 1)[1].split("</div>", 1)[0]
    assert note.number in notice
    assert "flagged for refund" in notice
    assert "flagged for refund" in html.split('id="refund-warning"', 1)[1]
    assert note.get_kind_display() in html
    assert 'id="amount-due"' not in html


# --- Performance --------------------------------------------------------------


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/staff/invoices/")
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_invoices(
    finance_client, reviewer, django_assert_max_num_queries, exchange_rates
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            invoice = issue(make_article(), reviewer, currency=["GBP", "EUR", "USD"][i % 3])
            if i % 2:
                pay(invoice, 1000)

    add(3)
    finance_client.get("/staff/invoices/")  # warm caches (content types, session)
    with_three = _list_queries(finance_client)
    add(27)
    assert Invoice.objects.count() == 30
    with django_assert_max_num_queries(with_three):
        response = finance_client.get("/staff/invoices/")
    assert len(listed(response)) == 25
    assert sum(int(row[0]) for row in totals(response).values()) == 30
