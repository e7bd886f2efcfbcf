import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=8)
def redis_client(url: str) -> Any:
    """One client, and so one connection pool, per URL and process.

    A health check every few seconds from each load balancer must not open a
    new pool (and a new TCP connection) each time.
    """
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _probe(checks: dict[str, str], part: str, ask: Callable[[], Any]) -> Any:
    """`ask()`'s answer, with `part` marked ok in `checks`; None and "error" when it fails."""
    try:
        answer = ask()
    except Exception as exc:
        logger.error("healthz: %s check failed: %s", part, exc)
        checks[part] = "error"
        return None
    checks[part] = "ok"
    return answer


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every backing service answers, 503 naming the one that does not."""
    checks: dict[str, str] = {}
    queue_depth = None
    _probe(checks, "database", _database_answers)
    if settings.REDIS_BROKER_URL:
        # Tasks waiting for a worker: a growing number means too few workers.
        queue_depth = _probe(
            checks,
            "broker",
            lambda: redis_client(settings.REDIS_BROKER_URL).llen(
                settings.CELERY_TASK_DEFAULT_QUEUE
            ),
        )
    if settings.REDIS_CACHE_URL:
        _probe(checks, "cache", lambda: redis_client(settings.REDIS_CACHE_URL).ping())
    healthy = all(value == "ok" for value in checks.values())
    body: dict = {"status": "ok" if healthy else "error", "checks": checks}
    if queue_depth is not None:
        body["celery_queue_depth"] = queue_depth
    return JsonResponse(body, status=200 if healthy else 503)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's own CSRF page is English-only; ours says what to do, translated."""
    return render(request, "403_csrf.html", status=403)


def not_found(request: HttpRequest) -> HttpResponse:
    """A route that a library adds and Ashyq does not offer."""
    raise Http404


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every first visit, whatever the page links."""
    response = HttpResponseRedirect(static("icons/favicon.ico"))
    # Not permanent: the file's static name changes with its content.
    response["Cache-Control"] = "public, max-age=86400"
    return response


def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: Ashyq on the home screen, opening on the status page."""
    data = {
        "name": "Ashyq",
        "short_name": "Ashyq",
        "description": gettext("Your health status and check-in at the door."),
        "lang": get_language(),
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5394",
        "icons": [
            {"src": static("icons/ashyq.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("icons/ashyq-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/ashyq-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response
