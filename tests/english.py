"""Find English left on a page that should be Kazakh or Russian."""

import re
from html.parser import HTMLParser

# Words that are the same in every language of the portal. CSV, SVG and PNG
# name file formats, as in "CSV жүктеу" / "Скачать CSV".
ALLOWED_LATIN = {
    "Ashyq",
    "SMS",
    "QR",
    "English",
    "cookie",
    "IIN",
    "BIN",
    "PCR",
    "CSV",
    "SVG",
    "PNG",
}
VISIBLE_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label"}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _VisibleText(HTMLParser):
    """Visible text and visible attributes, minus what is marked `lang="en"` on purpose
    (the language switch, the trilingual poster) and minus scripts, styles and SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        # One entry per open element: whether it hides its content from the check.
        self._open: list[tuple[str, bool]] = []

    @property
    def _hidden(self) -> bool:
        return any(hides for _, hides in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if not self._hidden:
            for name in VISIBLE_ATTRIBUTES & attributes.keys():
                self.chunks.append(attributes[name] or "")
        if tag in VOID_ELEMENTS:
            return
        hides = tag in {"script", "style", "title", "svg"} or attributes.get("lang") == "en"
        self._open.append((tag, hides))

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching element; HTML lets some end tags be left out.
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.chunks.append(data)


def english_words(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(parser.chunks)
    return [word for word in LATIN_WORD.findall(text) if word not in ALLOWED_LATIN]
