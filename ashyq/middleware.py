"""Request and response rules that hold for every page."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Pages that show nothing about the person asking, so a shared cache may keep
# them: the language choice and the health check. Static files never get here
# (whitenoise answers them earlier). The poster and the kiosk code are shown
# only to a venue's people after sign-in and are printed or refreshed, never
# worth caching: they stay private like every signed-in page.
PUBLIC_VIEWS = {"language", "healthz"}


class RejectNulBytesMiddleware:
    """A NUL byte in the path, the query or a form answers 400.

    No person types one, PostgreSQL cannot store one in a text column (the
    query fails with an error, a 500), and a view that reads a parameter
    directly, like the check-in nonce, would pass it to the database as is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _has_nul(request.GET):
            raise BadRequest("NUL byte in the URL")
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, *args) -> None:
        # A barcode may carry any byte, so the view that takes scanner input
        # cleans its own form (`accepts_nul_bytes`); every other form refuses them.
        if (
            request.method == "POST"
            and not getattr(view_func, "accepts_nul_bytes", False)
            and _has_nul(request.POST)
        ):
            raise BadRequest("NUL byte in the form")


def accepts_nul_bytes(view_func: Callable) -> Callable:
    """Mark a view whose form cleans NUL bytes itself (scanner input)."""
    view_func.accepts_nul_bytes = True
    return view_func


def _has_nul(data) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in data.lists()
    )


class PrivatePagesMiddleware:
    """`Cache-Control: private, no-store` on everything a signed-in person gets.

    Status cards, visit logs and dashboards must not stay in a shared proxy or
    in the browser's history cache of a shared phone. A response to a request
    that touched the session (a sign-in in progress) is private too; the few
    pages that show nothing personal are named in PUBLIC_VIEWS.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in PUBLIC_VIEWS:
            return response
        # A session cookie, sent or set, stands for a signed-in person (or one
        # signing in) without loading the account for the answer.
        session = getattr(request, "session", None)
        personal = (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            or settings.SESSION_COOKIE_NAME in response.cookies
            or (session is not None and session.modified)
        )
        if personal:
            patch_cache_control(response, private=True, no_store=True)
        return response
