from django.conf import settings
from django.http import HttpRequest


def support_phone(request: HttpRequest) -> dict:
    # The notices of a suspended venue, a pending organisation and a strange
    # look-up name the support line.
    return {"SUPPORT_PHONE": settings.SUPPORT_PHONE}
