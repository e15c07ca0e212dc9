"""What the licence, invoice and credit note PDFs share: page, palette, styles and the document.

A document is a pure function of the object it prints: reportlab's invariant
mode with the creation date and the metadata taken from the object, so the
same object always gives the same bytes (a stored copy can be rendered
again, compared and hashed) and two objects never share a document id.
Layout is platypus's own: Paragraph, Table and KeepTogether.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Table,
    TableStyle,
)

from portal.pdf_text import BOLD, FONT, display_line, plain_text

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
TOP_MARGIN = 16 * mm
BOTTOM_MARGIN = 22 * mm
# The frame has no padding: tables span exactly the width between the margins.
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

# The house palette.
INK = colors.HexColor("#1f2328")
MUTED = colors.HexColor("#59636e")
RULE = colors.HexColor("#c9d1d9")
SHADE = colors.HexColor("#f3f5f7")

BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11.5, textColor=MUTED)
SUMMARY = ParagraphStyle("summary", parent=BODY, fontName=BOLD, textColor=MUTED)
HEADING = ParagraphStyle(
    "heading", parent=BODY, fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=9, spaceAfter=4
)

# Every cell in DejaVu, or a table's text cells would also reference (unembedded) Helvetica.
CELLS = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
]

Padding = tuple[float, float, float, float]  # top, right, bottom, left, as CSS has them
Cell = tuple[int, int]  # column, row, as platypus has them


def padded(padding: Padding, start: Cell = (0, 0), stop: Cell = (-1, -1)) -> list[tuple[Any, ...]]:
    """Table style commands giving the cells from `start` to `stop` this padding."""
    top, right, bottom, left = padding
    return [
        ("TOPPADDING", start, stop, top),
        ("RIGHTPADDING", start, stop, right),
        ("BOTTOMPADDING", start, stop, bottom),
        ("LEFTPADDING", start, stop, left),
    ]


def text(value: str, style: ParagraphStyle = BODY) -> Flowable:
    """`value` printed as typed (never markup), shaped and laid out right to left if Arabic."""
    return plain_text(value, style)


def labelled_rows(
    rows: Sequence[tuple[Flowable, Flowable]],
    *,
    label_width: float,
    width: float = CONTENT_WIDTH,
    padding: Padding = (0, 0, 0, 0),
    style: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """Labels and their values in two columns, top-aligned, left-aligned on the page when
    narrower than it; it breaks across pages between rows."""
    return Table(
        [list(row) for row in rows],
        colWidths=[label_width, width - label_width],
        hAlign="LEFT",
        style=TableStyle([*CELLS, *padded(padding), *style]),
    )


def section(heading: str, *flowables: Flowable, style: ParagraphStyle = HEADING) -> KeepTogether:
    """A heading and what it heads, moved to the next page whole when it does not fit."""
    return KeepTogether([text(heading, style), *flowables])


def build_pdf(
    story: list[Flowable],
    *,
    title: str,
    author: str,
    subject: str,
    keywords: Sequence[str],
    created_at: datetime,
    footer: str,
    page_prefix: str = "",
) -> bytes:
    """The story on A4 pages, each with `footer` and its page number at the foot.

    The story's paragraphs were made after register_fonts(): reportlab looks
    up a style's font as it reads a paragraph's text.

    The PDF's creation date is `created_at`, and its id is reportlab's digest
    of the title, author, subject and keywords: give keywords that identify
    the object (its number, its UUID).
    """
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=author,
        subject=subject,
        creator=author,
        keywords=list(keywords),
        lang="en",
        # Otherwise every page would also reference (unembedded) Helvetica.
        initialFontName=FONT,
        # A fixed timestamp (replaced by created_at below) and an id hashed from
        # the metadata: same object, same bytes.
        invariant=1,
    )
    pdf_date = f"D:{created_at.astimezone(UTC):%Y%m%d%H%M%S}+00'00'"
    footer_line = display_line(footer)

    def decorate(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        canvas.setDateFormatter(lambda *_: pdf_date)
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, 14 * mm, PAGE_WIDTH - MARGIN, 14 * mm)
        canvas.drawString(MARGIN, 10 * mm, footer_line)
        page = f"page {canvas.getPageNumber()}"
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, 10 * mm, f"{page_prefix} · {page}" if page_prefix else page
        )
        canvas.restoreState()

    frame = Frame(
        MARGIN,
        BOTTOM_MARGIN,
        CONTENT_WIDTH,
        PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    doc.build(story)
    return buffer.getvalue()
