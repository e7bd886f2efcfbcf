"""A fixed-window rate limit in one cache round trip, for hot paths.

allauth's limiter is right for sign-in (a sliding window, per client and per
number) but takes four cache round trips; a staff member's lookups at the door
need only "at most N a minute", which INCR answers in one.
"""

import time

from django.core.cache import cache

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"120/m/user"` -> (120, 60): how many, per how many seconds."""
    amount, duration = rate.split("/")[:2]
    count = duration[:-1]
    return int(amount), (int(count) if count else 1) * UNITS[duration[-1]]


def allow(key: str, rate: str, now: float | None = None) -> bool:
    limit, window = parse_rate(rate)
    bucket = f"rl:{key}:{int((time.time() if now is None else now) // window)}"
    if hasattr(cache, "count"):
        # Redis (ashyq.cache.PooledRedisCache): one round trip.
        return cache.count(bucket, window + 1) <= limit
    try:
        used = cache.incr(bucket)
    except ValueError:
        # First hit of this window; a parallel first hit may win the add.
        used = 1 if cache.add(bucket, 1, timeout=window + 1) else cache.incr(bucket)
    return used <= limit
