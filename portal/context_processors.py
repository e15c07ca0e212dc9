"""Values every template needs (publisher name for the header and footer)."""

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, str]:
    return {"PUBLISHER_NAME": settings.PUBLISHER_NAME}
