from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation

# Paths that machines, staff tools or the choice page itself use: no detour.
EXEMPT_PREFIXES = (
    "/language/",
    "/healthz",
    "/static/",
    "/admin/",
    "/favicon.ico",
    "/robots.txt",
    # Fetched by the browser without cookies, never by a person.
    "/manifest.webmanifest",
)


class LanguageChoiceMiddleware:
    """docs/rules.md §6: a new visitor's first screen is the language choice.

    A visitor without the language cookie is sent to the choice page and then
    back where they were going. A signed-in person whose cookie is gone gets
    the language stored on their account instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            response = self.get_response(request)
            set_language_cookie(response, user.language)
            return response
        if request.method == "GET" and not request.path.startswith(EXEMPT_PREFIXES):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('language')}?{query}")
        return self.get_response(request)


def set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
