"""Reading the environment for ashyq/settings.py: small helpers that fail loudly.

A typo in a deployment's variables stops the process at start with the
variable's name, instead of running with a default nobody chose.
"""

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    """The variable's value; unset or empty means the default."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def redis_sibling_db(url: str) -> str:
    """The same Redis server as `url`, another database number (the next, or 14 after 15).

    When one REDIS_URL serves both roles, the broker gets its own database so
    that the cache's `clear()` (FLUSHDB) never empties the task queue.
    """
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        number = int(query.get("db", "0") or 0)
        query["db"] = str(number + 1 if number < 15 else number - 1)
        # urlunsplit would drop the empty host and the `//` with it.
        return f"unix://{parts.netloc}{parts.path}?{urlencode(query)}"
    path = parts.path.strip("/")
    try:
        number = int(path or 0)
    except ValueError:
        raise ImproperlyConfigured(
            f"REDIS_URL must end in a database number, got {url!r}"
        ) from None
    sibling = number + 1 if number < 15 else number - 1
    return urlunsplit(parts._replace(path=f"/{sibling}"))
