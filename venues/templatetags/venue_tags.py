from django import template

from accounts.models import User
from venues.selectors import venues_for

register = template.Library()


@register.inclusion_tag("venues/includes/my_venues.html")
def my_venues(user: User) -> dict:
    """ "My venues" on the status page, for anyone who works at one: a way to
    their check-in pages that needs no bookmark. Nothing for everyone else."""
    return {"venues": list(venues_for(user))}
