"""Public licence verification: anyone may check a licence number, nothing private shown."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from licensing.forms import VerifyForm
from licensing.models import Licence
from licensing.odrl import licence_policy_json
from portal.rate_limits import Limit, rate_limited

VERIFY_LIMIT = rate_limited(Limit("verify"), methods=("GET", "HEAD"))


@require_safe
@VERIFY_LIMIT
def verify_form(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect(reverse("licensing:verify", args=[form.cleaned_data["number"]]))
    return render(request, "licensing/verify_form.html", {"form": form})


@require_safe
@VERIFY_LIMIT
def verify(request: HttpRequest, number: str) -> HttpResponse:
    licence = Licence.objects.filter(number=number.strip().upper()).first()
    if licence is None:
        form = VerifyForm(initial={"number": number})
        return render(
            request, "licensing/verify_unknown.html", {"form": form, "number": number}, status=404
        )
    context = {"licence": licence, "state": licence.verification_state()}
    return render(request, "licensing/verify.html", context)


@require_safe
@VERIFY_LIMIT
def verify_json(request: HttpRequest, number: str) -> HttpResponse:
    """The licence as an ODRL 2.2 policy (JSON-LD), for machines."""
    licence = get_object_or_404(Licence, number=number.strip().upper())
    return HttpResponse(licence_policy_json(licence), content_type="application/ld+json")
