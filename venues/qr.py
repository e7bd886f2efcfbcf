import io
import time

import segno

from venues.models import Venue
from venues.rules import kiosk_step, kiosk_token


def qr_svg_inline(content: str, scale: int = 8) -> str:
    # Quartile error correction: a poster by a door gets scratched and smudged.
    return segno.make_qr(content, error="q").svg_inline(scale=scale, border=4, omitsize=True)


def qr_file(content: str, kind: str, scale: int = 12) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(content, error="q").save(buffer, kind=kind, scale=scale, border=4)
    return buffer.getvalue()


def kiosk_url(venue: Venue, base_url: str, now: float | None = None) -> str:
    step = kiosk_step(time.time() if now is None else now)
    return f"{base_url}?k={kiosk_token(venue.kiosk_secret, step)}"
