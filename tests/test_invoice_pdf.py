"""billing.pdf: invoice and credit note PDFs, parsed back with pypdf."""

import io
from datetime import date

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from billing.models import Invoice
from billing.pdf import invoice_summary, render_credit_note_pdf, render_invoice_pdf
from licensing.models import RepublicationRequest
from tests.factories import approved_request, make_invoice, make_request

PAY_URL = "http://testserver.example/requests/0b4e1c52-9a7e-4d7e-9d55-3f1f0c6b9a10/"


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, whitespace collapsed, so wrapped lines still match."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def invoice(article, reviewer):
    return approved_request(article, actor=reviewer).invoice


def test_invoice_names_seller_buyer_request_and_article(invoice, settings) -> None:
    data = render_invoice_pdf(invoice, pay_url=PAY_URL)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    seller = settings.SELLER
    for expected in [
        "Invoice",
        seller["name"],
        "Example House",
        f"Company number: {seller['company_number']}",
        f"VAT number: {seller['vat_number']}",
        "The Daily Example",
        "Amira Haddad",
        "amira@outlet.example",
        "United Kingdom",
        invoice.number,
        invoice.reference,
        "Central Asian fighters in Syria join al-Nusra Front",
        f"Issue date {invoice.issued_on.day} {invoice.issued_on:%B %Y}",
        f"Due date {invoice.due_on.day} {invoice.due_on:%B %Y}",
    ]:
        assert expected in text, expected


def test_invoice_lines_vat_and_totals(invoice) -> None:
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Description Net VAT rate VAT Total" in text
    assert "250.00 GBP 20% 50.00 GBP 300.00 GBP" in text
    assert "VAT BREAKDOWN" in text
    assert "Total (GBP) 300.00 GBP" in text
    assert "Please pay 300.00 GBP by" in text


def test_invoice_tells_how_to_pay_by_bank_transfer(invoice, settings) -> None:
    text = pdf_text(render_invoice_pdf(invoice, pay_url=PAY_URL))
    bank = settings.BANK_DETAILS
    for value in bank.values():
        assert value in text, value
    assert f"quoting {invoice.number} as the payment reference" in text
    assert f"Payment reference {invoice.number}" in text


def test_card_payment_points_to_the_request_page(invoice, settings) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    text = pdf_text(render_invoice_pdf(invoice, pay_url=PAY_URL))
    assert f"By card: use the Pay by card button on your request page: {PAY_URL}" in text


def test_without_stripe_no_card_is_promised(invoice, settings) -> None:
    settings.STRIPE_SECRET_KEY = ""
    text = pdf_text(render_invoice_pdf(invoice, pay_url=PAY_URL))
    assert "By card" not in text
    assert PAY_URL in text


def test_without_a_pay_url_the_portal_address_is_given(invoice, settings) -> None:
    settings.PORTAL_BASE_URL = "https://republish.example"
    assert "https://republish.example" in pdf_text(render_invoice_pdf(invoice))


def test_reverse_charge_wording_and_prefixed_vat_number(db) -> None:
    invoice = make_invoice(currency="EUR", country="DE", vat_number="136695976")
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Reverse charge: customer to account for VAT" in text
    assert "VAT number: DE136695976" in text
    assert "Germany" in text
    assert "Total (EUR) 250.00 EUR" in text
    assert "0% 0.00 EUR" in text


def test_outside_scope_wording(db) -> None:
    invoice = make_invoice(currency="USD", country="US")
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Outside the scope of UK VAT" in text
    assert "United States of America" in text
    assert "Total (USD) 250.00 USD" in text


def test_uk_invoice_has_no_exemption_wording(invoice) -> None:
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Reverse charge" not in text
    assert "Outside the scope" not in text


def test_same_invoice_gives_identical_bytes(invoice) -> None:
    first = render_invoice_pdf(invoice, pay_url=PAY_URL)
    invoice.refresh_from_db()
    assert render_invoice_pdf(invoice, pay_url=PAY_URL) == first


def test_metadata_comes_from_the_invoice(invoice) -> None:
    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice)))
    meta = reader.metadata
    assert meta is not None
    assert meta.title == f"Invoice {invoice.number}"
    assert meta["/CreationDate"].startswith(f"D:{invoice.issued_on:%Y%m%d}")


def test_different_invoices_differ(article, reviewer, invoice) -> None:
    other = approved_request(article, actor=reviewer, email="other@outlet.example").invoice
    assert render_invoice_pdf(other) != render_invoice_pdf(invoice)


def test_paid_invoice_is_stamped_and_asks_for_nothing(invoice) -> None:
    invoice.mark_paid()
    text = pdf_text(render_invoice_pdf(invoice))
    assert "PAID" in text
    assert "Paid in full on" in text
    assert "How to pay" not in text


def test_void_invoice_is_stamped_and_names_its_credit_note(invoice) -> None:
    note = invoice.void(reason="Staff cancelled the quote.")
    text = pdf_text(render_invoice_pdf(invoice))
    assert "VOID" in text
    assert "This invoice is void" in text
    assert note.number in text
    assert "How to pay" not in text


def test_part_payment_shows_what_is_still_due(invoice) -> None:
    invoice.record_payment(
        method="bank_transfer",
        amount_minor=10000,
        currency="GBP",
        received_on=invoice.issued_on,
    )
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Please pay 200.00 GBP by" in text
    assert "100.00 GBP received so far" in text


def test_cancellation_credit_note(invoice) -> None:
    note = invoice.void(reason="Request withdrawn.")
    data = render_credit_note_pdf(note)
    text = pdf_text(data)
    for expected in [
        "Credit note",
        note.number,
        f"Credits invoice {invoice.number}",
        invoice.reference,
        "Kind Cancellation",
        "Request withdrawn.",
        "50.00 GBP",
        "Total credited (GBP) 300.00 GBP",
        f"cancels invoice {invoice.number} in full",
        "The Daily Example",
    ]:
        assert expected in text, expected
    assert render_credit_note_pdf(note) == data


def test_refund_credit_note(invoice) -> None:
    invoice.mark_paid()
    note = invoice.refund(amount_minor=12000, reason="Goodwill refund.", provider_reference="ch_1")
    text = pdf_text(render_credit_note_pdf(note))
    assert "Kind Refund" in text
    assert "Refund reference ch_1" in text
    assert "100.00 GBP 20.00 GBP 120.00 GBP" in text
    assert f"refund of 120.00 GBP against invoice {invoice.number}" in text


@pytest.mark.parametrize(
    "name",
    [
        '<b>x</b> & Co "Quotes"',
        "Smith & Sons <script>alert(1)</script>",
        "A &amp; B; <para> </font>",
        "O'Brien's & <br/> Co",
    ],
)
def test_markup_in_names_prints_literally(db, name: str) -> None:
    invoice = make_invoice(name=name, description=f"Licence for {name}")
    text = pdf_text(render_invoice_pdf(invoice))
    assert name in text
    note = invoice.void(reason=f"Cancelled: {name}")
    assert f"Cancelled: {name}" in pdf_text(render_credit_note_pdf(note))


def test_non_latin_names_do_not_break_the_pdf(db) -> None:
    invoice = make_invoice(name="ميدل إيست آي · 中東之眼 · Ελλάδα", reference="RR-2026-00009")
    data = render_invoice_pdf(invoice)
    assert data.startswith(b"%PDF-")
    assert "RR-2026-00009" in pdf_text(data)


def test_seller_is_frozen_on_the_invoice(invoice, settings) -> None:
    settings.SELLER = {**settings.SELLER, "name": "Someone Else Ltd"}
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Someone Else Ltd" not in text
    assert invoice.seller["name"] in text


def test_long_description_wraps_in_its_cell(db) -> None:
    description = "A very long licence description, " * 14 + "the end."
    invoice = make_invoice(description=description)
    text = pdf_text(render_invoice_pdf(invoice))
    assert " ".join(description.split()) in text
    assert "Total (GBP) 300.00 GBP" in text


def test_invoice_prints_buyer_address_purchase_order_and_date_of_supply(article, reviewer) -> None:
    req = approved_request(
        article,
        actor=reviewer,
        outlet_address="Rue de la Paix 12\n75002 Paris",
        country="FR",
        purchase_order="BC-2026/118",
    )
    invoice = req.invoice
    text = pdf_text(render_invoice_pdf(invoice))
    assert "Rue de la Paix 12 75002 Paris France" in text
    assert "Purchase order BC-2026/118" in text
    assert f"Date of supply {req.start_date.day} {req.start_date:%B %Y}" in text
    # The credit note names the same purchase order.
    assert "Purchase order BC-2026/118" in pdf_text(
        render_credit_note_pdf(invoice.void(reason="x"))
    )


def test_paid_invoice_says_paid_on_instead_of_a_due_date(invoice) -> None:
    invoice.mark_paid()
    invoice.refresh_from_db()
    paid = timezone.localdate(invoice.paid_at)
    text = pdf_text(render_invoice_pdf(invoice, language="fr"))
    assert f"Paid on {paid.day} {paid:%B %Y}" in text
    assert "Due date" not in text
    assert "due by" not in text and "à régler" not in text
    assert "payée le" in text


def test_vat_numbers_always_carry_their_country_prefix(db) -> None:
    # Outside the scope (a UK number typed without GB would be standard; a US one here).
    invoice = make_invoice(country="GB", vat_number="980780684")
    text = pdf_text(render_invoice_pdf(invoice))
    assert "VAT number: GB980780684" in text
    assert "VAT number: GB000000000" in text  # the seller's, in the parties and footer


def test_legal_wording_is_also_in_the_buyers_language(article, reviewer) -> None:
    req = approved_request(article, actor=reviewer, country="DE", vat_number="DE136695976")
    RepublicationRequest.objects.filter(pk=req.pk).update(ui_language="fr")
    invoice = req.invoice
    Invoice.objects.filter(pk=invoice.pk).update(buyer_language="fr")
    invoice.refresh_from_db()
    text = pdf_text(render_invoice_pdf(invoice))
    # The French legal mention (CGI, annexe II, art. 242 nonies A) under the English.
    assert "Reverse charge: customer to account for VAT Autoliquidation" in text
    note_text = pdf_text(render_credit_note_pdf(invoice.void(reason="x")))
    assert "Autoliquidation" in note_text


def test_buyer_language_is_frozen_from_the_request(article, reviewer) -> None:
    req = make_request(article, country="FR", vat_number="FR40303265045")
    RepublicationRequest.objects.filter(pk=req.pk).update(ui_language="fr")
    req.refresh_from_db()
    req.approve(actor=reviewer, fee_minor=10000, currency="EUR", validity_days=30)
    req.refresh_from_db()
    assert req.invoice.buyer_language == "fr"
    assert "Autoliquidation" in pdf_text(render_invoice_pdf(req.invoice))


def test_request_page_gives_the_vat_wording_in_the_readers_language(
    client, article, reviewer
) -> None:
    client.post("/i18n/setlang/", {"language": "fr"})
    req = make_request(article, country="FR", vat_number="FR40303265045")
    RepublicationRequest.objects.filter(pk=req.pk).update(ui_language="fr")
    req.refresh_from_db()
    req.approve(actor=reviewer, fee_minor=10000, currency="EUR", validity_days=30)
    client.force_login(req.requester)
    html = client.get(f"/requests/{req.uuid}/").content.decode()
    assert '<p class="small" id="vat-note">Autoliquidation</p>' in html
    assert "Reverse charge" not in html
    english = Client()
    english.force_login(req.requester)
    html_en = english.get(f"/requests/{req.uuid}/").content.decode()
    assert "Reverse charge: customer to account for VAT" in html_en
    assert "FR40303265045" in html  # with its country prefix, as everywhere


@pytest.mark.parametrize(
    ("language", "total", "due"),
    [
        # French groups with the narrow no-break space and puts the € after the amount.
        ("fr", "1\u202f481,40\xa0€", "à régler au plus tard le 3 févr. 2027"),
        # Arabic in Latin digits, grouped, the amount marked right to left.
        ("ar", "1,481.40\xa0€", "تُسدَّد في موعد أقصاه 3 فبراير، 2027"),
    ],
)
def test_summary_line_writes_amount_and_date_as_the_buyer_does(
    article, reviewer, language, total, due, exchange_rates
) -> None:
    """The English invoice keeps "1,234.50 EUR"; its summary line is the buyer's own."""
    with time_machine.travel(date(2027, 1, 4), tick=False):
        req = approved_request(article, actor=reviewer, fee_minor=123450, currency="EUR")
    invoice = req.invoice
    Invoice.objects.filter(pk=invoice.pk).update(due_on=date(2027, 2, 3))
    invoice.refresh_from_db()
    summary = invoice_summary(invoice, language)
    assert total in summary
    assert due in summary
    text = pdf_text(render_invoice_pdf(invoice, language=language))
    assert "1,481.40 EUR" in text  # the English body, VAT at 20 % included
    # pdf_text makes every space a plain one: the amount's groups stay on one line.
    assert ("1 481,40 €" if language == "fr" else "1,481.40") in text
