"""Invoice and credit note PDFs: pure functions of the document, same object, same bytes.

Creation date and document id come from the document itself (reportlab's
invariant mode), so a PDF can be re-rendered, compared and hashed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django_countries import countries
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from billing.vat import legal_note, prefixed_vat_number
from portal import pdf as layout
from portal.formats import format_day
from portal.money import format_money
from portal.pdf import build_pdf, labelled_rows, padded, section, text
from portal.pdf_text import BOLD, register_fonts

if TYPE_CHECKING:
    from billing.models import CreditNote, Invoice, InvoiceLine

PAID_GREEN = colors.HexColor("#1a7f37")
VOID_RED = colors.HexColor("#b42318")

CAPTION = ParagraphStyle("caption", parent=layout.SMALL, fontName=BOLD, fontSize=7.5, spaceAfter=2)
SELLER = ParagraphStyle("seller", parent=layout.BODY, fontName=BOLD, fontSize=11, leading=14)
TITLE = ParagraphStyle("title", parent=layout.BODY, fontName=BOLD, fontSize=22, leading=26)
NUMBER = ParagraphStyle("number", parent=layout.BODY, fontName=BOLD, fontSize=13, leading=16)

# Line items, VAT breakdown and credited amounts: a shaded header row, ruled cells.
GRID = [
    *layout.CELLS,
    ("FONTSIZE", (0, 0), (-1, -1), 9),
    ("FONTNAME", (0, 0), (-1, 0), BOLD),
    ("BACKGROUND", (0, 0), (-1, 0), layout.SHADE),
    ("GRID", (0, 0), (-1, -1), 0.4, layout.RULE),
    ("TOPPADDING", (0, 0), (-1, -1), 4),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
]


def render_invoice_pdf(invoice: Invoice, *, pay_url: str = "", language: str = "en") -> bytes:
    """The invoice as an A4 PDF; `pay_url` is the requester's page, where card payment lives.

    The invoice is English; for a buyer who wrote in another `language` one
    summary line repeats the essentials in it.
    """
    summary = invoice_summary(invoice, language) if language != "en" else ""
    register_fonts()  # before any paragraph: reportlab looks up its style's font as it reads it
    with translation.override("en"):
        return _render_invoice(invoice, pay_url=pay_url, summary=summary)


def invoice_summary(invoice: Invoice, language: str) -> str:
    """One line in `language`: which invoice, for which request, how much, due or paid when."""
    with translation.override(language):
        if invoice.paid_on is not None:
            return gettext(
                "Invoice %(number)s for request %(reference)s: %(total)s, paid on %(paid)s."
            ) % {
                "number": invoice.number,
                "reference": invoice.reference,
                "total": format_money(invoice.total_minor, invoice.currency),
                "paid": format_day(invoice.paid_on),
            }
        return gettext(
            "Invoice %(number)s for request %(reference)s: %(total)s, due by %(due)s."
        ) % {
            "number": invoice.number,
            "reference": invoice.reference,
            "total": format_money(invoice.total_minor, invoice.currency),
            "due": format_day(invoice.due_on),
        }


def _render_invoice(invoice: Invoice, *, pay_url: str, summary: str) -> bytes:
    lines = list(invoice.lines.all())
    stamp = None
    if invoice.paid_on is not None:
        stamp = _Stamp("PAID", PAID_GREEN)
    elif invoice.is_void:
        stamp = _Stamp("VOID", VOID_RED)
    meta = [
        ("Invoice number", invoice.number),
        ("Issue date", _day(invoice.issued_on)),
        *_supply_and_payment_dates(invoice),
        ("Request reference", invoice.reference),
        *([("Purchase order", invoice.purchase_order)] if invoice.purchase_order else []),
    ]
    story: list[Flowable] = [
        _header("Invoice", invoice.number, invoice.seller, meta, stamp),
        *([Spacer(1, 3 * mm), text(summary, layout.SUMMARY)] if summary else []),
        Spacer(1, 6 * mm),
        _parties(invoice),
        Spacer(1, 6 * mm),
        _lines_table(invoice, lines),
        Spacer(1, 4 * mm),
        _vat_and_totals(invoice, lines),
        *_status_section(invoice),
        *_how_to_pay(invoice, pay_url=pay_url),
    ]
    return _build(
        story,
        title=f"Invoice {invoice.number}",
        subject=f"{invoice.reference}: {invoice.description}",
        keywords=[invoice.number, invoice.reference, str(invoice.uuid)],
        seller=invoice.seller,
        document_number=invoice.number,
        issued_on=invoice.issued_on,
    )


def render_credit_note_pdf(credit_note: CreditNote) -> bytes:
    """The credit note as an A4 PDF, naming the invoice it credits and why."""
    register_fonts()  # before any paragraph: reportlab looks up its style's font as it reads it
    with translation.override("en"):
        return _render_credit_note(credit_note)


def _render_credit_note(credit_note: CreditNote) -> bytes:
    invoice = credit_note.invoice
    currency = invoice.currency
    meta = [
        ("Credit note number", credit_note.number),
        ("Issue date", _day(credit_note.issued_on)),
        ("Credits invoice", invoice.number),
        ("Invoice date", _day(invoice.issued_on)),
        ("Request reference", invoice.reference),
        *([("Purchase order", invoice.purchase_order)] if invoice.purchase_order else []),
        ("Kind", credit_note.get_kind_display()),
    ]
    if credit_note.provider_reference:
        meta.append(("Refund reference", credit_note.provider_reference))
    total = format_money(credit_note.total_minor, currency)
    if credit_note.cancels_invoice:
        effect = f"This credit note cancels invoice {invoice.number} in full: nothing is due on it."
    else:
        effect = f"This credit note records a refund of {total} against invoice {invoice.number}."
    amounts = Table(
        [
            ["Description", "Net", "VAT", "Total"],
            [
                text(f"Credit against invoice {invoice.number}: {invoice.description}"),
                format_money(credit_note.net_minor, currency),
                format_money(credit_note.vat_minor, currency),
                total,
            ],
            [f"Total credited ({currency})", "", "", total],
        ],
        colWidths=[layout.CONTENT_WIDTH - 90 * mm, 29 * mm, 29 * mm, 32 * mm],
        style=TableStyle(
            [
                *GRID,
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("SPAN", (0, -1), (2, -1)),
                ("ALIGN", (0, -1), (0, -1), "LEFT"),
                ("FONTNAME", (0, -1), (-1, -1), BOLD),
                ("BACKGROUND", (0, -1), (-1, -1), layout.SHADE),
            ]
        ),
    )
    story: list[Flowable] = [
        _header("Credit note", credit_note.number, invoice.seller, meta, None),
        Spacer(1, 6 * mm),
        _parties(invoice),
        Spacer(1, 5 * mm),
        _caption("Reason"),
        text(credit_note.reason),
        Spacer(1, 5 * mm),
        amounts,
        Spacer(1, 4 * mm),
        text(effect),
    ]
    if sterling := credit_note.sterling_vat_line:
        story += [Spacer(1, 1 * mm), text(sterling)]
    if invoice.vat_note:
        story += [Spacer(1, 1 * mm), text(f"VAT: {invoice.vat_note}.", layout.SMALL)]
        if translated := legal_note(invoice.vat_note, invoice.buyer_language):
            story.append(text(translated, layout.SMALL))
    return _build(
        story,
        title=f"Credit note {credit_note.number}",
        subject=f"{invoice.reference}: credit against {invoice.number}",
        keywords=[credit_note.number, invoice.number, invoice.reference, str(credit_note.uuid)],
        seller=invoice.seller,
        document_number=credit_note.number,
        issued_on=credit_note.issued_on,
    )


# --- Building blocks -------------------------------------------------------


def _caption(words: str) -> Paragraph:
    return Paragraph(escape(words.upper()), CAPTION)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _country(code: str) -> str:
    return str(countries.name(code)) or code


def _prefixed(label: str, value: object) -> str:
    return f"{label}: {value}" if value else ""


def _supply_and_payment_dates(invoice: Invoice) -> list[tuple[str, str]]:
    """Date of supply, then "Paid on" for a paid invoice or the due date for any other."""
    rows = [("Date of supply", _day(invoice.supplied_on))] if invoice.supplied_on else []
    if invoice.paid_on is not None:
        return [*rows, ("Paid on", _day(invoice.paid_on))]
    return [*rows, ("Due date", _day(invoice.due_on))]


class _Stamp(Flowable):
    """A rubber-stamp mark (PAID, VOID) beside the document's title."""

    def __init__(self, text: str, colour: colors.Color) -> None:
        super().__init__()
        self.text, self.colour = text, colour
        self.width, self.height = 30 * mm, 18 * mm

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.translate(self.width / 2, self.height / 2)
        canvas.rotate(10)
        canvas.setStrokeColor(self.colour)
        canvas.setFillColor(self.colour)
        canvas.setLineWidth(2.2)
        canvas.roundRect(-13 * mm, -5.5 * mm, 26 * mm, 11 * mm, 2 * mm, stroke=1, fill=0)
        canvas.setFont(BOLD, 19)
        canvas.drawCentredString(0, -2.4 * mm, self.text)
        canvas.restoreState()


def _header(
    kind: str,
    number: str,
    seller: dict[str, Any],
    meta: Sequence[tuple[str, str]],
    stamp: Flowable | None,
) -> Table:
    """The seller, the document's kind and number, its stamp and its facts; ruled below."""
    title = [
        text(str(seller.get("name", "")), SELLER),
        Spacer(1, 3 * mm),
        text(kind, TITLE),
        text(number, NUMBER),
    ]
    facts = labelled_rows(
        [(text(label, layout.SMALL), text(value)) for label, value in meta],
        label_width=34 * mm,  # "Credit note number" on one line, clear of its value
        width=78 * mm,
        padding=(0, 4, 2, 0),
    )
    stamp_width = 36 * mm
    return Table(
        [[title, stamp or "", facts]],
        colWidths=[layout.CONTENT_WIDTH - stamp_width - 78 * mm, stamp_width, 78 * mm],
        style=TableStyle(
            [
                *layout.CELLS,
                *padded((0, 0, 8, 0)),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("VALIGN", (1, 0), (1, 0), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 1.2, layout.INK),
            ]
        ),
    )


def _party_block(title: str, lines: Iterable[str]) -> list[Flowable]:
    return [_caption(title), *(text(line) for line in lines if line)]


def _parties(invoice: Invoice) -> Table:
    seller = invoice.seller
    seller_lines = [
        str(seller.get("name", "")),
        str(seller.get("address", "")),
        _country(str(seller.get("country", ""))),
        _prefixed("Company number", seller.get("company_number")),
        _prefixed("VAT number", invoice.seller_vat_id),
        str(seller.get("email", "")),
    ]
    buyer_lines = [
        invoice.buyer_name,
        _prefixed("Attn.", invoice.buyer_contact),
        *invoice.buyer_address.splitlines(),
        _country(invoice.buyer_country),
        invoice.buyer_email,
        _prefixed("VAT number", invoice.buyer_vat_id),
    ]
    half = layout.CONTENT_WIDTH / 2
    return Table(
        [[_party_block("From", seller_lines), _party_block("Bill to", buyer_lines)]],
        colWidths=[half - 2 * mm, half + 2 * mm],
        style=TableStyle(
            [
                *layout.CELLS,
                *padded((6, 6, 8, 0), (0, 0), (0, 0)),
                *padded((6, 6, 8, 8), (1, 0), (1, 0)),
                ("BACKGROUND", (1, 0), (1, 0), layout.SHADE),
                ("BOX", (1, 0), (1, 0), 0.4, layout.RULE),
            ]
        ),
    )


def _lines_table(invoice: Invoice, lines: Sequence[InvoiceLine]) -> Table:
    money, rate = 28 * mm, 20 * mm  # "VAT rate" in bold needs 20 mm with its padding
    rows: list[list[Any]] = [["Description", "Net", "VAT rate", "VAT", "Total"]]
    for line in lines:
        description = line.description
        if line.quantity != 1:
            unit = format_money(line.unit_net_minor, invoice.currency)
            description = f"{description} ({line.quantity} x {unit})"
        rows.append(
            [
                text(description),
                format_money(line.net_minor, invoice.currency),
                _rate(line.vat_rate),
                format_money(line.vat_minor, invoice.currency),
                format_money(line.total_minor, invoice.currency),
            ]
        )
    return Table(
        rows,
        colWidths=[layout.CONTENT_WIDTH - 3 * money - rate, money, rate, money, money],
        repeatRows=1,
        style=TableStyle([*GRID, ("ALIGN", (1, 0), (-1, -1), "RIGHT")]),
    )


def _vat_and_totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> Table:
    """VAT breakdown per rate and its wording on the left, the totals on the right."""
    by_rate: dict[Decimal, tuple[int, int]] = {}
    for line in lines:
        net, vat = by_rate.get(line.vat_rate, (0, 0))
        by_rate[line.vat_rate] = (net + line.net_minor, vat + line.vat_minor)
    breakdown = Table(
        [
            ["VAT rate", "Net", "VAT"],
            *(
                [
                    _rate(rate),
                    format_money(net, invoice.currency),
                    format_money(vat, invoice.currency),
                ]
                for rate, (net, vat) in sorted(by_rate.items())
            ),
        ],
        colWidths=[18 * mm, 28 * mm, 28 * mm],
        hAlign="LEFT",
        style=TableStyle(
            [*GRID, ("FONTSIZE", (0, 0), (-1, -1), 8.5), ("ALIGN", (0, 0), (-1, -1), "RIGHT")]
        ),
    )
    vat_block: list[Flowable] = [_caption("VAT breakdown"), breakdown]
    if invoice.vat_note:
        vat_block += [Spacer(1, 2 * mm), text(invoice.vat_note)]
        if translated := legal_note(invoice.vat_note, invoice.buyer_language):
            vat_block.append(text(translated))
    totals = Table(
        [
            ["Net", format_money(invoice.net_minor, invoice.currency)],
            ["VAT", format_money(invoice.vat_minor, invoice.currency)],
            [f"Total ({invoice.currency})", format_money(invoice.total_minor, invoice.currency)],
        ],
        colWidths=[30 * mm, 34 * mm],
        hAlign="RIGHT",
        style=TableStyle(
            [
                *layout.CELLS,
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 1, layout.INK),
                ("FONTNAME", (0, -1), (-1, -1), BOLD),
                ("FONTSIZE", (0, -1), (-1, -1), 11),
                ("TOPPADDING", (0, -1), (-1, -1), 5),
            ]
        ),
    )
    left = layout.CONTENT_WIDTH - 70 * mm
    rows: list[list[Any]] = [[vat_block, totals]]
    style: list[tuple[Any, ...]] = [
        *layout.CELLS,
        *padded((0, 0, 0, 0)),
        ("ALIGN", (1, 0), (1, 0), "RIGHT"),
    ]
    if sterling := invoice.sterling_vat_line:
        # HMRC: a VAT invoice in another currency states its VAT in sterling, with the rate.
        rows.append([text(sterling), ""])
        style += [("SPAN", (0, 1), (1, 1)), ("TOPPADDING", (0, 1), (-1, 1), 3 * mm)]
    return Table(rows, colWidths=[left, layout.CONTENT_WIDTH - left], style=TableStyle(style))


def _status_section(invoice: Invoice) -> list[Flowable]:
    lines: list[Flowable] = []
    if invoice.paid_on is not None:
        lines.append(text(f"Paid in full on {_day(invoice.paid_on)}. Thank you.", layout.HEADING))
    elif invoice.is_void:
        lines.append(text("This invoice is void: nothing is due on it.", layout.HEADING))
    for note in invoice.credit_notes.order_by("issued_on", "number"):
        amount = format_money(note.total_minor, invoice.currency)
        kind = note.get_kind_display().lower()
        lines.append(
            text(
                f"Credit note {note.number} of {_day(note.issued_on)} ({kind}, {amount}): "
                f"{note.reason}",
                layout.SMALL,
            )
        )
    return lines


def _how_to_pay(invoice: Invoice, *, pay_url: str) -> list[Flowable]:
    if not invoice.is_open:
        return []
    due_minor = invoice.due_minor  # a query: the payments received so far
    due = format_money(due_minor, invoice.currency)
    intro = f"Please pay {due} by {_day(invoice.due_on)}"
    if due_minor < invoice.total_minor:
        received = format_money(invoice.total_minor - due_minor, invoice.currency)
        intro += f" ({received} received so far)"
    online = pay_url or settings.PORTAL_BASE_URL
    link = f'<a href="{escape(online, {chr(34): "&quot;"})}" color="#0b57d0">{escape(online)}</a>'
    # Card payment exists only when the portal has Stripe keys; the page is there regardless.
    if settings.STRIPE_SECRET_KEY:
        card = f"<b>By card:</b> use the Pay by card button on your request page: {link}"
    else:
        card = f"<b>Online:</b> your request and this invoice are at {link}"
    bank = invoice.bank_details
    bank_rows = [
        ("Account name", bank.get("account_name")),
        ("Bank", bank.get("bank_name")),
        ("Sort code", bank.get("sort_code")),
        ("Account number", bank.get("account_number")),
        ("IBAN", bank.get("iban")),
        ("BIC", bank.get("bic")),
        ("Payment reference", invoice.number),
    ]
    bank_table = labelled_rows(
        [(text(label, layout.SMALL), text(str(value))) for label, value in bank_rows if value],
        label_width=36 * mm,  # "Payment reference" on one line
        width=98 * mm,
        padding=(1.5, 6, 2.5, 6),
        style=[
            ("BOX", (0, 0), (-1, -1), 0.4, layout.RULE),
            ("BACKGROUND", (0, -1), (-1, -1), layout.SHADE),
        ],
    )
    return [
        section(
            "How to pay",
            text(f"{intro}."),
            Spacer(1, 2 * mm),
            Paragraph(card, layout.BODY),
            Spacer(1, 2 * mm),
            Paragraph(
                f"<b>By bank transfer</b>, quoting {escape(invoice.number)} as the payment "
                "reference so we can match your payment:",
                layout.BODY,
            ),
            Spacer(1, 1.5 * mm),
            bank_table,
        )
    ]


def _build(
    story: list[Flowable],
    *,
    title: str,
    subject: str,
    keywords: list[str],
    seller: dict[str, Any],
    document_number: str,
    issued_on: date,
) -> bytes:
    seller_name = str(seller.get("name", ""))
    footer = " · ".join(
        part
        for part in (
            seller_name,
            _prefixed("Company number", seller.get("company_number")),
            _prefixed("VAT number", prefixed_vat_number(seller)),
        )
        if part
    )
    return build_pdf(
        story,
        title=title,
        author=seller_name,
        subject=subject,
        keywords=keywords,
        created_at=datetime.combine(issued_on, time(), tzinfo=UTC),
        footer=footer,
        page_prefix=document_number,
    )
