"""Public licence verification: anyone may check a licence number, nothing private shown."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe
from django_ratelimit.decorators import ratelimit

from licensing.forms import VerifyForm
from licensing.models import Licence

# Generous for people scanning QR codes, too few to enumerate numbers.
VERIFY_RATE = "60/m"


@require_safe
@ratelimit(key="ip", rate=VERIFY_RATE, block=False)
def verify_form(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.GET or None)
    if getattr(request, "limited", False):
        return render(request, "licensing/verify_limited.html", status=429)
    if form.is_bound and form.is_valid():
        return redirect(reverse("licensing:verify", args=[form.cleaned_data["number"]]))
    return render(request, "licensing/verify_form.html", {"form": form})


@require_safe
@ratelimit(key="ip", rate=VERIFY_RATE, block=False)
def verify(request: HttpRequest, number: str) -> HttpResponse:
    if getattr(request, "limited", False):
        return render(request, "licensing/verify_limited.html", status=429)
    licence = Licence.objects.filter(number=number.strip().upper()).first()
    if licence is None:
        form = VerifyForm(initial={"number": number})
        return render(
            request, "licensing/verify_unknown.html", {"form": form, "number": number}, status=404
        )
    return render(request, "licensing/verify.html", {"licence": licence})
