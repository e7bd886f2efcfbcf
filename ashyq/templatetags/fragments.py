"""Parts of a page that are the same for every request in a language, rendered once.

The door pages are drawn after every scan, and much of each is fixed text: the
head's style sheet and icons, the skip link, the camera's button and messages,
the scripts. Django's `{% cache %}` would keep such a fragment in a cache and pay
a key hash and a pickle on every hit; a fragment that depends on nothing but the
language can be kept on its template node, once per language per process (a
deploy starts new processes, and with it new static URLs).
"""

from django import template
from django.utils import translation
from django.utils.safestring import SafeString

register = template.Library()


class PerLanguageNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self.rendered: dict[str | None, SafeString] = {}

    def render(self, context: template.Context) -> SafeString:
        language = translation.get_language()
        if language in self.rendered:
            return self.rendered[language]
        # Without the page's context: whatever the fragment shows must be the
        # same for everyone, so a variable of the request renders empty
        # instead of being kept and shown to the next person.
        html = self.nodelist.render(context.new())
        self.rendered[language] = html
        return html


@register.tag
def per_language(parser: template.base.Parser, token: template.base.Token) -> PerLanguageNode:
    """`{% per_language %}…{% endper_language %}`: rendered once per language and
    process, without the page's context (no variables, no csrf_token)."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("per_language takes no arguments")
    nodelist = parser.parse(("endper_language",))
    parser.delete_first_token()
    return PerLanguageNode(nodelist)
