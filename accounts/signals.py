from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation

from accounts.backends import user_cache_key
from accounts.models import User
from accounts.services import user_set_language


@receiver(user_logged_in)
def remember_language(sender: type, request: HttpRequest, user: User, **kwargs) -> None:
    """The language the person signed in with is the one their SMS speak."""
    user_set_language(user, translation.get_language())


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_user(sender: type, instance: User, **kwargs: Any) -> None:
    """A changed account leaves the cache of signed-in accounts: at once, and once
    more when the transaction commits, so that a request reading the old row
    in between cannot keep it there."""
    key = user_cache_key(instance.pk)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
