"""The licence PDF: a pure function of the licence, same licence, same bytes.

Text is set in DejaVu Sans (embedded) so accented Latin, Cyrillic and Arabic
print with real glyphs; Arabic is shaped and laid out right to left here,
because reportlab draws glyphs in the order it is given them.
"""

from __future__ import annotations

import io
from datetime import UTC, date
from itertools import groupby
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import zxingcpp
from arabic_reshaper import ArabicReshaper
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django_countries import countries
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    SimpleDocTemplate,
    Spacer,
)

from portal.pdf_layout import Column, Columns, KeepTogether, LabelledRows
from portal.pdf_text import (
    BOLD,
    FONT,
    INK,
    MUTED,
    RULE,
    SHADE,
    Paragraph,
    register_fonts,
    text_flowable,
)

if TYPE_CHECKING:
    from licensing.models import Licence

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
# SimpleDocTemplate's frame keeps 6 pt of padding inside the margins on each side.
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN - 2 * 6
LABEL_WIDTH = 48 * mm
QR_SIZE = 30 * mm
# Beyond this a value leaves its row: a row cannot break across pages.
LONG_VALUE_HEIGHT = 60 * mm


BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11.5, textColor=MUTED)
LABEL = ParagraphStyle("label", parent=BODY, fontName=BOLD, textColor=MUTED)
PUBLISHER = ParagraphStyle("publisher", parent=BODY, fontName=BOLD, fontSize=13, leading=17)
TITLE = ParagraphStyle(
    "title", parent=BODY, fontName=BOLD, fontSize=21, leading=26, spaceBefore=6, spaceAfter=2
)
HEADING = ParagraphStyle(
    "heading", parent=BODY, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=9, spaceAfter=4
)
SUMMARY = ParagraphStyle("summary", parent=BODY, fontName=BOLD, textColor=MUTED)
ATTRIBUTION = ParagraphStyle("attribution", parent=BODY, fontName=BOLD, fontSize=10, leading=14)


def render_licence_pdf(licence: Licence) -> bytes:
    """The licence as an A4 PDF: parties, article, scope, validity, conditions, fee, QR code.

    The legal text is English whatever language is active; one summary line
    repeats the essentials in the language the requester used.
    """
    with translation.override("en"):
        return _render(licence)


def licence_summary(licence: Licence, language: str) -> str:
    """One line in `language`: who may republish what, from when and until when."""
    with translation.override(language):
        values = {
            "number": licence.number,
            "licensee": licence.licensee_name,
            "title": licence.article_title,
            "start": date_format(licence.start_date, "j F Y"),
        }
        if licence.end_date:
            values["end"] = date_format(licence.end_date, "j F Y")
            return (
                gettext(
                    "Licence %(number)s allows %(licensee)s to republish “%(title)s” "
                    "from %(start)s until and including %(end)s."
                )
                % values
            )
        return (
            gettext(
                "Licence %(number)s allows %(licensee)s to republish “%(title)s” "
                "from %(start)s, with no end date."
            )
            % values
        )


class QRCode(Flowable):
    """A QR code (error correction M, the best of the eight masks) drawn as vector shapes,
    `size` wide with the 4-module quiet zone, so it prints and zooms sharp.

    zxing-cpp encodes it (segno, in pure Python, spent 4 ms of a licence's
    20 choosing the mask); each row's runs of dark modules are filled as one
    path, so no seams show between modules and the PDF holds no bitmap.
    """

    QUIET_ZONE = 4  # modules of blank margin the QR standard asks for

    def __init__(self, text: str, *, size: float) -> None:
        super().__init__()
        code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        image = code.to_image(scale=1, add_quiet_zones=False)
        self.modules, width = image.shape
        pixels = bytes(image)  # one byte a module, row by row from the top: 0 is dark
        self.rows = [pixels[row * width : (row + 1) * width] for row in range(self.modules)]
        self.size = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        canvas = self.canv  # drawOn saves the state before and restores it after
        # One unit a module, the origin at the code's top-left corner, y counted downwards.
        module = self.size / (self.modules + 2 * self.QUIET_ZONE)
        canvas.translate(module * self.QUIET_ZONE, self.size - module * self.QUIET_ZONE)
        canvas.scale(module, -module)
        canvas.setFillColor(colors.black)
        path = canvas.beginPath()
        for y, row in enumerate(self.rows):
            x = 0
            for dark, run in groupby(row, key=lambda value: value == 0):
                length = len(list(run))
                if dark:
                    path.rect(x, y, length, 1)
                x += length
        canvas.drawPath(path, stroke=0, fill=1)


def _render(licence: Licence) -> bytes:
    reshaper = register_fonts()
    story = _story(licence, reshaper)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=22 * mm,
        title=f"Republication licence {licence.number}",
        author=licence.publisher_name,
        subject=licence.article_title,
        creator=licence.publisher_name,
        keywords=[k for k in (licence.number, licence.invoice_number) if k],
        lang="en",
        # Otherwise every page would also reference (unembedded) Helvetica.
        initialFontName=FONT,
        # Fixed timestamp; the creation date and the document id are set from
        # the licence below, so the same licence always gives the same bytes.
        invariant=1,
    )
    issued = licence.issued_at.astimezone(UTC)
    pdf_date = f"D:{issued:%Y%m%d%H%M%S}+00'00'"
    footer = f"{licence.number} · verify at {licence.verify_url}"

    def decorate(canvas: Canvas, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, 14 * mm, PAGE_WIDTH - MARGIN, 14 * mm)
        canvas.drawString(MARGIN, 10 * mm, footer)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 10 * mm, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    def first_page(canvas: Canvas, doc: Any) -> None:
        canvas.setDateFormatter(lambda *_: pdf_date)
        # The /ID digest starts from reportlab's fixed seed; add what makes this licence unique.
        canvas._doc.updateSignature(f"{licence.number} {issued.isoformat()}")
        decorate(canvas, doc)

    doc.build(story, onFirstPage=first_page, onLaterPages=decorate)
    return buffer.getvalue()


def _story(licence: Licence, reshaper: ArabicReshaper) -> list[Flowable]:
    def text(value: str, style: ParagraphStyle = BODY) -> Flowable:
        """Plain text (never markup: "<b>" and "&" print as typed), shaped if Arabic."""
        return text_flowable(value, style, reshaper)

    def rows(pairs: list[tuple[str, str]]) -> LabelledRows:
        return LabelledRows(
            [(Paragraph(escape(label), LABEL), text(value)) for label, value in pairs],
            label_width=LABEL_WIDTH,
            padding=(3, 4, 3, 4),
            rule=RULE,
        )

    def section(heading: str, *flowables: Flowable) -> KeepTogether:
        return KeepTogether([Paragraph(escape(heading), HEADING), *flowables])

    publisher = licence.publisher_name
    extent = str(licence.get_extent_display())
    if licence.word_count:
        extent = f"{extent}, up to {licence.word_count:,} words"
    edits = licence.edits_allowed or "None"
    edits_below: list[Flowable] = []
    # Cell width: the value column less its padding.
    if text(edits).wrap(CONTENT_WIDTH - LABEL_WIDTH - 8, PAGE_HEIGHT)[1] > LONG_VALUE_HEIGHT:
        edits_below = [Spacer(1, 2 * mm), text(edits)]
        edits = "As set out below."
    conditions = [
        f"Print the attribution line below, word for word, in {_attribution_language(licence)}, "
        "with the republished article.",
        f"Link back to the original article at {licence.article_url}.",
        "Make no edits or translation beyond those approved under "
        "“Edits or translation allowed” above.",
        f"Take the republished article down promptly if {publisher} asks you to.",
        "Do not sublicense, sell or pass on the article or this licence to anyone else.",
        "Republish only within the scope and validity above; anything more needs a new licence.",
    ]
    verify_url = licence.verify_url  # reverses a URL: once, not for each use
    verification = Columns(
        [
            # The code's own quiet zone is its margin on the left.
            Column(
                QR_SIZE + 6 * mm,
                [QRCode(verify_url, size=QR_SIZE)],
                padding=(3, 6, 3, 0),
                valign="MIDDLE",
            ),
            Column(
                CONTENT_WIDTH - QR_SIZE - 6 * mm,
                [
                    Paragraph("Verify this licence", LABEL),
                    Spacer(1, 1.5 * mm),
                    Paragraph(
                        "Scan the code, or open this address, to check that the licence is "
                        "genuine and still valid:",
                        BODY,
                    ),
                    Spacer(1, 1.5 * mm),
                    Paragraph(
                        f'<a href="{escape(verify_url, {'"': "&quot;"})}">{escape(verify_url)}</a>',
                        BODY,
                    ),
                ],
                padding=(3, 6, 3, 6),
                valign="MIDDLE",
            ),
        ],
        box=(0.6, RULE),
    )
    attribution = Columns(
        [
            Column(
                CONTENT_WIDTH,
                [
                    text(licence.attribution, ATTRIBUTION),
                    Spacer(1, 2 * mm),
                    text(licence.article_url),
                ],
                padding=(7, 8, 7, 8),
                background=SHADE,
            )
        ],
        box=(0.6, RULE),
    )
    fee = [("Fee", f"{licence.fee_display} excluding VAT" if licence.fee_minor else "No fee")]
    if licence.invoice_number:
        fee.append(("Invoice", licence.invoice_number))

    return [
        text(publisher, PUBLISHER),
        Paragraph("Republication licence", TITLE),
        Paragraph(
            f"Licence number <b>{escape(licence.number)}</b> · issued on "
            f"{_day(timezone.localdate(licence.issued_at))} · request "
            f"{escape(licence.request.reference)}",
            SMALL,
        ),
        Spacer(1, 3 * mm),
        text(
            f"{publisher} (the licensor) grants {licence.licensee_name} (the licensee) a "
            "non-exclusive, non-transferable licence to republish the article below, within "
            "the scope and for the period set out in this licence."
        ),
        *_summary(licence, text),
        Spacer(1, 4 * mm),
        verification,
        section(
            "Parties",
            rows(
                [
                    ("Licensor", publisher),
                    ("Licensee", licence.licensee_name),
                    ("Contact", licence.licensee_contact),
                    ("Website", licence.licensee_website),
                    ("Country", str(countries.name(str(licence.licensee_country)))),
                ]
            ),
        ),
        section(
            "Article",
            rows(
                [
                    ("Title", licence.article_title),
                    ("Author", licence.article_author or "—"),
                    ("Original", licence.article_url),
                    (
                        "Published",
                        _day(licence.article_published_on) if licence.article_published_on else "—",
                    ),
                ]
            ),
        ),
        section(
            "Scope granted",
            rows(
                [
                    ("Medium", str(licence.get_media_display())),
                    ("Language", str(licence.get_language_display())),
                    ("Territory", licence.territory_words),
                    ("Extent", extent),
                    ("Images", "Yes" if licence.include_images else "No"),
                    ("Edits or translation allowed", edits),
                ]
            ),
            *edits_below,
        ),
        section(
            "Validity",
            rows(
                [
                    ("From", _day(licence.start_date)),
                    (
                        "Until and including" if licence.end_date else "Until",
                        _day(licence.end_date) if licence.end_date else "Perpetual",
                    ),
                ]
            ),
        ),
        section(
            "Conditions of use",
            # Numbered: the numbers in a column of their own, each beside its condition.
            LabelledRows(
                [(text(str(n)), text(condition)) for n, condition in enumerate(conditions, 1)],
                label_width=14,
            ),
        ),
        section("Attribution line", attribution),
        section("Fee and invoice", rows(fee)),
    ]


def _attribution_language(licence: Licence) -> str:
    from licensing.models import Language, attribution_language

    return str(Language(attribution_language(licence.language)).label)


def _day(day: date) -> str:
    return date_format(day, "j F Y")


def _summary(licence: Licence, text: Any) -> list[Flowable]:
    """The summary line in the requester's language; none for English, the licence's own."""
    language = licence.request.ui_language
    if language == "en":
        return []
    return [Spacer(1, 2 * mm), text(licence_summary(licence, language), SUMMARY)]
