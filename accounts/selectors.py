"""Reads about accounts that other apps' pages share."""

from django.conf import settings

from accounts.models import User
from accounts.phones import PhoneError, parse_phone


def account_with_phone(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def account_with_iin(iin: str) -> User | None:
    return User.objects.filter(iin=iin).first()


def iins_of_phone(term: str) -> list[str] | None:
    """The IIN of the account with the phone number typed in `term` ([] when
    that account has none, or there is no such account); None when `term` is
    not a phone number at all."""
    try:
        phone = parse_phone(term, settings.SMS_ALLOWED_COUNTRIES)
    except PhoneError:
        return None
    return list(User.objects.filter(phone=phone, iin__isnull=False).values_list("iin", flat=True))
