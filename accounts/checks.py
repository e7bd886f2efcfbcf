"""Who may claim an IIN must be a decision in production, not a default."""

import logging

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

logger = logging.getLogger(__name__)

FIRST_CLAIM_WINS = "accounts.identity.FirstClaimWins"
STATE_REGISTRY = "accounts.identity.StateRegistry"


@register("security")
def identity_backend_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """With DEBUG off, FirstClaimWins needs ALLOW_UNVERIFIED_IIN_CLAIMS=1.

    The first account to type an IIN would get that person's status card and
    personal QR, and lock the real person out: a production run without the
    state registry is a choice someone must have made, and the log says so.
    """
    if settings.DEBUG:
        return []
    backend = settings.IDENTITY_CHECK_BACKEND
    if backend == STATE_REGISTRY and not settings.IDENTITY_REGISTRY_URL:
        return [
            Error(
                "IDENTITY_CHECK_BACKEND is the state registry, but IDENTITY_REGISTRY_URL is "
                "not set.",
                hint="Set IDENTITY_REGISTRY_URL (and IDENTITY_REGISTRY_TOKEN).",
                id="accounts.E002",
            )
        ]
    if backend != FIRST_CLAIM_WINS:
        return []
    if settings.ALLOW_UNVERIFIED_IIN_CLAIMS:
        logger.warning(
            "IINs are claimed without proof (IDENTITY_CHECK_BACKEND=%s, "
            "ALLOW_UNVERIFIED_IIN_CLAIMS=1): the first account to type an IIN gets it.",
            backend,
        )
        return []
    return [
        Error(
            "With DEBUG off, IDENTITY_CHECK_BACKEND may not be FirstClaimWins: anyone could "
            "claim a stranger's IIN and see their status.",
            hint=(
                f"Set IDENTITY_CHECK_BACKEND={STATE_REGISTRY} with IDENTITY_REGISTRY_URL, or "
                "ALLOW_UNVERIFIED_IIN_CLAIMS=1 to run without proof of identity on purpose."
            ),
            id="accounts.E001",
        )
    ]


def refuse_to_start_on_identity_errors() -> None:
    """Raise at startup of the web process when the identity check fails.

    gunicorn runs no system checks of its own, so the WSGI module asks.
    """
    from django.core.exceptions import ImproperlyConfigured

    errors = identity_backend_check()
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg} {e.hint}" for e in errors))
