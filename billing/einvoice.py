"""E-invoices: the EN 16931 XML (Factur-X CII) of an invoice or credit note, and its PDF/A-3.

The XML is built by the factur-x library from the same frozen fields the
PDF prints, amounts from integer minor units as decimal strings (never
floats). The PDF/A-3 is the rendered PDF with that XML embedded
(`facturx.generate_from_binary`), an sRGB output intent and the XMP
metadata a PDF/A reader checks.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import facturx
import pikepdf
from PIL import ImageCms

from billing.pdf import render_credit_note_pdf, render_invoice_pdf
from billing.vat import REVERSE_CHARGE_NOTE, VatTreatment, prefixed_vat_number
from portal.money import to_major

if TYPE_CHECKING:
    from billing.models import CreditNote, Invoice

LEVEL = "en16931"
INVOICE_TYPE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE_TYPE = "381"  # UNTDID 1001: credit note
CREDIT_TRANSFER = "30"  # UNTDID 4461
UNIT = "C62"  # UN/ECE rec. 20: one (a licence is one unit)

# UNTDID 5305 VAT category, with the exemption reason EN 16931 requires for AE and O.
CATEGORY = {
    VatTreatment.STANDARD: ("S", "", ""),
    VatTreatment.REVERSE_CHARGE: ("AE", REVERSE_CHARGE_NOTE, "VATEX-EU-AE"),
    VatTreatment.OUTSIDE_SCOPE: (
        "O",
        "Not subject to VAT: outside the scope of UK VAT",
        "VATEX-EU-O",
    ),
}


def _amount(minor: int) -> str:
    return str(to_major(minor))


def _address(text: str, country: str) -> dict[str, str]:
    """A free-text postal address as up to three address lines (the rest joins the third)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    parts = {"country_code": country}
    for key, line in zip(("addr_l1", "addr_l2"), lines[:2], strict=False):
        parts[key] = line
    if len(lines) > 2:
        parts["addr_l3"] = ", ".join(lines[2:])
    return parts


def _seller(seller: dict[str, Any], *, with_vat_number: bool) -> dict[str, Any]:
    party: dict[str, Any] = {
        "name": str(seller.get("name", "")),
        **_address(str(seller.get("address", "")), str(seller.get("country", "GB"))),
    }
    if seller.get("company_number"):
        party["legal_identifier"] = str(seller["company_number"])
    # BR-O-02: an invoice outside the scope of VAT carries no VAT identifier at all.
    if with_vat_number and seller.get("vat_number"):
        party["vat_identifier"] = prefixed_vat_number(seller)
    if seller.get("email"):
        party["contacts"] = [{"email": str(seller["email"])}]
    return party


def _buyer(invoice: Invoice, *, with_vat_number: bool) -> dict[str, Any]:
    party: dict[str, Any] = {
        "name": invoice.buyer_name,
        **_address(invoice.buyer_address, invoice.buyer_country),
        "contacts": [{"name": invoice.buyer_contact, "email": invoice.buyer_email}],
    }
    if with_vat_number and invoice.buyer_vat_number:
        party["vat_identifier"] = invoice.buyer_vat_id
    return party


def _document(
    invoice: Invoice, document: Invoice | CreditNote, *, type_code: str, description: str
) -> dict[str, Any]:
    """The EN 16931 data (BT and BG keys, as factur-x names them) of one single-line document:
    `document` is the invoice itself or a credit note against it."""
    net_minor, vat_minor = document.net_minor, document.vat_minor
    category, reason, reason_code = CATEGORY[VatTreatment(invoice.vat_treatment)]
    rate = invoice.lines.values_list("vat_rate", flat=True).first() or 0
    vat_numbers = category != "O"
    breakdown: dict[str, Any] = {
        "BT-116": _amount(net_minor),
        "BT-117": _amount(vat_minor),
        "BT-118": category,
    }
    line_rate: dict[str, str] = {}
    # BR-O-05, BR-O-09: nothing outside the scope of VAT carries a VAT rate.
    if category != "O":
        breakdown["BT-119"] = line_rate["BT-152"] = f"{rate:.2f}"
    if reason:
        breakdown |= {"BT-120": reason, "BT-121": reason_code}
    data: dict[str, Any] = {
        "BT-1": document.number,
        "BT-2": document.issued_on,
        "BT-3": type_code,
        "BT-5": invoice.currency,
        "BT-72": invoice.supplied_on or invoice.issued_on,
        "BG-4": _seller(invoice.seller, with_vat_number=vat_numbers),
        "BG-7": _buyer(invoice, with_vat_number=vat_numbers),
        "BG-23": [breakdown],
        "BG-25": [
            {
                "BT-126": "1",
                "BT-153": description[:500],
                "BT-146": _amount(net_minor),
                "BT-129": "1",
                "BT-130": UNIT,
                "BT-151": category,
                **line_rate,
                "BT-131": _amount(net_minor),
            }
        ],
        "BT-106": _amount(net_minor),
        "BT-109": _amount(net_minor),
        "BT-110": _amount(vat_minor),
        "BT-112": _amount(net_minor + vat_minor),
        "BT-115": _amount(net_minor + vat_minor),
        "BT-83": invoice.number,
    }
    if document.vat_gbp_minor is not None:
        # BT-6 and BT-111: the VAT in sterling, the seller's VAT accounting currency
        # (HMRC wants it on a VAT invoice in another currency; BR-53 pairs the two).
        data["BT-6"] = "GBP"
        data["BT-111"] = _amount(document.vat_gbp_minor)
    if invoice.vat_note:
        data["BG-1"] = [{"BT-21": "TXD", "BT-22": invoice.vat_note}]
    if invoice.purchase_order:
        # The buyer's reference routes the invoice at their end; the PO number is the same text.
        data["BT-10"] = invoice.purchase_order
        data["BT-13"] = invoice.purchase_order
    else:
        data["BT-10"] = invoice.reference
    bank = invoice.bank_details
    if bank.get("iban") or bank.get("account_number"):
        data["BT-81"] = CREDIT_TRANSFER
        data["BT-84"] = str(bank.get("iban") or bank.get("account_number"))
        if bank.get("account_name"):
            data["BT-85"] = str(bank["account_name"])
        if bank.get("bic"):
            data["BT-86"] = str(bank["bic"])
    return data


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    data = _document(invoice, invoice, type_code=INVOICE_TYPE, description=invoice.description)
    data["BT-9"] = invoice.due_on
    return data


def credit_note_data(note: CreditNote) -> dict[str, Any]:
    invoice = note.invoice
    data = _document(
        invoice,
        note,
        type_code=CREDIT_NOTE_TYPE,
        description=f"Credit against invoice {invoice.number}: {invoice.description}",
    )
    data["BG-3"] = [{"BT-25": invoice.number, "BT-26": invoice.issued_on}]
    # BR-CO-25: an amount due needs its terms; a credit is repaid, not collected.
    data["BT-20"] = f"Credited against invoice {invoice.number}: {note.reason}"[:500]
    data.pop("BT-81", None)
    data.pop("BT-84", None)
    data.pop("BT-85", None)
    data.pop("BT-86", None)
    return data


def _xml(data: dict[str, Any], flavor: str = "factur-x") -> bytes:
    # The schema is checked here (offline); the schematron needs a Saxon processor
    # and is run by the tests, against the same data.
    return bytes(facturx.generate_xml(data, flavor=flavor, level=LEVEL, check_schematron=False))


def invoice_xml(invoice: Invoice) -> bytes:
    return _xml(invoice_data(invoice))


def credit_note_xml(note: CreditNote) -> bytes:
    return _xml(credit_note_data(note))


def invoice_ubl(invoice: Invoice) -> bytes:
    """The same invoice as UBL 2.1, for buyers whose software reads UBL rather than CII."""
    return _xml(invoice_data(invoice), flavor="ubl-2.1")


_SRGB: bytes | None = None


def _srgb_profile() -> bytes:
    global _SRGB
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _SRGB


def pdf_a3(pdf: bytes, xml: str, *, title: str, author: str, subject: str, created: date) -> bytes:
    """`pdf` as a Factur-X PDF/A-3: `xml` embedded as factur-x.xml, sRGB output intent, XMP."""
    with_xml = facturx.generate_from_binary(
        pdf,
        xml.encode(),
        flavor="factur-x",
        level=LEVEL,
        check_xsd=False,  # checked when the XML was made
        pdf_metadata={"title": title, "author": author, "subject": subject, "keywords": title},
        lang="en",
        xmp_compression=False,
    )
    stamp = datetime(created.year, created.month, created.day).isoformat() + "+00:00"
    with pikepdf.open(io.BytesIO(with_xml)) as document:
        icc = pikepdf.Stream(document, _srgb_profile())
        icc["/N"] = 3
        document.Root.OutputIntents = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,
                    OutputConditionIdentifier="sRGB IEC61966-2.1",
                    Info="sRGB IEC61966-2.1",
                    DestOutputProfile=icc,
                )
            ]
        )
        # The dates follow the document, not the clock: same invoice, same bytes.
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as xmp:
            xmp["xmp:CreateDate"] = stamp
            xmp["xmp:ModifyDate"] = stamp
            xmp["xmp:MetadataDate"] = stamp
        for spec in document.Root.AF:
            spec.EF.F.Params.ModDate = f"D:{created:%Y%m%d}000000+00'00'"
        # PDF/A: every annotation (the payment link) is printable.
        for page in document.pages:
            for annotation in page.get("/Annots", []):
                annotation.F = 4
        out = io.BytesIO()
        # PDF/A-3 is built on PDF 1.7.
        document.save(out, deterministic_id=True, min_version="1.7")
    return out.getvalue()


def invoice_pdf_a3(invoice: Invoice, pdf: bytes) -> bytes:
    return pdf_a3(
        pdf,
        invoice.einvoice_xml or invoice_xml(invoice).decode(),
        title=f"Invoice {invoice.number}",
        author=str(invoice.seller.get("name", "")),
        subject=f"{invoice.reference}: {invoice.description}",
        created=invoice.issued_on,
    )


def credit_note_pdf_a3(note: CreditNote, pdf: bytes) -> bytes:
    return pdf_a3(
        pdf,
        note.einvoice_xml or credit_note_xml(note).decode(),
        title=f"Credit note {note.number}",
        author=str(note.invoice.seller.get("name", "")),
        subject=f"{note.invoice.reference}: credit against {note.invoice.number}",
        created=note.issued_on,
    )


def render_invoice_document(invoice: Invoice, *, pay_url: str = "", language: str = "en") -> bytes:
    """The invoice as the buyer downloads it: its PDF, as a Factur-X PDF/A-3."""
    return invoice_pdf_a3(invoice, render_invoice_pdf(invoice, pay_url=pay_url, language=language))


def render_credit_note_document(note: CreditNote) -> bytes:
    """The credit note's PDF as a Factur-X PDF/A-3 (type 381, naming its invoice)."""
    return credit_note_pdf_a3(note, render_credit_note_pdf(note))
