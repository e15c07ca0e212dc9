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
