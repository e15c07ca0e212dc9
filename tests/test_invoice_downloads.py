"""GET /billing/invoices/<uuid>/pdf and /billing/credit-notes/<uuid>/pdf: who may download."""

import io
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pypdf import PdfReader

from licensing.views.access import SESSION_REQUESTS_KEY
from tests.factories import make_invoice


def invoice_url(invoice) -> str:
    return f"/billing/invoices/{invoice.uuid}/pdf"


def credit_note_url(note) -> str:
    return f"/billing/credit-notes/{note.uuid}/pdf"


@pytest.fixture
def invoiced(submitted, reviewer):
    submitted.approve(actor=reviewer, fee_minor=25000, currency="GBP", validity_days=30)
    submitted.refresh_from_db()
    return submitted


def assert_pdf(response, filename: str) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "no-store" in response["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_signed_in_requester_downloads_the_invoice(requester: Client, invoiced) -> None:
    response = requester.get(invoice_url(invoiced.invoice))
    text = assert_pdf(response, f"{invoiced.invoice.number}.pdf")
    assert invoiced.invoice.number in text
    assert invoiced.reference in text
    # The card link is the request page on the portal, signed like the emails'
    # links, so it opens in any browser.
    uris = [
        annotation.get_object()["/A"]["/URI"]
        for page in PdfReader(io.BytesIO(response.content)).pages
        for annotation in page.get("/Annots", [])
    ]
    # One annotation per printed line of the link, each with the whole address.
    (link,) = {uri for uri in uris if f"/requests/{invoiced.uuid}/?link=" in uri}
    fresh = Client().get(link.removeprefix("http://127.0.0.1:8000"), follow=True)
    assert fresh.status_code == 200 and invoiced.reference in fresh.content.decode()


def test_requester_in_the_submitting_browser_downloads_the_invoice(invoiced) -> None:
    browser = Client()
    session = browser.session
    session[SESSION_REQUESTS_KEY] = [str(invoiced.uuid)]
    session.save()
    assert_pdf(browser.get(invoice_url(invoiced.invoice)), f"{invoiced.invoice.number}.pdf")


def test_reviewer_downloads_the_invoice(reviewer_client: Client, invoiced) -> None:
    assert_pdf(reviewer_client.get(invoice_url(invoiced.invoice)), f"{invoiced.invoice.number}.pdf")


def test_finance_downloads_the_invoice(client: Client, finance, invoiced) -> None:
    client.force_login(finance)
    assert_pdf(client.get(invoice_url(invoiced.invoice)), f"{invoiced.invoice.number}.pdf")


def test_finance_downloads_an_invoice_without_a_request(client: Client, finance) -> None:
    invoice = make_invoice()
    client.force_login(finance)
    assert_pdf(client.get(invoice_url(invoice)), f"{invoice.number}.pdf")


def test_nobody_else_sees_an_invoice_without_a_request(reviewer_client: Client) -> None:
    invoice = make_invoice()
    assert reviewer_client.get(invoice_url(invoice)).status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in(other_requester: Client, invoiced) -> None:
    url = invoice_url(invoiced.invoice)
    assert other_requester.get(url)["Location"] == f"/account/login/?next={url}"


def test_a_signed_in_stranger_gets_404(client: Client, invoiced) -> None:
    stranger = User.objects.create_user("stranger", "stranger@example.com", "pw-for-tests")
    client.force_login(stranger)
    assert client.get(invoice_url(invoiced.invoice)).status_code == 404


def test_another_requesters_account_gets_404(client: Client, article, reviewer, invoiced) -> None:
    from tests.factories import make_request

    theirs = make_request(article, email="someone@else.example")
    client.force_login(theirs.requester)
    assert client.get(invoice_url(invoiced.invoice)).status_code == 404


def test_unknown_uuid_gets_404(reviewer_client: Client, finance) -> None:
    assert reviewer_client.get(f"/billing/invoices/{uuid.uuid4()}/pdf").status_code == 404
    assert reviewer_client.get(f"/billing/credit-notes/{uuid.uuid4()}/pdf").status_code == 404


def test_only_safe_methods(requester: Client, invoiced) -> None:
    assert requester.post(invoice_url(invoiced.invoice)).status_code == 405
    assert requester.head(invoice_url(invoiced.invoice)).status_code == 200


def test_credit_note_after_withdrawing_an_awaiting_payment_request(
    requester: Client, other_requester: Client, reviewer_client: Client, invoiced
) -> None:
    response = requester.post(f"/requests/{invoiced.uuid}/withdraw/", follow=True)
    assert response.status_code == 200
    invoiced.refresh_from_db()
    assert invoiced.status == "withdrawn"
    note = invoiced.invoice.credit_notes.get()
    page = response.content.decode()
    assert credit_note_url(note) in page
    text = assert_pdf(requester.get(credit_note_url(note)), f"{note.number}.pdf")
    assert note.number in text
    assert invoiced.invoice.number in text
    assert "Cancellation" in text
    assert_pdf(reviewer_client.get(credit_note_url(note)), f"{note.number}.pdf")
    assert other_requester.get(credit_note_url(note)).status_code == 302  # to sign in
    # The void invoice stays downloadable, stamped.
    assert "VOID" in assert_pdf(
        requester.get(invoice_url(invoiced.invoice)), f"{invoiced.invoice.number}.pdf"
    )


def test_request_page_links_to_the_invoice_pdf(requester: Client, invoiced) -> None:
    page = requester.get(f"/requests/{invoiced.uuid}/").content.decode()
    assert invoice_url(invoiced.invoice) in page


def test_downloaded_invoice_is_a_factur_x_pdf_with_its_stored_xml(requester: Client, invoiced):
    import pikepdf

    response = requester.get(invoice_url(invoiced.invoice))
    with pikepdf.open(io.BytesIO(response.content)) as pdf:
        xml = pdf.attachments["factur-x.xml"].get_file().read_bytes()
    assert xml == invoiced.invoice.einvoice_xml.encode()
    page = requester.get(f"/requests/{invoiced.uuid}/").content.decode()
    assert f"/billing/invoices/{invoiced.invoice.uuid}/ubl" in page


def test_requester_downloads_the_ubl_of_their_invoice(
    requester: Client, other_requester: Client, invoiced
) -> None:
    url = f"/billing/invoices/{invoiced.invoice.uuid}/ubl"
    response = requester.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{invoiced.invoice.number}.ubl.xml"'
    )
    assert b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" in response.content
    assert f"<cbc:ID>{invoiced.invoice.number}</cbc:ID>".encode() in response.content
    # Signed out: sent to sign in first.
    assert other_requester.get(url)["Location"].startswith("/account/login/")
