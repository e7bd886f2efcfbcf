"""Venue rules (docs/rules.md §3) as pure functions: effective capacity and kiosk codes."""

import datetime
import hashlib
import hmac
import math
from enum import StrEnum

# The longest maximum stay a venue may set (docs/rules.md §3). An open visit
# that began earlier has outlasted every venue's stay, so the door never looks
# further back for one (visits.rules.open_window).
LONGEST_STAY = datetime.timedelta(hours=24)


class Zone(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def effective_capacity(
    capacity: int, *, pcr_required: bool, zone: Zone | str, shares: dict[str, float]
) -> int:
    """How many people may be inside at once, after the zone's share.

    Only venues that admit blue-status visitors (no PCR at the door) are cut:
    where everyone inside is green, the full capacity stays. The share is
    rounded down — a 70 % share of 5 places is 3, never 4.
    """
    if capacity <= 0:
        return 0
    if pcr_required:
        return capacity
    share = shares.get(Zone(zone).value, 1.0)
    # The epsilon keeps 0.7 * 10 (6.999…) from flooring to 6.
    return max(0, math.floor(capacity * share + 1e-9))


KIOSK_STEP_SECONDS = 30


def kiosk_step(unix_time: float, step_seconds: int = KIOSK_STEP_SECONDS) -> int:
    return int(unix_time // step_seconds)


def kiosk_token(secret: str, step: int) -> str:
    """The code a kiosk shows during one time step: the step and an HMAC of it."""
    digest = hmac.new(secret.encode(), str(step).encode(), hashlib.sha256).hexdigest()
    return f"{step}.{digest[:20]}"


def kiosk_token_valid(
    secret: str, token: str, unix_time: float, step_seconds: int = KIOSK_STEP_SECONDS
) -> bool:
    """True for the current and the previous step's code, so a scan made just
    before the code turned over still works; anything older is refused."""
    token = token or ""
    # compare_digest refuses non-ASCII text; no valid token has any.
    if not token.isascii():
        return False
    step_text, _, _ = token.partition(".")
    if not step_text.isascii() or not step_text.isdigit():
        return False
    step = int(step_text)
    now_step = kiosk_step(unix_time, step_seconds)
    if step not in (now_step, now_step - 1):
        return False
    return hmac.compare_digest(kiosk_token(secret, step), token)
