"""Invoice and credit note PDFs are made once and stored with their SHA-256, like the licence:
at issue (the approval's task), or at the first download of one never stored; the download
views serve the stored bytes unchanged, and make them again only when what the PDF prints
(a payment, the status, a credit note) has changed, or the stored file is missing or altered."""

import hashlib
import io
from pathlib import Path

import pikepdf
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from pypdf import PdfReader

from billing.models import CreditNote, Invoice
from licensing.models import Article, RepublicationRequest
from tests.factories import approved_request, make_invoice, pay_by_transfer


def stored_file(document: Invoice | CreditNote) -> Path:
    return Path(settings.MEDIA_ROOT) / str(document.pdf.name)


def page_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.fixture
def invoiced(
    article: Article, reviewer: User, django_capture_on_commit_callbacks
) -> RepublicationRequest:
    """Approved at 150.00 GBP, the approval's work after commit done (the invoice stored)."""
    with django_capture_on_commit_callbacks(execute=True):
        req = approved_request(article, actor=reviewer, fee_minor=15000, country="GB")
    req.refresh_from_db()
    return req


@pytest.fixture
def owner(invoiced: RepublicationRequest) -> Client:
    client = Client()
    client.force_login(invoiced.requester)
    return client


def no_making(monkeypatch) -> None:
    """From here on, making a PDF fails the test: what is served must be what is stored."""

    def refuse(self, **options: str) -> bytes:
        raise AssertionError(f"{self.number} made again")

    monkeypatch.setattr(Invoice, "make_pdf", refuse)
    monkeypatch.setattr(CreditNote, "make_pdf", refuse)


def test_the_approval_stores_the_invoice_once_and_downloads_serve_it_unchanged(
    invoiced: RepublicationRequest, owner: Client, reviewer_client: Client, monkeypatch
) -> None:
    invoice = invoiced.invoice
    assert invoice.pdf.name == f"invoices/{invoice.number}.pdf"
    stored = stored_file(invoice).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == invoice.pdf_sha256
    # The stored file is the Factur-X PDF/A-3 with the XML made at issue.
    with pikepdf.open(io.BytesIO(stored)) as pdf:
        assert pdf.attachments["factur-x.xml"].get_file().read_bytes() == (
            invoice.einvoice_xml.encode()
        )
    no_making(monkeypatch)
    for client in (owner, reviewer_client):
        response = client.get(f"/billing/invoices/{invoice.uuid}/pdf")
        assert response.status_code == 200
        assert response.content == stored


def test_an_invoice_never_stored_is_stored_at_its_first_download(
    owner: Client, invoiced: RepublicationRequest, monkeypatch
) -> None:
    # As invoices issued before PDFs were stored: no file, no hash.
    stored_file(invoiced.invoice).unlink()
    Invoice.objects.filter(pk=invoiced.invoice.pk).update(pdf="", pdf_sha256="")
    first = owner.get(f"/billing/invoices/{invoiced.invoice.uuid}/pdf")
    assert first.status_code == 200
    invoice = Invoice.objects.get(pk=invoiced.invoice.pk)
    assert invoice.pdf.name == f"invoices/{invoice.number}.pdf"
    assert hashlib.sha256(first.content).hexdigest() == invoice.pdf_sha256
    assert stored_file(invoice).read_bytes() == first.content
    no_making(monkeypatch)
    assert owner.get(f"/billing/invoices/{invoice.uuid}/pdf").content == first.content


def test_a_payment_outdates_the_stored_invoice_which_is_made_again_paid(
    owner: Client, invoiced: RepublicationRequest, django_capture_on_commit_callbacks
) -> None:
    before = stored_file(invoiced.invoice).read_bytes()
    assert "Due date" in page_text(before)
    with django_capture_on_commit_callbacks(execute=True):
        pay_by_transfer(invoiced)
    invoice = Invoice.objects.get(pk=invoiced.invoice.pk)
    assert invoice.pdf_sha256 == ""  # the stored file no longer says what is true
    response = owner.get(f"/billing/invoices/{invoice.uuid}/pdf")
    text = page_text(response.content)
    assert "Paid on" in text and "Due date" not in text
    invoice.refresh_from_db()
    # Stored again in place of the old one, under the same name, with its new hash.
    assert hashlib.sha256(response.content).hexdigest() == invoice.pdf_sha256
    assert stored_file(invoice).read_bytes() == response.content != before
    assert sorted(p.name for p in stored_file(invoice).parent.iterdir()) == [
        f"{invoice.number}.pdf"
    ]


def test_an_altered_stored_invoice_is_never_served(
    owner: Client, invoiced: RepublicationRequest, caplog
) -> None:
    invoice = invoiced.invoice
    original = stored_file(invoice).read_bytes()
    stored_file(invoice).write_bytes(b"%PDF-1.7 forged")
    response = owner.get(f"/billing/invoices/{invoice.uuid}/pdf")
    assert response.status_code == 200
    assert b"forged" not in response.content
    # Made again from the same invoice: the same XML inside, the same pages but for
    # the pay link's signature, signed afresh.
    with pikepdf.open(io.BytesIO(response.content)) as pdf:
        assert pdf.attachments["factur-x.xml"].get_file().read_bytes() == (
            invoice.einvoice_xml.encode()
        )
    assert page_text(response.content).split("?link=")[0] == page_text(original).split("?link=")[0]
    assert "does not match its SHA-256" in caplog.text
    invoice.refresh_from_db()
    assert hashlib.sha256(response.content).hexdigest() == invoice.pdf_sha256
    assert stored_file(invoice).read_bytes() == response.content


def test_a_credit_note_not_stored_at_issue_is_stored_at_its_first_download(
    owner: Client, invoiced: RepublicationRequest, monkeypatch
) -> None:
    owner.post(f"/requests/{invoiced.uuid}/withdraw/")
    note = CreditNote.objects.get(invoice=invoiced.invoice)
    assert note.pdf_sha256 == ""
    url = f"/billing/credit-notes/{note.uuid}/pdf"
    first = owner.get(url)
    assert first.status_code == 200
    note.refresh_from_db()
    assert note.pdf.name == f"credit-notes/{note.number}.pdf"
    assert hashlib.sha256(first.content).hexdigest() == note.pdf_sha256
    assert stored_file(note).read_bytes() == first.content
    no_making(monkeypatch)
    assert owner.get(url).content == first.content
    # The voided invoice's stored copy was outdated: it is made again, stamped VOID.
    monkeypatch.undo()
    assert "VOID" in page_text(owner.get(f"/billing/invoices/{invoiced.invoice.uuid}/pdf").content)


def test_a_credit_note_is_stored_when_it_is_issued(
    owner: Client, invoiced: RepublicationRequest, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/requests/{invoiced.uuid}/withdraw/")
    note = CreditNote.objects.get(invoice=invoiced.invoice)
    assert note.pdf.name == f"credit-notes/{note.number}.pdf"
    stored = stored_file(note).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == note.pdf_sha256
    with pikepdf.open(io.BytesIO(stored)) as pdf:
        assert pdf.attachments["factur-x.xml"].get_file().read_bytes() == (
            note.einvoice_xml.encode()
        )
    no_making(monkeypatch)
    assert owner.get(f"/billing/credit-notes/{note.uuid}/pdf").content == stored


def test_finance_downloads_an_invoice_without_a_request_stored_the_same_way(
    client: Client, finance: User
) -> None:
    invoice = make_invoice()
    client.force_login(finance)
    response = client.get(f"/billing/invoices/{invoice.uuid}/pdf")
    invoice.refresh_from_db()
    assert hashlib.sha256(response.content).hexdigest() == invoice.pdf_sha256
    assert stored_file(invoice).read_bytes() == response.content


def test_in_the_bucket_the_invoice_is_stored_privately_and_served_byte_for_byte(
    s3_documents, article: Article, reviewer: User, django_capture_on_commit_callbacks, settings
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        req = approved_request(article, actor=reviewer, fee_minor=15000, country="GB")
    invoice = Invoice.objects.get(pk=req.invoice_id)
    key = f"invoices/{invoice.number}.pdf"
    assert s3_documents.keys() == [key]
    stored = s3_documents.read(key)
    assert hashlib.sha256(stored).hexdigest() == invoice.pdf_sha256
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing on this machine's disk
    owner = Client()
    owner.force_login(req.requester)
    response = owner.get(f"/billing/invoices/{invoice.uuid}/pdf")
    assert response.status_code == 200
    assert response.content == stored


def test_the_bucket_out_of_reach_gives_a_503_page_for_an_invoice(
    s3_documents, article: Article, reviewer: User, django_capture_on_commit_callbacks, caplog
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        req = approved_request(article, actor=reviewer, fee_minor=15000, country="GB")
    owner = Client()
    owner.force_login(req.requester)
    s3_documents.proxy.cut()
    response = owner.get(f"/billing/invoices/{req.invoice.uuid}/pdf")
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    page = response.content.decode()
    assert f"We cannot fetch document {req.invoice.number} from our document store" in page
    assert f'href="/requests/{req.uuid}/"' in page
    assert f"Invoice {req.invoice.number} not served" in caplog.text


def test_a_part_payment_outdates_the_stored_invoice_too(
    owner: Client, invoiced: RepublicationRequest
) -> None:
    invoice = invoiced.invoice
    invoice.record_payment(
        method="bank_transfer",
        amount_minor=5000,
        currency=invoice.currency,
        received_on=invoice.issued_on,
        provider_reference="BANK-PART",
    )
    invoice.refresh_from_db()
    assert invoice.status == "open" and invoice.pdf_sha256 == ""
    response = owner.get(f"/billing/invoices/{invoice.uuid}/pdf")
    assert "received so far" in page_text(response.content)
    invoice.refresh_from_db()
    assert hashlib.sha256(response.content).hexdigest() == invoice.pdf_sha256
