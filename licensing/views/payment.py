"""Paying an invoice by card: off to Stripe Checkout, back to the request page."""

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import stripe as billing_stripe
from billing.models import InvoiceStatus
from licensing.models import RepublicationRequest
from licensing.views.access import requester_request_or_404


@require_POST
def pay_by_card(request: HttpRequest, uuid: UUID) -> HttpResponse:
    req = requester_request_or_404(
        request, uuid, RepublicationRequest.objects.select_related("invoice")
    )
    invoice = req.invoice
    if invoice is None or invoice.status != InvoiceStatus.OPEN:
        messages.info(request, _("There is nothing to pay on this request."))
        return redirect(req)
    if not billing_stripe.is_configured():
        messages.error(request, _("Card payment is not available; please pay by bank transfer."))
        return redirect(req)
    page = settings.PORTAL_BASE_URL + req.get_absolute_url()
    try:
        checkout_url = billing_stripe.start_checkout(
            invoice=invoice, success_url=f"{page}?checkout=success", cancel_url=page
        )
    except billing_stripe.CheckoutUnavailable as error:
        messages.error(request, str(error))
        return redirect(req)
    # 303: the browser follows with a GET, whatever the form's method was.
    return HttpResponseRedirect(checkout_url, status=303)
