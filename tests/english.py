"""Find English left on a page that should be Kazakh or Russian."""

import re
from html.parser import HTMLParser

# Words that are the same in every language of the portal.
ALLOWED_LATIN = {"Ashyq", "SMS", "QR", "English", "cookie", "IIN", "BIN", "PCR"}
VISIBLE_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label"}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0
        self._foreign = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"script", "style", "title"} or tag == "svg":
            self._skip += 1
        # Text marked as another language on purpose (the language names).
        if attributes.get("lang") == "en":
            self._foreign += 1
        for name in VISIBLE_ATTRIBUTES & attributes.keys():
            self.chunks.append(attributes[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "title", "svg"} and self._skip:
            self._skip -= 1
        if self._foreign and tag in {"span", "button", "a", "p"}:
            self._foreign -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._foreign:
            self.chunks.append(data)


def english_words(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(parser.chunks)
    return [word for word in LATIN_WORD.findall(text) if word not in ALLOWED_LATIN]
