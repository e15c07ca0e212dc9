"""Who may see a request: its requester, the browser that submitted it, and reviewers."""

from urllib.parse import urlencode
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from licensing.models import RepublicationRequest, is_staff_account

# The session remembers which requests this browser submitted, so the
# requester can come back to them without signing in.
SESSION_REQUESTS_KEY = "submitted_requests"
REVIEW_PERMISSION = "licensing.review_request"


def remember_submission(request: HttpRequest, submitted: RepublicationRequest) -> None:
    mine = request.session.get(SESSION_REQUESTS_KEY, [])
    request.session[SESSION_REQUESTS_KEY] = [*mine, str(submitted.uuid)]


def is_reviewer(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.has_perm(REVIEW_PERMISSION)


def submitted_here(request: HttpRequest, uuid: UUID) -> bool:
    return str(uuid) in request.session.get(SESSION_REQUESTS_KEY, [])


def may_see(request: HttpRequest, req: RepublicationRequest) -> bool:
    is_owner = request.user.is_authenticated and req.requester_id == request.user.pk
    return submitted_here(request, req.uuid) or is_owner or is_reviewer(request)


def requester_request_or_404(
    request: HttpRequest, uuid: UUID, queryset: QuerySet[RepublicationRequest] | None = None
) -> RepublicationRequest:
    """The request if this visitor may see it; 404 otherwise, so strangers learn nothing."""
    req = get_object_or_404(
        queryset if queryset is not None else RepublicationRequest.objects, uuid=uuid
    )
    if not may_see(request, req):
        raise Http404("No such request")
    return req


def visible_request(
    request: HttpRequest, uuid: UUID, queryset: QuerySet[RepublicationRequest] | None = None
) -> RepublicationRequest | HttpResponse:
    """For a page (or document) of one request: the request if this visitor may see it.

    Otherwise a signed-out visitor is sent to the requesters' sign-in and back,
    whether or not the request exists, so the answer says nothing about it;
    anyone signed in who may not see it gets 404.
    """
    queryset = queryset if queryset is not None else RepublicationRequest.objects.all()
    req = queryset.filter(uuid=uuid).first()
    if req is not None and may_see(request, req):
        return req
    if not request.user.is_authenticated:
        return sign_in_to_see(request)
    raise Http404("No such request")


def sign_in_to_see(request: HttpRequest, *, next_url: str = "", email: str = "") -> HttpResponse:
    """To the requesters' sign-in page, back to `next_url` (this page) afterwards;
    `email` fills the address in."""
    login_url = reverse("licensing:account_login")
    if email:
        login_url += "?" + urlencode({"email": email})
    return redirect_to_login(next_url or request.get_full_path(), login_url=login_url)


def refuse_staff(request: HttpRequest) -> None:
    """Staff never act as a requester: a reply or withdrawal posted by staff is refused."""
    if request.user.is_authenticated and is_staff_account(request.user):
        raise PermissionDenied("Staff act on requests from the desk, not as the requester.")


def own_request(request: HttpRequest, uuid: UUID) -> RepublicationRequest | HttpResponse:
    """For what only the requester may do (edit, renew): the request if this visitor is
    signed in as its requester. Signed out: to the sign-in page and back (a post: 404);
    anyone else signed in: 404, whether or not the request exists; staff: 403."""
    refuse_staff(request)
    req = (
        RepublicationRequest.objects.select_related("article", "invoice", "renews")
        .filter(uuid=uuid)
        .first()
    )
    if req is not None and request.user.is_authenticated and req.requester_id == request.user.pk:
        return req
    if not request.user.is_authenticated and request.method in {"GET", "HEAD"}:
        return sign_in_to_see(request)
    raise Http404("No such request")
