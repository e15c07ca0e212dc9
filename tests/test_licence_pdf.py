"""The licence PDF (licensing.pdf), rendered for licences issued through the real flow and
read back with pypdf: text, embedded font, Arabic shaping, QR code, determinism."""

import io
import unicodedata
from datetime import UTC

import pypdfium2
import pytest
import zxingcpp
from arabic_reshaper import reshape
from bidi import get_display
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.formats import date_format
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from licensing.models import Licence
from licensing.odrl import licence_policy_json
from licensing.pdf import render_licence_pdf
from licensing.signing import finish_licence_pdf
from tests.factories import make_article, make_request

ARABIC_OUTLET = "صحيفة الشرق"


def licensed(article, reviewer, **form) -> Licence:
    """A licence issued by approving a request at a zero fee."""
    req = make_request(article, **form)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    return req.licence


def pdf_text(pdf: bytes) -> str:
    """All pages' text with line breaks and runs of spaces as single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def day(value) -> str:
    return date_format(value, "j F Y")


def test_licence_prints_parties_article_scope_validity_and_conditions(article, reviewer) -> None:
    licence = licensed(
        article,
        reviewer,
        media="print",
        language="fr",
        territory="europe",
        extent="excerpt",
        word_count="150",
        include_images=None,
        edits="Translate into French; shorten the headline.",
        duration="perpetual",
    )
    pdf = render_licence_pdf(licence)
    text = pdf_text(pdf)

    assert len(PdfReader(io.BytesIO(pdf)).pages) in {1, 2}
    for expected in [
        "Middle East Eye",
        "Republication licence",
        licence.number,
        licence.request.reference,
        # Parties: the licensor and the licensee with its contact, website and country.
        "Licensor Middle East Eye",
        "Licensee The Daily Example",
        "Contact Amira Haddad",
        "Website https://daily.example",
        "Country United Kingdom",
        # The article.
        "Central Asian fighters in Syria join al-Nusra Front",
        "Author Test Author",
        article.canonical_url,
        f"Published {day(licence.article_published_on)}",
        # The scope, in words.
        "Medium Print",
        "Language French",
        "Territory Europe",
        "Extent Excerpt, up to 150 words",
        "Images No",
        "Translate into French; shorten the headline.",
        # Validity.
        f"From {day(licence.start_date)}",
        "Until Perpetual",
        # Conditions of use.
        "Print the attribution line below, word for word",
        f"Link back to the original article at {article.canonical_url}",
        "Make no edits or translation beyond those approved",
        "Take the republished article down promptly if Middle East Eye asks you to",
        "Do not sublicense",
        # The attribution line exactly, the verification address, the fee.
        licence.attribution,
        licence.verify_url,
        "Fee No fee",
    ]:
        assert expected in text, expected
    assert "Invoice" not in text


def test_no_edits_approved_prints_none_and_an_end_date(article, reviewer) -> None:
    licence = licensed(article, reviewer, edits="", duration="1y", include_images="on")
    text = pdf_text(render_licence_pdf(licence))
    assert "Edits or translation allowed None" in text
    assert "Images Yes" in text
    assert "Extent Full text" in text
    assert f"Until and including {day(licence.end_date)}" in text
    assert "Perpetual" not in text


def test_paid_licence_prints_fee_and_invoice_number(
    article, reviewer, settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    settings.MEDIA_ROOT = tmp_path  # delivery stores the PDF on commit
    req = make_request(article)
    req.approve(actor=reviewer, fee_minor=15000, currency="GBP", validity_days=30)
    with django_capture_on_commit_callbacks(execute=True):
        req.invoice.record_payment(
            method="bank_transfer",
            amount_minor=req.invoice.total_minor,
            currency="GBP",
            received_on=timezone.localdate(),
        )
    req.refresh_from_db()
    licence = req.licence

    text = pdf_text(render_licence_pdf(licence))
    assert licence.invoice_number == req.invoice.number
    assert "Fee 150.00 GBP excluding VAT" in text
    assert f"Invoice {req.invoice.number}" in text
    assert "No fee" not in text
    licence.refresh_from_db()
    # The stored copy the task made is that document with its ODRL policy attached
    # (and signed when configured): the same pages, and the same bytes each time.
    stored = licence.pdf_bytes()
    assert pdf_text(stored) == text
    assert (
        stored
        == finish_licence_pdf(
            render_licence_pdf(licence),
            policy_json=licence_policy_json(licence),
            signer_name=licence.publisher_name,
            verify_url=licence.verify_url,
        ).data
    )


def test_same_licence_same_bytes_with_date_and_id_from_the_licence(article, reviewer) -> None:
    first = licensed(article, reviewer)
    second = licensed(make_article(), reviewer)

    pdf = render_licence_pdf(first)
    assert render_licence_pdf(first) == pdf
    assert first.render_pdf() == pdf

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.creation_date == first.issued_at.astimezone(UTC).replace(microsecond=0)
    assert reader.metadata.title == f"Republication licence {first.number}"
    other = PdfReader(io.BytesIO(render_licence_pdf(second)))
    assert reader.trailer["/ID"] != other.trailer["/ID"]


def test_embeds_dejavu_sans_and_no_other_font(article, reviewer) -> None:
    reader = PdfReader(io.BytesIO(render_licence_pdf(licensed(article, reviewer))))
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        fonts = [font.get_object() for font in resources["/Font"].get_object().values()]
        names = {tuple(str(font["/BaseFont"]).split("+", 1)) for font in fonts}
        # Subsets: a six-letter tag, then the font's own name.
        assert {name for _tag, name in names} == {"DejaVuSans", "DejaVuSans-Bold"}
        assert all(len(tag) == 7 and tag[1:].isupper() for tag, _name in names)
        assert all("/FontFile2" in font["/FontDescriptor"] for font in fonts)


def test_embedded_fonts_keep_the_copyright_and_licence_address(article, reviewer) -> None:
    """Each embedded subset names its copyright and where its licence is."""
    reader = PdfReader(io.BytesIO(render_licence_pdf(licensed(article, reviewer))))
    resources = reader.pages[0]["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    fonts = [font.get_object() for font in resources["/Font"].get_object().values()]
    assert len(fonts) == 2
    for font in fonts:
        embedded = font["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        names = TTFont(io.BytesIO(embedded))["name"]
        assert "Bitstream" in str(names.getDebugName(0))  # copyright
        assert "dejavu" in str(names.getDebugName(14)).lower()  # the licence's address
        assert str(names.getDebugName(1)) == "DejaVu Sans"


def test_only_the_glyphs_drawn_are_embedded(article, reviewer) -> None:
    """Not reportlab's "ASCII readable" subsets, which carry all 95 printable ASCII glyphs."""
    pdf = render_licence_pdf(licensed(article, reviewer))
    resources = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    for font in (font.get_object() for font in resources["/Font"].get_object().values()):
        embedded = font["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        glyphs = TTFont(io.BytesIO(embedded))["maxp"].numGlyphs
        # .notdef and the characters the licence draws: fewer than ASCII's 95 in either weight.
        assert glyphs < 95
        assert len(font["/Widths"]) < 95


def test_accented_and_cyrillic_names_come_back_as_typed(reviewer) -> None:
    article = make_article(
        title="Ça reste über-compliqué: Écrivains à Zürich", author="Łukasz Żółw"
    )
    licence = licensed(
        article, reviewer, outlet_name="Газета «Правда»", contact_name="Élodie Façade-Müller"
    )
    text = pdf_text(render_licence_pdf(licence))
    for name in [
        "Ça reste über-compliqué: Écrivains à Zürich",
        "Łukasz Żółw",
        "Газета «Правда»",
        "Élodie Façade-Müller",
    ]:
        assert name in text, name


def _isolated_as_base_letter(shaped: str) -> str:
    # DejaVu Sans lacks the isolated presentation forms of a few letters, so the
    # renderer prints the base letter there (the font draws it the same).
    return "".join(
        unicodedata.normalize("NFKC", char)
        if unicodedata.decomposition(char).startswith("<isolated>")
        else char
        for char in shaped
    )


def test_arabic_outlet_name_is_shaped_and_right_aligned(article, reviewer) -> None:
    licence = licensed(article, reviewer, outlet_name=ARABIC_OUTLET)
    pdf = render_licence_pdf(licence)
    text = pdf_text(pdf)

    shaped = _isolated_as_base_letter(reshape(ARABIC_OUTLET))
    assert shaped != ARABIC_OUTLET  # joined letter forms, not the letters as typed
    # pypdf gives right-to-left runs back in reading order; the page holds them in display order.
    assert shaped in text or get_display(shaped) in text
    assert ARABIC_OUTLET not in text

    # Right-aligned: the name's run starts in the right half of the page, unlike the
    # left-aligned Latin values of the same column.
    starts: dict[str, float] = {}

    def visit(run, cm, tm, font, size) -> None:
        if run.strip():
            starts.setdefault(run.strip(), cm[4] + tm[4])

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    page_width = 595.27
    arabic_x = next(x for run, x in starts.items() if run in {shaped, get_display(shaped)})
    assert arabic_x > page_width / 2
    assert starts["Amira Haddad"] < page_width / 2


def test_long_arabic_title_wraps_in_reading_order(reviewer) -> None:
    title = (
        "مقاتلون من آسيا الوسطى في سوريا ينضمون إلى جبهة النصرة بعد سنوات من القتال "
        "في صفوف تنظيمات أخرى في شمال البلاد وفق مصادر محلية متعددة"
    )
    licence = licensed(make_article(title=title), reviewer)
    text = pdf_text(render_licence_pdf(licence))
    first, last = (_isolated_as_base_letter(reshape(word)) for word in ("مقاتلون", "متعددة"))
    # The top line holds the title's first words, the next line its last ones.
    assert text.index(first) < text.index(last)


@pytest.mark.parametrize(
    "sentence", ["Shorten paragraph two and the headline. ", "اختصار الفقرة الثانية والعنوان "]
)
def test_longest_edits_continue_on_the_next_page(article, reviewer, sentence) -> None:
    edits = (sentence * 200)[:5000].strip()  # the form's limit
    licence = licensed(article, reviewer, edits=edits, outlet_name="O" * 200)
    pdf = render_licence_pdf(licence)
    text = pdf_text(pdf)

    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    assert "Edits or translation allowed As set out below." in text
    # Every sentence printed (page footers come between them in the text).
    word = sentence.split()[0]
    assert text.count(_isolated_as_base_letter(reshape(word))) == edits.count(word)
    assert licence.attribution in text  # everything after the edits still prints


def test_qr_code_on_page_one_decodes_to_the_verification_url(article, reviewer) -> None:
    """Page one as a browser's PDF viewer draws it (PDFium, at 150 dpi), read by a QR reader."""
    licence = licensed(article, reviewer)
    pdf = render_licence_pdf(licence)
    page = pypdfium2.PdfDocument(pdf)[0]
    bitmap = page.render(scale=150 / 72, grayscale=True).to_pil()

    decoded = zxingcpp.read_barcodes(bitmap)
    assert [(code.format, code.text, code.ec_level) for code in decoded] == [
        (zxingcpp.BarcodeFormat.QRCode, licence.verify_url, "M")
    ]
    assert licence.verify_url == f"http://127.0.0.1:8000/verify/{licence.number}/"
    assert licence.verify_url in pdf_text(pdf)
    # Vector shapes, not a bitmap: sharp at any zoom, and nothing for a viewer to smooth.
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 0


def test_markup_in_names_prints_literally(article, reviewer) -> None:
    licence = licensed(
        article, reviewer, outlet_name="<b>x</b> & Co", edits="Cut <i>para 3</i> & 4 <br/>"
    )
    text = pdf_text(render_licence_pdf(licence))
    assert "Licensee <b>x</b> & Co" in text
    assert "Cut <i>para 3</i> & 4 <br/>" in text


def test_missing_fonts_name_the_make_target(article, reviewer, settings, tmp_path) -> None:
    licence = licensed(article, reviewer)
    settings.PDF_FONT_DIR = str(tmp_path)
    with pytest.raises(ImproperlyConfigured, match=r"DejaVuSans\.ttf.*`make fonts`"):
        render_licence_pdf(licence)
