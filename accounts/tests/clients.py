"""A test client that has chosen its language, as a returning browser has, and what it reads."""

from django.conf import settings
from django.test import Client

from accounts.models import User


def client_for(user: User | None = None, language: str = "en") -> Client:
    """A browser that has chosen `language` (else the middleware asks first), signed in
    as `user` when one is given."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is not None:
        client.force_login(user)
    return client


def text_of(response) -> str:
    """The page's HTML with its runs of whitespace made single spaces, to search for a sentence."""
    return " ".join(response.content.decode().split())
