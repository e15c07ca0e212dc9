"""portal.pdf_text: Arabic shaped and in order (in the licence and invoice PDFs, and on its own);
the summary line in the requester's language; the font folder's setting."""

import io
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from arabic_reshaper import ArabicReshaper, reshape
from bidi import get_display
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from billing.pdf import render_invoice_pdf
from licensing.models import RepublicationRequest
from licensing.pdf import render_licence_pdf
from portal.pdf import BODY
from portal.pdf_text import BidiText, plain_text, register_fonts
from tests.factories import approved_request, make_article, make_invoice, make_request

ROOT = Path(__file__).resolve().parent.parent

ARABIC_OUTLET = "صحيفة الشروق"
ARABIC_TITLE = "مقاتلون من آسيا الوسطى في سوريا ينضمون إلى جبهة النصرة"


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def shaped(text: str, *, marks: bool = False) -> str:
    # DejaVu Sans lacks a few isolated presentation forms; the base letter prints instead.
    forms = ArabicReshaper({"delete_harakat": False}).reshape(text) if marks else reshape(text)
    return "".join(
        unicodedata.normalize("NFKC", char)
        if unicodedata.decomposition(char).startswith("<isolated>")
        else char
        for char in forms
    )


def vowel_marks(text: str) -> list[str]:
    return [char for char in text if unicodedata.category(char) == "Mn"]


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
    # The language the requester wrote in, frozen on the invoice at issue.
    req = in_language(make_request(article), "fr")
    req.approve(actor=reviewer, fee_minor=25000, currency="GBP", validity_days=30)
    req.refresh_from_db()
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


def test_a_name_keeps_its_vowel_marks(article, reviewer) -> None:
    """Harakat are part of how a name is spelt: they print, and come back out of the PDF."""
    name = "مُحَمَّد عَلِيّ"
    req = make_request(article, contact_name=name)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    text = pdf_text(render_licence_pdf(req.licence))
    assert vowel_marks(text) == vowel_marks(name)  # the rest of the licence has none
    assert shaped(name, marks=True) in text or get_display(shaped(name, marks=True)) in text


# --- portal.pdf_text.BidiText on its own --------------------------------------------


def drawn_lines(flowable, width: float) -> list[str]:
    """What `flowable` draws at `width`, line by line from the top of the page down."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    flowable.wrapOn(canvas, width, 800)
    flowable.drawOn(canvas, 50, 300)
    canvas.save()
    runs: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip():
            runs.append((cm[5] + tm[5], text.strip()))

    PdfReader(buffer).pages[0].extract_text(visitor_text=visit)
    return [text for _y, text in sorted(runs, reverse=True)]


def test_arabic_is_broken_into_lines_before_each_line_is_reordered() -> None:
    """The top line holds the paragraph's first words and the bottom line its last ones;
    reordering the whole paragraph before breaking it would put them the other way up."""
    words = ARABIC_TITLE.split() * 3
    paragraph = plain_text(" ".join(words), BODY)
    assert isinstance(paragraph, BidiText)

    lines = drawn_lines(paragraph, 160)

    assert len(lines) >= 4
    first, last = shaped(words[0]), shaped(words[-1])
    assert first in lines[0] or get_display(first) in lines[0]
    assert last in lines[-1] or get_display(last) in lines[-1]
    # Every word printed once per use, none lost at a line's end.
    for word in set(words):
        form = shaped(word)
        assert sum(line.split().count(form) for line in lines) == words.count(word), word


def test_a_long_arabic_paragraph_splits_between_lines() -> None:
    register_fonts()
    paragraph = plain_text(" ".join(ARABIC_TITLE.split() * 8), BODY)
    _width, height = paragraph.wrap(160, 800)
    top, rest = paragraph.split(160, BODY.leading * 3.5)
    assert top.wrap(160, 800)[1] == 3 * BODY.leading
    assert top.wrap(160, 800)[1] + rest.wrap(160, 800)[1] == height
    assert paragraph.split(160, BODY.leading / 2) == []  # not even one line fits
    assert paragraph.split(160, height) == [paragraph]


def test_plain_text_never_breaks_at_a_non_breaking_space() -> None:
    """French keeps « guillemets » and the space before a colon on the line of their word."""
    text = (
        "La licence LIC-2026-000001 autorise Le Courrier du Sud à republier "
        "«\u00a0Inondations record\u00a0» du 3\u00a0décembre 2026, facture\u00a0: 300,00\u00a0EUR."
    )
    for width in range(150, 400, 21):  # wider than the longest unbreakable run
        lines = drawn_lines(plain_text(text, BODY), width)
        assert " ".join(lines).replace("\u00a0", " ") == text.replace("\u00a0", " "), width
        assert not any(line.startswith(("»", ":")) or line.endswith("«") for line in lines)


def test_plain_text_prints_markup_literally_and_keeps_line_breaks() -> None:
    assert drawn_lines(plain_text("<b>x</b> & Co\nLine two", BODY), 300) == [
        "<b>x</b> & Co",
        "Line two",
    ]


def font_dir(**env: str) -> str:
    """PDF_FONT_DIR as Django settings read it from this environment."""
    environ = {k: v for k, v in os.environ.items() if k not in {"PDF_FONT_DIR", "LICENCE_FONT_DIR"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.PDF_FONT_DIR)",
        ],
        cwd=ROOT,
        env={**environ, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_font_folder_setting_and_its_earlier_name() -> None:
    assert font_dir() == "/usr/share/fonts/truetype/dejavu"
    assert font_dir(PDF_FONT_DIR="/srv/fonts") == "/srv/fonts"
    assert font_dir(LICENCE_FONT_DIR="/opt/fonts") == "/opt/fonts"
    assert font_dir(PDF_FONT_DIR="/srv/fonts", LICENCE_FONT_DIR="/opt/fonts") == "/srv/fonts"
