"""Request guards every app shares."""

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils import translation

logger = logging.getLogger(__name__)
URLENCODED = "application/x-www-form-urlencoded"


class RejectNulBytesMiddleware:
    """A NUL byte in the path or query string answers 404 before any view runs.

    PostgreSQL refuses text containing NUL, so such a value reaching a query
    would be a 500; no real URL of ours contains one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query_values = (value for _, values in request.GET.lists() for value in values)
        if "\x00" in request.path or any("\x00" in value for value in query_values):
            from portal.views import page_not_found

            return page_not_found(request)
        return self.get_response(request)


class RejectUnreadableFormsMiddleware:
    """A form body Django cannot read (a charset other than UTF-8) answers 400.

    Django raises BadRequest when the CSRF check first reads request.POST; its
    400 handler checks CSRF again, reads request.POST again and raises again,
    which ends as a 500 (with DEBUG on too, its error page reads the form). So
    the form is read here, before the CSRF check, and the friendly 400 page
    is the answer. Must come before CsrfViewMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only url-encoded forms: Django keeps their body, so a view can still
        # read request.body. A multipart body is a stream, read once, and its
        # fields are decoded leniently: it is left to the view.
        if request.method == "POST" and request.content_type == URLENCODED:
            try:
                request.POST  # noqa: B018 (read once; Django keeps the result)
            except (BadRequest, SuspiciousOperation, UnicodeDecodeError) as e:
                from portal.views import bad_request

                logger.warning("Unreadable form body on %s: %s", request.path, e)
                return bad_request(request)
        return self.get_response(request)


# The desk works in English: its pages are written for staff, not translated.
STAFF_PATH_PREFIXES = ("/staff/", "/accounts/")


def is_staff_page(request: HttpRequest) -> bool:
    return request.path_info.startswith(STAFF_PATH_PREFIXES)


class StaffPagesInEnglishMiddleware:
    """Staff pages render in English, left to right, whatever the visitor chose for the public ones.

    After LocaleMiddleware, which picked the visitor's language: the choice
    (cookie, session) is kept for the public pages and only set aside here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_staff_page(request):
            return self.get_response(request)
        request.LANGUAGE_CODE = "en"
        with translation.override("en"):
            response = self.get_response(request)
        # LocaleMiddleware only sets Content-Language where none is set.
        response.headers["Content-Language"] = "en"
        return response
