"""One shared counter for "three wrong tries kill the code".

allauth counts failed code attempts in the session, and concurrent requests
on one session each read the same count before any of them writes it back:
twenty requests at once could compare four or five guesses. An atomic
increment in the shared cache, taken before the comparison, cannot be raced.
"""

import hashlib

from allauth.account import app_settings
from django.core.cache import cache


def attempt_key(state: dict) -> str:
    """The cache key of one issued code: who it was sent to, when, and the code.

    A new code (a resend or a new request) starts a new count.
    """
    material = "|".join(
        str(state.get(part, "")) for part in ("user_id", "phone", "email", "at", "code")
    )
    return "login-code-attempts:" + hashlib.sha256(material.encode()).hexdigest()


def attempt_take(key: str) -> bool:
    """Count one comparison of the code; False once the code has had its tries."""
    timeout = app_settings.LOGIN_BY_CODE_TIMEOUT + 60
    if hasattr(cache, "count"):
        # Redis: one INCR, atomic across every web process.
        taken = cache.count(key, timeout)
    else:
        cache.add(key, 0, timeout)
        try:
            taken = cache.incr(key)
        except ValueError:
            # The key expired between add and incr: the code has expired too.
            return False
    return taken <= app_settings.LOGIN_BY_CODE_MAX_ATTEMPTS
