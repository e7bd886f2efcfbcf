import logging

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every backing service answers, 503 naming the one that does not."""
    checks: dict[str, str] = {}
    queue_depth = None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        logger.error("healthz: database check failed: %s", exc)
        checks["database"] = "error"
    if settings.REDIS_URL:
        import redis

        try:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
            client.ping()
            checks["redis"] = "ok"
            # Tasks waiting for a worker: a growing number means too few workers.
            queue_depth = client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
        except Exception as exc:
            logger.error("healthz: redis check failed: %s", exc)
            checks["redis"] = "error"
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
