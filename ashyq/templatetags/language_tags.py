"""The languages of the portal, each named in itself."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    """`(code, name)` pairs, never translated: a Kazakh speaker on a Russian page
    must still recognise "Қазақша"."""
    return settings.LANGUAGES
