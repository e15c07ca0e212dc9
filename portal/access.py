"""The staff pages' permission check, shared by every app."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

View = Callable[..., HttpResponseBase]


def permission_required_or_404(perm: str) -> Callable[[View], View]:
    """Anonymous visitors go to the staff login; signed-in users without `perm` get 404.

    Unlike Django's permission_required (403), a signed-in user without the
    permission learns nothing about what the page would have shown.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm):
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
