"""The licence PDF download: for its requester and staff only."""

import logging
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from licensing.models import Licence
from licensing.views.access import visible_request
from portal.documents import DocumentStorageUnavailable

logger = logging.getLogger(__name__)

# What a browser is told to wait before asking for the document again.
RETRY_AFTER_SECONDS = 120


@require_safe
def licence_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    licence = get_object_or_404(Licence.objects.select_related("request"), uuid=uuid)
    allowed = visible_request(request, licence.request.uuid)
    if isinstance(allowed, HttpResponse):
        return allowed
    try:
        pdf = licence.pdf_bytes()
    except DocumentStorageUnavailable as error:
        logger.error("Licence %s not served: %s", licence.number, error)
        response = render(
            request,
            "licensing/document_unavailable.html",
            {"back_url": licence.request.get_absolute_url(), "number": licence.number},
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{licence.number}.pdf"'
    return response
