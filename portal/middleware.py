"""Request guards every app shares."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


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
