"""The personal QR a citizen shows at the door (docs/rules.md §4).

Signed and short-lived, so a screenshot of someone else's green status stops
working within a minute; it carries a random key, never the IIN.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from accounts.errors import AshyqError
from accounts.models import User

SALT = "ashyq.personal-qr"
# Prefix that tells a scanned personal QR from a typed IIN on the staff page.
PREFIX = "AQ1."


class PersonalQRError(AshyqError):
    """A scanned personal code that names no one: `invalid` or `expired`."""


def personal_qr_token(user: User) -> str:
    return PREFIX + signing.TimestampSigner(salt=SALT).sign(user.qr_key.hex)


def personal_qr_resolve(token: str, *, max_age: int | None = None) -> User:
    """The account behind a scanned token, or PersonalQRError (`expired`, `invalid`)."""
    max_age = settings.PERSONAL_QR_MAX_AGE if max_age is None else max_age
    token = (token or "").strip()
    if not token.startswith(PREFIX):
        raise PersonalQRError("invalid", _("This is not an Ashyq personal code."))
    try:
        key = signing.TimestampSigner(salt=SALT).unsign(token[len(PREFIX) :], max_age=max_age)
        qr_key = uuid.UUID(hex=key)
    except signing.SignatureExpired:
        raise PersonalQRError(
            "expired", _("This code has expired. Ask the person to open their status page again.")
        ) from None
    except (signing.BadSignature, ValueError):
        raise PersonalQRError("invalid", _("This is not an Ashyq personal code.")) from None
    user = User.objects.filter(qr_key=qr_key, is_active=True).first()
    if user is None:
        raise PersonalQRError("invalid", _("This is not an Ashyq personal code."))
    return user
