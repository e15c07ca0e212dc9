"""portal.pdf_layout on real pages: sections kept together, rows broken between pages."""

import io

import pytest
from pypdf import PdfReader


@pytest.fixture
def fonts() -> None:
    """DejaVu Sans registered with reportlab, as the renderers do before building anything."""
    from portal.pdf_text import register_fonts

    register_fonts()


def pages_of(story) -> list[str]:
    """Each page's text, the story laid out on A4 by platypus."""
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, invariant=1).build(story)
    return [page.extract_text() for page in PdfReader(buffer).pages]


def facts(count: int):
    from billing.pdf import BODY
    from portal.pdf_layout import LabelledRows
    from portal.pdf_text import PlainText

    return LabelledRows(
        [(PlainText(f"Label {n}", BODY), PlainText(f"Value {n}", BODY)) for n in range(count)],
        label_width=100,
        padding=(3, 4, 3, 4),
    )


def test_a_section_that_does_not_fit_moves_whole_to_the_next_page(fonts) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Spacer

    from billing.pdf import HEADING
    from portal.pdf_layout import KeepTogether
    from portal.pdf_text import Paragraph

    room = A4[1] - 2 * 72 - 12  # the default frame's height
    pages = pages_of(
        [Spacer(1, room - 60), KeepTogether([Paragraph("Parties", HEADING), facts(5)])]
    )

    assert len(pages) == 2
    assert "Parties" not in pages[0]
    assert "Parties" in pages[1] and "Value 4" in pages[1]


def test_a_section_longer_than_a_page_breaks_between_rows(fonts) -> None:
    from billing.pdf import HEADING
    from portal.pdf_layout import KeepTogether
    from portal.pdf_text import Paragraph

    pages = pages_of([KeepTogether([Paragraph("Parties", HEADING), facts(80)])])

    assert len(pages) >= 2
    assert "Parties" in pages[0]
    text = " ".join(pages)
    assert all(f"Label {n} Value {n}" in text.replace("\n", " ") for n in range(80))


def starts(pdf: bytes) -> dict[str, tuple[float, float]]:
    """Where each run of text starts on page one: (x, y) in points."""
    found: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font, size) -> None:
        if text.strip():
            found.setdefault(text.strip(), (cm[4] + tm[4], cm[5] + tm[5]))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def test_columns_stand_side_by_side_as_tall_as_the_tallest(fonts) -> None:
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Table

    from billing.pdf import BODY
    from portal.pdf_layout import Column, Columns
    from portal.pdf_text import FONT, PlainText

    narrow = Table([["Right"]], colWidths=[60], style=[("FONT", (0, 0), (-1, -1), FONT, 9)])
    row = Columns(
        [
            Column(200, [PlainText(f"Left {n}", BODY) for n in range(3)], padding=(6, 6, 8, 0)),
            Column(150, [PlainText("Middle", BODY)], padding=(6, 6, 8, 8), valign="MIDDLE"),
            Column(100, [narrow], align="RIGHT"),
        ],
        rule_below=(1, BODY.textColor),
    )
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    width, height = row.wrapOn(canvas, 450, 800)
    assert (width, height) == (450, 6 + 3 * BODY.leading + 8)
    row.drawOn(canvas, 50, 500)
    canvas.save()
    at = starts(buffer.getvalue())

    assert at["Left 0"][0] == 50 and at["Left 0"][1] > at["Left 2"][1]
    assert at["Middle"][0] == 50 + 200 + 8
    # Centred on the tallest column: level with "Left 1", the middle of three lines.
    assert at["Middle"][1] == pytest.approx(at["Left 1"][1])
    # Right-aligned: the 60 pt table ends at the row's right edge (its cell pads 6 pt).
    assert at["Right"][0] == pytest.approx(50 + 450 - 60 + 6)
