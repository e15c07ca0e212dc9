"""The licence PDF download: for its requester and staff only."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from licensing.models import Licence
from licensing.views.access import visible_request


@require_safe
def licence_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    licence = get_object_or_404(Licence.objects.select_related("request"), uuid=uuid)
    allowed = visible_request(request, licence.request.uuid)
    if isinstance(allowed, HttpResponse):
        return allowed
    response = HttpResponse(licence.pdf_bytes(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{licence.number}.pdf"'
    return response
