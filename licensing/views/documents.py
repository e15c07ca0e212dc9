"""Stored PDF downloads (licences, invoices, credit notes) and the invoice's UBL.

Each view checks who asks, then serves the bytes stored with the document's
SHA-256 (made and stored first when missing); a document store that does not
answer gets a page saying so, never a 500.
"""

import logging
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from billing.einvoice import invoice_ubl
from billing.models import CreditNote, Invoice
from licensing.links import request_link
from licensing.models import Licence, RepublicationRequest
from licensing.views.access import sign_in_to_see, visible_request
from portal.documents import DocumentStorageUnavailable, StoredPdf

logger = logging.getLogger(__name__)

# Anyone who may see invoices in the admin may download any invoice's PDF.
VIEW_INVOICE_PERMISSION = "billing.view_invoice"
# What a browser is told to wait before asking for the document again.
RETRY_AFTER_SECONDS = 120


@require_safe
def licence_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    licence = get_object_or_404(Licence.objects.select_related("request"), uuid=uuid)
    allowed = visible_request(request, licence.request.uuid)
    if isinstance(allowed, HttpResponse):
        return allowed
    return _stored_pdf(request, licence, back_url=licence.request.get_absolute_url())


@require_safe
@never_cache
def invoice_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    invoice = get_object_or_404(Invoice, uuid=uuid)
    return _invoice_document(request, invoice, invoice)


@require_safe
@never_cache
def invoice_ubl_xml(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The same invoice as UBL 2.1 XML, for accounts software that reads UBL rather than CII."""
    invoice = get_object_or_404(Invoice, uuid=uuid)
    req = _request_allowed_to_see(request, invoice)
    if isinstance(req, HttpResponse):
        return req
    return HttpResponse(
        invoice_ubl(invoice),
        content_type="application/xml",
        headers={
            "Content-Disposition": content_disposition_header(True, f"{invoice.number}.ubl.xml")
        },
    )


@require_safe
@never_cache
def credit_note_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    note = get_object_or_404(CreditNote.objects.select_related("invoice"), uuid=uuid)
    return _invoice_document(request, note.invoice, note)


def _invoice_document(
    request: HttpRequest, invoice: Invoice, document: Invoice | CreditNote
) -> HttpResponse:
    """The invoice's (or its credit note's) stored PDF, for those who may see the invoice."""
    req = _request_allowed_to_see(request, invoice)
    if isinstance(req, HttpResponse):
        return req
    # Signed like the emails' links: the printed invoice opens its request anywhere.
    # Printed only on an open invoice made now (never stored, or out of date).
    pay_url = request_link(req) if req else ""
    return _stored_pdf(request, document, back_url=_back_url(req), pay_url=pay_url)


def _request_allowed_to_see(
    request: HttpRequest, invoice: Invoice
) -> RepublicationRequest | HttpResponse | None:
    """The invoice's request if this visitor may see it (finance may see any invoice).

    A signed-out visitor is sent to sign in; anyone else who may not, 404.
    """
    req = RepublicationRequest.objects.filter(invoice=invoice).first()
    if request.user.is_authenticated and request.user.has_perm(VIEW_INVOICE_PERMISSION):
        return req
    if req is None:
        if not request.user.is_authenticated:
            return sign_in_to_see(request)
        raise Http404("No such invoice")
    return visible_request(request, req.uuid)


def _back_url(req: RepublicationRequest | None) -> str:
    return req.get_absolute_url() if req else "/"


def _stored_pdf(
    request: HttpRequest, document: StoredPdf, *, back_url: str, **options: str
) -> HttpResponse:
    """The document's stored bytes as a download, or a 503 page while the store is away."""
    try:
        pdf = document.pdf_bytes(**options)
    except DocumentStorageUnavailable as error:
        kind = str(document._meta.verbose_name).capitalize()
        logger.error("%s %s not served: %s", kind, document.number, error)
        context = {
            "back_url": back_url,
            "number": document.number,
            "is_licence": isinstance(document, Licence),
        }
        response = render(request, "licensing/document_unavailable.html", context, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(True, f"{document.number}.pdf")},
    )
