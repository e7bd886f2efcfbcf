from django.conf import settings
from django.http import HttpRequest


def languages(request: HttpRequest) -> dict:
    # Each language named in itself, never translated: a Kazakh speaker on a
    # Russian page must still recognise "Қазақша".
    return {"LANGUAGE_CHOICES": settings.LANGUAGES, "SUPPORT_PHONE": settings.SUPPORT_PHONE}
