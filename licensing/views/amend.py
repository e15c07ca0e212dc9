"""What a requester does to a request after sending it: edit it before the answer,
renew its licence once granted."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, get_supported_language_variant, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from licensing.forms import AmendRequestForm, RenewRequestForm
from licensing.models import RepublicationRequest, TransitionNotAllowed
from licensing.views.access import own_request
from licensing.views.public import request_estimate, vat_case


def _form(
    request: HttpRequest, form_class: type[AmendRequestForm | RenewRequestForm], req: Any
) -> AmendRequestForm | RenewRequestForm:
    """The form bound to what was sent; for "Update estimate" (no JavaScript) shown again
    as typed, unbound, so it saves nothing and shows no errors."""
    if request.method != "POST":
        return form_class(req=req)
    if "estimate" in request.POST:
        return form_class(req=req, initial=request.POST.dict())
    return form_class(request.POST, req=req)


def _render_form(
    request: HttpRequest,
    req: RepublicationRequest,
    form: AmendRequestForm | RenewRequestForm,
    **context: Any,
) -> HttpResponse:
    data = request.POST if request.method == "POST" else form.initial
    context.update(
        {
            "article": req.article,
            "form": form,
            "req": req,
            "estimate": request_estimate(data),
            "vat_case": vat_case(data),
        }
    )
    status = 400 if form.is_bound else 200
    return render(request, "licensing/request_form.html", context, status=status)


def _cannot_edit(request: HttpRequest, req: RepublicationRequest) -> HttpResponse:
    messages.error(
        request,
        _("Request %(reference)s can no longer be edited: it is now “%(status)s”.")
        % {"reference": req.reference, "status": req.get_status_display()},
    )
    return redirect(req)


@require_http_methods(["GET", "HEAD", "POST"])
def request_edit(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The request form again, prefilled; saving changes what was asked (see amend())."""
    req = own_request(request, uuid)
    if isinstance(req, HttpResponse):
        return req
    if not req.allows("amend"):
        return _cannot_edit(request, req)
    form = _form(request, AmendRequestForm, req)
    if form.is_bound and form.is_valid():
        try:
            changes = req.amend(details=form.request_details())
        except TransitionNotAllowed:
            req.refresh_from_db()
            return _cannot_edit(request, req)
        if changes:
            messages.success(
                request,
                ngettext(
                    "%(count)s change saved and sent to our desk.",
                    "%(count)s changes saved and sent to our desk.",
                    len(changes),
                )
                % {"count": len(changes)},
            )
        else:
            messages.info(request, _("You changed nothing: your request is as it was."))
        return redirect(req)
    return _render_form(request, req, form, editing=True)


@require_http_methods(["GET", "HEAD", "POST"])
def request_renew(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """A new request for the same article and scope, from the day after the licence ends."""
    req = own_request(request, uuid)
    if isinstance(req, HttpResponse):
        return req
    if (existing := req.open_renewal) is not None:
        messages.info(
            request,
            _("You already asked to renew this licence: request %(reference)s.")
            % {"reference": existing.reference},
        )
        return redirect(existing)
    if refusal := req.renewal_refusal():
        messages.error(request, refusal)
        return redirect(req)
    form = _form(request, RenewRequestForm, req)
    if form.is_bound and form.is_valid():
        try:
            renewal = RepublicationRequest.renew(
                req,
                details=form.request_details(),
                ui_language=get_supported_language_variant(get_language()),
                by=request.user,  # type: ignore[arg-type]
            )
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
            return redirect(req)
        return redirect(renewal)
    return _render_form(request, req, form, renewing=req.licence)
