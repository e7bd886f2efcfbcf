"""The portal's authentication backends: Django's and allauth's, with the signed-in
account read from the cache.

Every signed-in request loads its account. At the door that load was a fifth
of a check-in's time (`make bench`), for a row that changes a few times in an
account's life. So the account is kept in the cache for USER_CACHE_SECONDS,
and every save or deletion of an account drops it (accounts.signals).
"""

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from accounts.models import User


def user_cache_key(user_id: Any) -> str:
    return f"user:{user_id}"


class CachedUserMixin:
    def get_user(self, user_id: Any) -> User | None:
        if not settings.USER_CACHE_SECONDS:
            return super().get_user(user_id)
        user = cache.get(user_cache_key(user_id))
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(user_cache_key(user_id), user, settings.USER_CACHE_SECONDS)
            return user
        # The same test as Django's own: a deactivated account signs nobody in.
        return user if self.user_can_authenticate(user) else None


class CachedModelBackend(CachedUserMixin, ModelBackend):
    """Password sign-in (the admin's superusers)."""


class CachedAuthenticationBackend(CachedUserMixin, AuthenticationBackend):
    """Sign-in by phone and SMS code (everyone else)."""
