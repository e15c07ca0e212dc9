"""portal.pdf_text in the licence and invoice PDFs: Arabic shaped, in order; a summary line."""

import io
import unicodedata

import pytest
from arabic_reshaper import reshape
from bidi import get_display
from pypdf import PdfReader

from billing.pdf import render_invoice_pdf
from licensing.models import RepublicationRequest
from licensing.pdf import render_licence_pdf
from tests.factories import approved_request, make_article, make_invoice, make_request

ARABIC_OUTLET = "صحيفة الشروق"
ARABIC_TITLE = "مقاتلون من آسيا الوسطى في سوريا ينضمون إلى جبهة النصرة"


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def shaped(text: str) -> str:
    # DejaVu Sans lacks a few isolated presentation forms; the base letter prints instead.
    return "".join(
        unicodedata.normalize("NFKC", char)
        if unicodedata.decomposition(char).startswith("<isolated>")
        else char
        for char in reshape(text)
    )


def reads_in_order(text: str, arabic: str) -> bool:
    """Each word shaped, and the words in reading order (pypdf gives RTL runs either way)."""
    words = [shaped(word) for word in arabic.split()]
    if not all(word in text for word in words):
        return False
    positions = [text.index(word) for word in words]
    return positions == sorted(positions) or positions == sorted(positions, reverse=True)


def in_language(req: RepublicationRequest, language: str) -> RepublicationRequest:
    RepublicationRequest.objects.filter(pk=req.pk).update(ui_language=language)
    req.refresh_from_db()
    return req


def test_invoice_prints_an_arabic_buyer_shaped_and_in_order(db) -> None:
    invoice = make_invoice(name=ARABIC_OUTLET, reference="RR-2026-00009")
    text = pdf_text(render_invoice_pdf(invoice))
    assert ARABIC_OUTLET not in text  # not the letters as typed, unjoined
    assert shaped(ARABIC_OUTLET) in text or get_display(shaped(ARABIC_OUTLET)) in text
    assert reads_in_order(text, ARABIC_OUTLET)


def test_invoice_embeds_dejavu_and_no_helvetica(db) -> None:
    pdf = render_invoice_pdf(make_invoice(name=ARABIC_OUTLET))
    assert b"DejaVuSans" in pdf
    assert b"/BaseFont /Helvetica" not in pdf


def test_invoice_summary_in_the_requesters_language(article, reviewer) -> None:
    invoice = approved_request(article, actor=reviewer).invoice
    english = pdf_text(render_invoice_pdf(invoice))
    french = pdf_text(render_invoice_pdf(invoice, language="fr"))
    arabic = pdf_text(render_invoice_pdf(invoice, language="ar"))
    assert "Facture" not in english
    assert f"Facture {invoice.number} pour la demande {invoice.reference}" in french
    assert reads_in_order(arabic, "الفاتورة للطلب")
    # Everything else stays English, the legal text.
    for text in (french, arabic):
        assert "BILL TO" in text
        assert "How to pay" in text


def test_invoice_download_carries_the_requesters_summary(client, article, reviewer) -> None:
    req = in_language(approved_request(article, actor=reviewer), "fr")
    client.force_login(req.requester)
    response = client.get(f"/billing/invoices/{req.invoice.uuid}/pdf")
    assert response.status_code == 200
    assert "pour la demande" in pdf_text(response.content)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_licence_stays_english_with_a_summary_line(reviewer, language) -> None:
    article = make_article(title=ARABIC_TITLE, language="ar", slug="fighters-ar")
    req = in_language(make_request(article, outlet_name=ARABIC_OUTLET), language)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    text = pdf_text(render_licence_pdf(req.licence))
    assert "Republication licence" in text
    assert "Scope granted" in text
    assert reads_in_order(text, ARABIC_TITLE)
    assert reads_in_order(text, ARABIC_OUTLET)
    if language == "fr":
        assert f"La licence {req.licence.number} autorise" in text
    else:
        assert reads_in_order(text, "يسمح الترخيص")


def test_english_requester_gets_no_summary_line(article, reviewer) -> None:
    req = make_request(article)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    assert "allows" not in pdf_text(render_licence_pdf(req.licence))


def test_licence_is_english_even_when_rendered_in_an_arabic_request(
    client, article, reviewer
) -> None:
    req = in_language(make_request(article), "ar")
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    client.cookies["django_language"] = "ar"
    client.force_login(req.requester)
    response = client.get(f"/licences/{req.licence.uuid}/pdf")
    text = pdf_text(response.content)
    assert "Website or app" in text  # the medium, not its Arabic label
    assert reads_in_order(text, "يسمح الترخيص")


# --- portal.pdf_text.Paragraph: reportlab's Paragraph, parsed and broken once ---------------

PARAGRAPH_TEXTS = [
    "Licence number <b>LIC-2026-000001</b> · issued on 26 November 2026",
    "Make no edits or translation beyond those approved under “Edits” above. " * 6,
    'Pay at <a href="https://portal.example/pay">https://portal.example/pay</a> today.',
    "One line<br/>and another, after a break",
]


def drawn(paragraph_class, text: str, widths: list[float]) -> bytes:
    """The page content a paragraph draws after being wrapped at each of `widths` in turn."""
    from reportlab.pdfgen.canvas import Canvas

    from billing.pdf import BODY
    from portal.pdf_text import register_fonts

    register_fonts()
    canvas = Canvas(io.BytesIO(), invariant=1)
    paragraph = paragraph_class(text, BODY)
    for width in widths:
        paragraph.wrapOn(canvas, width, 800)
    paragraph.drawOn(canvas, 50, 500)
    return canvas.getpdfdata()


@pytest.mark.parametrize("text", PARAGRAPH_TEXTS)
@pytest.mark.parametrize("widths", [[400], [400, 400, 400], [400, 120, 400], [400, 120]])
def test_our_paragraph_draws_what_reportlabs_draws(text, widths) -> None:
    from reportlab.platypus import Paragraph as ReportlabParagraph

    from portal.pdf_text import Paragraph

    assert drawn(Paragraph, text, widths) == drawn(ReportlabParagraph, text, widths)


def test_paragraphs_of_the_same_text_do_not_share_their_parts() -> None:
    from billing.pdf import BODY
    from portal.pdf_text import Paragraph

    first, second = Paragraph(PARAGRAPH_TEXTS[0], BODY), Paragraph(PARAGRAPH_TEXTS[0], BODY)
    first.wrap(60, 800)  # narrow: breaking marks the frags
    second.wrap(400, 800)

    assert first.frags is not second.frags
    assert not set(map(id, first.frags)) & set(map(id, second.frags))
    assert len(first.blPara.lines) > len(second.blPara.lines) == 1


def test_a_paragraph_that_could_not_start_is_laid_out_again() -> None:
    """split() drops the lines when too little room is left; the next wrap must break them again."""
    from billing.pdf import BODY
    from portal.pdf_text import Paragraph

    paragraph = Paragraph(PARAGRAPH_TEXTS[1], BODY)
    width, height = paragraph.wrap(300, 800)
    assert paragraph.split(300, BODY.leading * 1.5) == []  # room for one line: an orphan
    assert paragraph.wrap(300, 800) == (width, height)
    assert paragraph.blPara.lines


# --- portal.pdf_text.PlainText: one style, no markup, one text object -------------------


def plain(text: str, width: float, **kwargs):
    from billing.pdf import BODY
    from portal.pdf_text import PlainText, register_fonts

    register_fonts()
    flowable = PlainText(text, BODY, **kwargs)
    flowable.wrap(width, 800)
    return flowable


def test_plain_text_breaks_at_spaces_within_the_width() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from billing.pdf import BODY

    text = "Make no edits or translation beyond those approved under the licence above. " * 4
    flowable = plain(text, 200)

    assert len(flowable.lines) > 3
    assert " ".join(flowable.lines) == " ".join(text.split())
    assert all(stringWidth(line, BODY.fontName, BODY.fontSize) <= 200 for line in flowable.lines)
    assert flowable.height == len(flowable.lines) * BODY.leading


def test_plain_text_keeps_line_breaks_and_breaks_words_longer_than_a_line() -> None:
    url = "https://news.example.org/" + "very-long-path-segment-" * 6
    flowable = plain(f"First line\n\n{url}", 150)

    assert flowable.lines[:2] == ["First line", ""]
    assert len(flowable.lines) > 3  # the address over several lines
    assert "".join(flowable.lines[2:]) == url


def test_plain_text_splits_between_lines_and_leaves_no_orphan() -> None:
    from billing.pdf import BODY

    flowable = plain("word " * 200, 200)
    lines = len(flowable.lines)

    first, rest = flowable.split(200, BODY.leading * 5.5)
    assert first.wrap(200, 800)[1] == 5 * BODY.leading
    rest.wrap(200, 800)
    assert first.lines + rest.lines == flowable.lines
    assert len(flowable.lines) == lines
    assert flowable.split(200, BODY.leading * 1.5) == []  # one line alone at the foot: none
    assert flowable.split(200, BODY.leading * (lines + 1)) == [flowable]


def test_plain_text_refuses_a_style_it_would_not_honour() -> None:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    from billing.pdf import BODY
    from portal.pdf_text import PlainText

    for style in (
        ParagraphStyle("centred", parent=BODY, alignment=TA_CENTER),
        ParagraphStyle("indented", parent=BODY, leftIndent=12),
    ):
        with pytest.raises(ValueError, match=style.name):
            PlainText("text", style)


def test_plain_text_never_breaks_at_a_non_breaking_space() -> None:
    """French keeps « guillemets » and the space before a colon on the line of their word."""
    text = (
        "La licence LIC-2026-000001 autorise Le Courrier du Sud à republier "
        "«\u00a0Inondations record\u00a0» du 3\u00a0décembre 2026, facture\u00a0: 300,00\u00a0EUR."
    )
    for width in range(150, 400, 7):  # wider than the longest unbreakable run
        lines = plain(text, width).lines
        assert " ".join(lines) == " ".join(text.split(" ")), width  # nothing lost or added
        assert not any(line.startswith(("»", ":")) or line.endswith("«") for line in lines)


def test_empty_plain_text_takes_no_room() -> None:
    assert plain("", 200).height == 0
    assert plain("One\n\nThree", 200).lines == ["One", "", "Three"]


HARAKAT_NAME = "مُحَمَّد الشَّرِيف"


@pytest.mark.parametrize("kind", ["invoice", "licence"])
def test_arabic_vowel_marks_are_kept_in_the_pdfs(article, kind) -> None:
    """A name prints as typed: its harakat (damma, fatha, shadda, kasra) are not dropped."""
    if kind == "invoice":
        pdf = render_invoice_pdf(make_invoice(name=HARAKAT_NAME))
    else:
        req = make_request(article, outlet_name=HARAKAT_NAME)
        req.approve(actor=None, fee_minor=0, currency="GBP", validity_days=30)
        pdf = render_licence_pdf(req.licence)
    text = pdf_text(pdf)
    marks = [char for char in HARAKAT_NAME if unicodedata.category(char) == "Mn"]
    assert len(marks) == 7
    for mark in set(marks):
        assert text.count(mark) >= marks.count(mark), unicodedata.name(mark)
