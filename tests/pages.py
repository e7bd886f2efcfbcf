"""What every page must get right, whatever its language: checks on rendered HTML."""

import re
from html.parser import HTMLParser

from tests.english import english_words

URL = re.compile(r"https?://[^\s<>\"']+")
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
HTML_LANG = re.compile(r"<html[^>]*\slang=\"([^\"]*)\"")
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def english_on_page(html: str, neutral: list[str] = ()) -> list[str]:
    """English words a reader sees, the <title> included.

    Addresses (the poster's URL, the SMS link) and the venue codes printed on
    pages are not words of any language, so they are taken out first.
    """
    html = URL.sub(" ", html)
    for text in neutral:
        html = html.replace(text, " ")
    title = TITLE.search(html)
    return english_words(html) + english_words(title.group(1) if title else "")


def english_in_text(text: str) -> list[str]:
    """English in a plain text, an SMS."""
    return english_words(URL.sub(" ", text).replace("<", " "))


def html_lang(html: str) -> str | None:
    match = HTML_LANG.search(html)
    return match.group(1) if match else None


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.label_targets: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self._labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label":
            self._labels += 1
            if attributes.get("for"):
                self.label_targets.add(attributes["for"])
        if tag in {"input", "select", "textarea"}:
            if tag == "input" and (attributes.get("type") or "text") in UNLABELLED_TYPES:
                return
            if "hidden" in attributes:
                return
            self.fields.append({**attributes, "_tag": tag, "_in_label": str(self._labels > 0)})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._labels:
            self._labels -= 1


def unlabelled_fields(html: str) -> list[str]:
    """Visible form fields with no `<label for>`, no enclosing label and no aria-label."""
    parser = _Fields()
    parser.feed(html)
    missing = []
    for field in parser.fields:
        labelled = (
            (field.get("id") and field["id"] in parser.label_targets)
            or field["_in_label"] == "True"
            or field.get("aria-label")
            or field.get("aria-labelledby")
        )
        if not labelled:
            missing.append(f"<{field['_tag']} name={field.get('name')!r}>")
    return missing


def page_problems(html: str, language: str, neutral: list[str] = ()) -> list[str]:
    """Everything wrong with one page in `language`; empty when it is right."""
    problems = []
    lang = html_lang(html)
    if lang != language:
        problems.append(f'<html lang="{lang}">, expected "{language}"')
    english = english_on_page(html, neutral)
    if english:
        problems.append(f"English: {' '.join(english)}")
    unlabelled = unlabelled_fields(html)
    if unlabelled:
        problems.append(f"no label: {', '.join(unlabelled)}")
    return problems
