"""Requester accounts: magic-link sign-in (django-sesame) and the list of their requests."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from sesame.utils import get_user

from licensing import tasks
from licensing.forms import MagicLinkForm
from licensing.models import RepublicationRequest
from portal.rate_limits import Limit, posted, rate_limited


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited(Limit("magic_link_ip"), Limit("magic_link_email", key=posted("email")))
def account_login(request: HttpRequest) -> HttpResponse:
    form = MagicLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        # Only requester accounts (made by a request, no password) get links;
        # the answer is the same either way, so nobody can test addresses.
        user = (
            get_user_model()
            .objects.filter(email__iexact=email, is_staff=False, is_active=True)
            .exclude(republication_requests=None)
            .first()
        )
        if user is not None and not user.has_usable_password():
            tasks.send_magic_link_email.enqueue(
                user_id=user.pk, language=translation.get_language() or settings.LANGUAGE_CODE
            )
        return render(request, "licensing/account_link_sent.html", {"email": email})
    return render(request, "licensing/account_login.html", {"form": form})


@require_safe
def account_magic(request: HttpRequest) -> HttpResponse:
    """Follow a magic link: valid once, for a short time (SESAME_MAX_AGE)."""
    user = get_user(request)
    if user is None:
        return render(request, "licensing/account_link_invalid.html", status=400)
    login(request, user, backend="sesame.backends.ModelBackend")
    return redirect("licensing:account")


@require_safe
def account(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("licensing:account_login")
    requests = RepublicationRequest.objects.filter(requester=request.user).select_related("article")
    return render(request, "licensing/account.html", {"requests": requests})


@require_POST
def account_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("home")
