"""portal.pdf on real pages: sections kept together, long ones broken between rows; the page."""

import io
from datetime import UTC, datetime

from pypdf import PdfReader
from reportlab.platypus import Spacer

from portal.pdf import (
    BODY,
    BOTTOM_MARGIN,
    PAGE_HEIGHT,
    TOP_MARGIN,
    build_pdf,
    labelled_rows,
    section,
    text,
)
from portal.pdf_text import register_fonts

CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def pages_of(story) -> list[str]:
    """Each page's text, the story laid out by build_pdf."""
    pdf = build_pdf(
        story,
        title="Test",
        author="Tester",
        subject="Pages",
        keywords=["test"],
        created_at=CREATED,
        footer="The footer",
        page_prefix="DOC-1",
    )
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def facts(count: int):
    register_fonts()
    return labelled_rows(
        [(text(f"Label {n}"), text(f"Value {n}")) for n in range(count)],
        label_width=100,
        padding=(3, 4, 3, 4),
    )


def test_a_section_that_does_not_fit_moves_whole_to_the_next_page() -> None:
    room = PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN
    pages = pages_of([Spacer(1, room - 60), section("Parties", facts(5))])

    assert len(pages) == 2
    assert "Parties" not in pages[0]
    assert "Parties" in pages[1] and "Value 4" in pages[1]


def test_a_section_longer_than_a_page_breaks_between_rows() -> None:
    pages = pages_of([section("Parties", facts(80))])

    assert len(pages) >= 2
    assert "Parties" in pages[0]
    text = " ".join(pages).replace("\n", " ")
    assert all(f"Label {n} Value {n}" in text for n in range(80))


def test_every_page_has_the_footer_and_its_number() -> None:
    register_fonts()
    pages = pages_of([text("Body text " * 1500, BODY)])
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert "The footer" in page
        assert f"DOC-1 · page {number}" in page
