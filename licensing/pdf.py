"""The licence PDF: a pure function of the licence, same licence, same bytes.

Text is set in DejaVu Sans (embedded) so accented Latin, Cyrillic and Arabic
print with real glyphs; portal.pdf_text shapes Arabic and lays it out right
to left.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import zxingcpp
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_countries import countries
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from portal import pdf as layout
from portal.formats import format_day
from portal.pdf import build_pdf, labelled_rows, padded, section, text
from portal.pdf_text import BOLD, register_fonts

if TYPE_CHECKING:
    from licensing.models import Licence

LABEL_WIDTH = 48 * mm
QR_SIZE = 30 * mm
# Beyond this a value leaves its row: a table row cannot break across pages.
LONG_VALUE_HEIGHT = 60 * mm
ROW_PADDING = (3, 4, 3, 4)

LABEL = ParagraphStyle("label", parent=layout.BODY, fontName=BOLD, textColor=layout.MUTED)
PUBLISHER = ParagraphStyle("publisher", parent=layout.BODY, fontName=BOLD, fontSize=13, leading=17)
TITLE = ParagraphStyle(
    "title", parent=layout.BODY, fontName=BOLD, fontSize=21, leading=26, spaceBefore=6, spaceAfter=2
)
ATTRIBUTION = ParagraphStyle(
    "attribution", parent=layout.BODY, fontName=BOLD, fontSize=10, leading=14
)


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
            "start": format_day(licence.start_date),
        }
        if licence.end_date:
            values["end"] = format_day(licence.end_date)
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

    zxing-cpp encodes it, choosing the mask as the QR standard asks; each
    row's runs of dark modules are filled as one path, so no seams show
    between modules and the PDF holds no bitmap.
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
    register_fonts()  # before any paragraph: reportlab looks up its style's font as it reads it
    return build_pdf(
        _story(licence),
        title=f"Republication licence {licence.number}",
        author=licence.publisher_name,
        subject=licence.article_title,
        keywords=[k for k in (licence.number, licence.invoice_number, str(licence.uuid)) if k],
        created_at=licence.issued_at,
        footer=f"{licence.number} · verify at {licence.verify_url}",
    )


def _rows(pairs: list[tuple[str, str]]) -> Table:
    """A section's facts: a label beside each value, ruled under each row."""
    return labelled_rows(
        [(Paragraph(escape(label), LABEL), text(value)) for label, value in pairs],
        label_width=LABEL_WIDTH,
        padding=ROW_PADDING,
        style=[("LINEBELOW", (0, 0), (-1, -1), 0.4, layout.RULE)],
    )


def _verification(verify_url: str) -> Table:
    """The QR code beside the address it encodes, boxed."""
    # quoteattr, not an f-string nesting quotes: xgettext cannot read those and
    # would skip every translatable string below this line.
    link = f"<a href={quoteattr(verify_url)}>{escape(verify_url)}</a>"
    words = [
        Paragraph("Verify this licence", LABEL),
        Spacer(1, 1.5 * mm),
        Paragraph(
            "Scan the code, or open this address, to check that the licence is "
            "genuine and still valid:",
            layout.BODY,
        ),
        Spacer(1, 1.5 * mm),
        Paragraph(link, layout.BODY),
    ]
    return Table(
        [[QRCode(verify_url, size=QR_SIZE), words]],
        colWidths=[QR_SIZE + 6 * mm, layout.CONTENT_WIDTH - QR_SIZE - 6 * mm],
        style=TableStyle(
            [
                *layout.CELLS,
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                # The code's own quiet zone is its margin on the left.
                *padded((3, 6, 3, 0), (0, 0), (0, 0)),
                *padded((3, 6, 3, 6), (1, 0), (1, 0)),
                ("BOX", (0, 0), (-1, -1), 0.6, layout.RULE),
            ]
        ),
    )


def _attribution(licence: Licence) -> Table:
    """The line to print with the republished article, in a shaded box."""
    return Table(
        [[[text(licence.attribution, ATTRIBUTION), Spacer(1, 2 * mm), text(licence.article_url)]]],
        colWidths=[layout.CONTENT_WIDTH],
        style=TableStyle(
            [
                *layout.CELLS,
                *padded((7, 8, 7, 8)),
                ("BACKGROUND", (0, 0), (-1, -1), layout.SHADE),
                ("BOX", (0, 0), (-1, -1), 0.6, layout.RULE),
            ]
        ),
    )


def _story(licence: Licence) -> list[Flowable]:
    publisher = licence.publisher_name
    extent = str(licence.get_extent_display())
    if licence.word_count:
        extent = f"{extent}, up to {licence.word_count:,} words"
    edits = licence.edits_allowed or "None"
    edits_below: list[Flowable] = []
    # Measured at the value column's width, less its padding.
    value_width = layout.CONTENT_WIDTH - LABEL_WIDTH - ROW_PADDING[1] - ROW_PADDING[3]
    if text(edits).wrap(value_width, layout.PAGE_HEIGHT)[1] > LONG_VALUE_HEIGHT:
        edits_below = [Spacer(1, 2 * mm), text(edits)]
        edits = "As set out below."
    conditions = [
        f"Print the attribution line below, word for word, in {licence.attribution_language_name}, "
        "with the republished article.",
        f"Link back to the original article at {licence.article_url}.",
        "Make no edits or translation beyond those approved under "
        "“Edits or translation allowed” above.",
        f"Take the republished article down promptly if {publisher} asks you to.",
        "Do not sublicense, sell or pass on the article or this licence to anyone else.",
        "Republish only within the scope and validity above; anything more needs a new licence.",
    ]
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
            layout.SMALL,
        ),
        Spacer(1, 3 * mm),
        text(
            f"{publisher} (the licensor) grants {licence.licensee_name} (the licensee) a "
            "non-exclusive, non-transferable licence to republish the article below, within "
            "the scope and for the period set out in this licence."
        ),
        *_summary(licence),
        Spacer(1, 4 * mm),
        _verification(licence.verify_url),
        section(
            "Parties",
            _rows(
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
            _rows(
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
            _rows(
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
            _rows(
                [
                    ("From", _day(licence.start_date)),
                    (
                        "Until and including" if licence.end_date else "Until",
                        _day(licence.end_date) if licence.end_date else "Perpetual",
                    ),
                    *_renewal_rows(licence),
                ]
            ),
        ),
        section(
            "Conditions of use",
            # Numbered: the numbers in a column of their own, each beside its condition.
            labelled_rows(
                [(text(str(n)), text(condition)) for n, condition in enumerate(conditions, 1)],
                label_width=14,
            ),
        ),
        section("Attribution line", _attribution(licence)),
        section("Fee and invoice", _rows(fee)),
    ]


def _day(day: date) -> str:
    return format_day(day)


def _summary(licence: Licence) -> list[Flowable]:
    """The summary line in the requester's language; none for English, the licence's own."""
    language = licence.request.ui_language
    if language == "en":
        return []
    return [Spacer(1, 2 * mm), text(licence_summary(licence, language), layout.SUMMARY)]


def _renewal_rows(licence: Licence) -> list[tuple[str, str]]:
    """For a renewal, the licence it renews (which ended, or ends, the day before)."""
    renewed = licence.request.renews
    if renewed is None:
        return []
    ended = f", until and including {_day(renewed.end_date)}" if renewed.end_date else ""
    return [("Renews", f"Licence {renewed.number}{ended}")]
