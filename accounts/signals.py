from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation

from accounts.models import User
from accounts.services import user_set_language


@receiver(user_logged_in)
def remember_language(sender: type, request: HttpRequest, user: User, **kwargs) -> None:
    """The language the person signed in with is the one their SMS speak."""
    user_set_language(user, translation.get_language())
