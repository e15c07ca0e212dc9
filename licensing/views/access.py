"""Who may see a request: its requester, the browser that submitted it, and reviewers."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404

from licensing.models import RepublicationRequest

# The session remembers which requests this browser submitted, so the
# requester can come back to them without signing in.
SESSION_REQUESTS_KEY = "submitted_requests"
REVIEW_PERMISSION = "licensing.review_request"


def remember_submission(request: HttpRequest, submitted: RepublicationRequest) -> None:
    mine = request.session.get(SESSION_REQUESTS_KEY, [])
    request.session[SESSION_REQUESTS_KEY] = [*mine, str(submitted.uuid)]


def is_reviewer(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.has_perm(REVIEW_PERMISSION)


def requester_request_or_404(
    request: HttpRequest, uuid: UUID, queryset: QuerySet[RepublicationRequest] | None = None
) -> RepublicationRequest:
    """The request if this visitor may see it; 404 otherwise, so strangers learn nothing."""
    req = get_object_or_404(
        queryset if queryset is not None else RepublicationRequest.objects, uuid=uuid
    )
    in_session = str(req.uuid) in request.session.get(SESSION_REQUESTS_KEY, [])
    is_owner = request.user.is_authenticated and req.requester_id == request.user.pk
    if not (in_session or is_owner or is_reviewer(request)):
        raise Http404("No such request")
    return req


def reviewer_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Anonymous visitors go to the staff login; signed-in non-reviewers get 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_reviewer(request):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper
