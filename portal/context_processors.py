"""Values every template needs (publisher name for the header and footer, staff page or not)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.middleware import is_staff_page


def portal(request: HttpRequest) -> dict[str, Any]:
    return {"PUBLISHER_NAME": settings.PUBLISHER_NAME, "STAFF_PAGE": is_staff_page(request)}
