"""Request guards every app shares."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
