"""Alphabetical order in the reader's language.

Sorting by code point puts «Ә», «Қ», «Ү»… after «Я» and «Ё» before «А», so
a Kazakh list of regions starts with Абай and ends with Қарағанды. The lists
sorted this way are short (regions, categories), so they are sorted in
Python with a key, the same on PostgreSQL and SQLite.
"""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.utils import translation

T = TypeVar("T")

ALPHABETS = {
    "kk": "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ",
    "ru": "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
    "en": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}
_RANKS = {
    language: {letter: rank for rank, letter in enumerate(alphabet)}
    for language, alphabet in ALPHABETS.items()
}


def collation_key(text: str, language: str | None = None) -> tuple:
    """A sort key for `text` in `language` (the active one by default).

    Letters of the language's alphabet come first, in its order, case
    ignored; anything else (digits, other scripts) after them by code point.
    Ties (different case) are broken by the text itself, so the order is total.
    """
    language = (language or translation.get_language() or "en").split("-")[0]
    ranks = _RANKS.get(language, _RANKS["en"])
    letters = []
    for char in text.strip().upper():
        if char.isspace() or char in "«»\"'“”()-.,":
            # Spaces and punctuation sort before any letter ("Жаңа дүкен" < "Жаңаарқа").
            letters.append((0, 0))
        elif char in ranks:
            letters.append((1, ranks[char]))
        else:
            letters.append((2, ord(char)))
    return (tuple(letters), text)


def sorted_by_name(
    items: Iterable[T], name: Callable[[T], str] = str, language: str | None = None
) -> list[T]:
    """`items` in alphabetical order of `name(item)` in the language."""
    return sorted(items, key=lambda item: collation_key(name(item), language))
