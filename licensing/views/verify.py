"""Public licence verification: anyone may check a licence number, nothing private shown."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from licensing.forms import VerifyForm
from licensing.models import Licence
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
    return render(request, "licensing/verify.html", {"licence": licence})
