"""{% per_language %}: the parts of a page that are the same for everyone in a language."""

import pytest
from django.template import Context, Engine, TemplateSyntaxError
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import translation

ENGINE = Engine(
    loaders=[
        (
            "django.template.loaders.locmem.Loader",
            {"fixed.html": "{% load i18n %}{% translate 'Sign out' %}"},
        )
    ],
    libraries={"fragments": "ashyq.templatetags.fragments", "i18n": "django.templatetags.i18n"},
)


def page(source: str):
    return ENGINE.from_string("{% load i18n fragments %}" + source)


def test_each_language_gets_its_own_words_and_keeps_them():
    template = page("{% per_language %}{% translate 'Sign out' %}{% endper_language %}")
    seen = {}
    for language in ("kk", "ru", "en", "kk", "ru"):
        with translation.override(language):
            seen.setdefault(language, set()).add(template.render(Context()))
    assert seen == {"kk": {"Жүйеден шығу"}, "ru": {"Выйти"}, "en": {"Sign out"}}


def test_a_fragment_is_drawn_once_per_language():
    template = page('{% per_language %}{% include "fixed.html" %}{% endper_language %}')
    drawn = []

    def count(sender, template, **kwargs):
        drawn.append(template.name)

    template_rendered.connect(count)
    try:
        with translation.override("ru"):
            pages = [template.render(Context()) for _ in range(3)]
        with translation.override("kk"):
            pages.append(template.render(Context()))
    finally:
        template_rendered.disconnect(count)
    assert pages == ["Выйти", "Выйти", "Выйти", "Жүйеден шығу"]
    assert drawn.count("fixed.html") == 2


def test_a_fragment_never_shows_what_belongs_to_one_request():
    """Kept and shown to the next person, a name would leak: the fragment does
    not see the page's variables at all."""
    template = page("{% per_language %}[{{ name }}]{% endper_language %}<{{ name }}>")
    with translation.override("en"):
        assert template.render(Context({"name": "Айгүл"})) == "[]<Айгүл>"
        assert template.render(Context({"name": "Ерлан"})) == "[]<Ерлан>"


def test_a_fragment_takes_no_arguments():
    with pytest.raises(TemplateSyntaxError, match="per_language takes no arguments"):
        page("{% per_language name %}{% endper_language %}")


@pytest.mark.django_db
def test_the_language_switch_marks_the_language_of_each_page(client):
    languages = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English"), ("kk", "Қазақша")]
    for language, current in languages:
        client.cookies["django_language"] = language
        html = client.get(reverse("account_request_login_code")).content.decode()
        assert f'aria-current="true" disabled>{current}</button>' in html, language
        assert html.count('aria-current="true"') == 1
