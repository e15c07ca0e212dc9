"""Requester accounts: magic-link sign-in (django-sesame) and the list of their requests."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from sesame.utils import get_user

from licensing import tasks
from licensing.forms import MagicLinkForm
from licensing.models import RepublicationRequest, is_staff_account
from portal.rate_limits import Limit, posted, rate_limited


def _next_url(request: HttpRequest) -> str:
    """Where to go after signing in: a page of this site, or '' (the account page)."""
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe and wanted.startswith("/") else ""


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited(Limit("magic_link_ip"), Limit("magic_link_email", key=posted("email")))
def account_login(request: HttpRequest) -> HttpResponse:
    # ?email= comes from an expired link: the address it was made for.
    form = MagicLinkForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    next_url = _next_url(request)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        # Queued for every address: the worker decides whether it has requests
        # (and is no staff account), so neither the answer nor the time it
        # takes tells anyone which addresses have requests.
        tasks.send_magic_link_email.enqueue(
            address=email,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            next_url=next_url,
        )
        return render(request, "licensing/account_link_sent.html", {"email": email})
    return render(request, "licensing/account_login.html", {"form": form, "next": next_url})


@require_safe
def account_magic(request: HttpRequest) -> HttpResponse:
    """Follow a magic link: valid once, for a short time (SESAME_MAX_AGE)."""
    user = get_user(request, update_last_login=False)
    if user is None or is_staff_account(user):
        return render(request, "licensing/account_link_invalid.html", status=400)
    login(request, user, backend="sesame.backends.ModelBackend")
    return redirect(_next_url(request) or "licensing:account")


@require_safe
def account(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("licensing:account_login")
    # Each row's next step reads its licence and, once withdrawn, who withdrew it;
    # its documents are the licence, the invoice and the invoice's credit notes.
    requests = (
        RepublicationRequest.objects.filter(requester=request.user)
        .select_related("article", "licence", "invoice")
        .prefetch_related("status_changes", "invoice__credit_notes")
    )
    return render(request, "licensing/account.html", {"requests": requests})


@require_POST
def account_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("home")
