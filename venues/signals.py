from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import User
from venues.services import invitations_accept


@receiver(user_logged_in)
def accept_invitations(sender: type, request: HttpRequest, user: User, **kwargs) -> None:
    """An invited person sees their venues as soon as they sign in."""
    invitations_accept(user)
