"""The text of an SMS: plain text, and nothing a sender can turn into a lure.

SMS templates live beside the HTML ones (`templates/<app>/sms/*.txt`) for
their `{% blocktranslate %}`, but an SMS is not HTML: rendered with Django's
autoescape, `McDonald's` arrives as `McDonald&#x27;s`. And words a venue owner
typed reach a stranger's phone under the Ashyq name, so they are cut short
and stripped of anything a phone would turn into a link.
"""

import re
from typing import Any

from django.template import Context
from django.template.loader import get_template

# A scheme or www. prefix, or something dotted that ends in a top-level
# domain of letters (`evil.example`, `bit.ly/x`, `сайт.қаз`), with any path.
_LINK = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S*"
    r"|\b(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}\b(?:/\S*)?"
    r"|\S+@\S+",
    re.IGNORECASE,
)

NAME_LIMIT = 40


def sms_render(template_name: str, context: dict[str, Any]) -> str:
    """Render an SMS template with autoescape off, in the active language."""
    template = get_template(template_name)
    # The backend's wrapper always escapes; its engine template takes a Context.
    return template.template.render(Context(context, autoescape=False)).strip()


def sms_safe_name(name: str, limit: int = NAME_LIMIT) -> str:
    """A user-given name fit to quote in an SMS: no links or addresses, at
    most `limit` characters (cut with "…"), on one line."""
    text = _LINK.sub(" ", name)
    text = " ".join(text.split()).strip(" .,:;-–—/")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
