"""The citizen's door scanner, rendered where a citizen can start a check-in."""

from urllib.parse import urlsplit

from django import template
from django.conf import settings

register = template.Library()


def site_origin(site_url: str) -> str:
    """`https://ashyq.example` from SITE_URL, or "" when it is unset or not a URL.

    Printed posters carry SITE_URL, which may differ from the address a phone
    has open (a proxy, a second host name); both are our own origin.
    """
    parts = urlsplit(site_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


@register.inclusion_tag("includes/door_scanner.html")
def door_scanner() -> dict:
    return {"site_origin": site_origin(settings.SITE_URL)}
