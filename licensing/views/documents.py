"""Invoice and credit note PDF downloads: for the request's requester, reviewers and finance."""

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from billing.models import CreditNote, Invoice
from licensing.links import request_link
from licensing.models import RepublicationRequest
from licensing.views.access import sign_in_to_see, visible_request

# Anyone who may see invoices in the admin may download any invoice's PDF.
VIEW_INVOICE_PERMISSION = "billing.view_invoice"

# billing.einvoice is imported in the views, on the first download: factur-x takes
# seconds to import, which every management command and server start would pay for.


@require_safe
@never_cache
def invoice_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    invoice = get_object_or_404(Invoice, uuid=uuid)
    req = _request_allowed_to_see(request, invoice)
    if isinstance(req, HttpResponse):
        return req
    # Signed like the emails' links: the printed invoice opens its request anywhere.
    pay_url = request_link(req) if req else ""
    language = req.ui_language if req else "en"
    from billing.einvoice import render_invoice_document

    pdf = render_invoice_document(invoice, pay_url=pay_url, language=language)
    return _pdf_response(pdf, invoice.number)


@require_safe
@never_cache
def invoice_ubl_xml(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The same invoice as UBL 2.1 XML, for accounts software that reads UBL rather than CII."""
    from billing.einvoice import invoice_ubl

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
    req = _request_allowed_to_see(request, note.invoice)
    if isinstance(req, HttpResponse):
        return req
    from billing.einvoice import render_credit_note_document

    return _pdf_response(render_credit_note_document(note), note.number)


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


def _pdf_response(pdf: bytes, number: str) -> HttpResponse:
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(True, f"{number}.pdf")},
    )
