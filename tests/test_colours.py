"""docs/rules.md §8: status colours meet WCAG AA contrast and always carry a text label.

The colours are read from static/css/ashyq.css itself, so a new shade that
fails AA fails here. Contrast is WCAG 2's: relative luminance of sRGB, ratio
(L1 + 0.05) / (L2 + 0.05); AA is 4.5:1 for text and 3:1 for focus rings.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from statuses.models import StatusChoices
from statuses.selectors import status_info
from tests.sample import give_status, person

CSS = Path(settings.BASE_DIR) / "static" / "css" / "ashyq.css"
TEXT_AA = 4.5
NON_TEXT_AA = 3.0


def css_rules(css: str) -> dict[str, dict[str, str]]:
    """Selector → declarations, one entry per selector of a selector list."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {
            name.strip(): value.strip()
            for name, value in (part.split(":", 1) for part in body.split(";") if ":" in part)
        }
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)
    return rules


RULES = css_rules(CSS.read_text(encoding="utf-8"))


def colour(selector: str, prop: str) -> str:
    value = RULES[selector][prop]
    variable = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if variable:
        value = RULES[":root"][variable.group(1)]
    return hex_colour(value)


def hex_colour(value: str) -> str:
    """#rrggbb from #rrggbb or #rgb."""
    assert re.fullmatch(r"#([0-9a-fA-F]{3}){1,2}", value), value
    if len(value) == 4:
        value = "#" + "".join(2 * digit for digit in value[1:])
    return value.lower()


def luminance(hex_colour: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


STATUS_CLASSES = [f"status-{value}" for value in StatusChoices.values] + ["status-none"]


def status_pairs() -> list[tuple[str, str, str]]:
    """(where, text, background) for every status colour in every place it is drawn."""
    pairs = []
    for name in STATUS_CLASSES:
        background = colour(f".{name}", "background")
        # The status card: its own text colour, else the card's.
        text = RULES[f".{name}"].get("color") and colour(f".{name}", "color")
        pairs.append((f".status-card.{name}", text or colour(".status-card", "color"), background))
        # The pill on the venue page and the staff answer.
        if name != "status-none":
            pill = f".status-line.{name}"
            text = colour(pill, "color") if pill in RULES else colour(".status-line", "color")
            pairs.append((pill, text, background))
    for selector in sorted(s for s in RULES if re.fullmatch(r"\.answer-[a-z]+", s)):
        if "background" in RULES[selector]:
            pairs.append((selector, colour(".answer", "color"), colour(selector, "background")))
    return pairs


def test_every_status_and_answer_colour_is_found():
    places = [where for where, _text, _background in status_pairs()]

    assert len(places) == 12
    assert {".answer-yes", ".answer-no", ".answer-exit", ".status-line.status-yellow"} <= set(
        places
    )


@pytest.mark.parametrize(("where", "text", "background"), status_pairs())
def test_status_colours_meet_wcag_aa(where, text, background):
    assert contrast(text, background) >= TEXT_AA, f"{where}: {contrast(text, background):.2f}:1"


@pytest.mark.parametrize(
    ("where", "text", "background"),
    [
        ("button", ".button", ".button"),
        ("secondary button", ".button.secondary", ".button.secondary"),
        ("header", ".brand", ".top"),
        (
            "chosen language",
            ".lang-switch button[aria-current]",
            ".lang-switch button[aria-current]",
        ),
        ("error", ".error", ":root"),
        ("help text", ".help", ":root"),
        ("footer", ".bottom", ":root"),
        ("message", ":root", ".message"),
        ("error message", ".message.error", ".message.error"),
        ("success message", ":root", ".message.success"),
    ],
)
def test_other_text_meets_wcag_aa(where, text, background):
    def pick(selector: str, prop: str) -> str:
        if selector == ":root":
            return colour(":root", "--ink" if prop == "color" else "--paper")
        return colour(selector, prop)

    ratio = contrast(pick(text, "color"), pick(background, "background"))

    assert ratio >= TEXT_AA, f"{where}: {ratio:.2f}:1"


def test_the_focus_ring_shows_on_the_header_and_on_white():
    focus = RULES["button:focus-visible"]
    outline = hex_colour(re.search(r"#[0-9a-fA-F]+", focus["outline"]).group())
    shadow = hex_colour(re.search(r"#[0-9a-fA-F]+", focus["box-shadow"]).group())
    # The inner ring against the blue of buttons and header, the outer one against the page.
    assert contrast(outline, colour(":root", "--brand")) >= NON_TEXT_AA
    assert contrast(shadow, colour(":root", "--paper")) >= NON_TEXT_AA


@pytest.mark.django_db
@pytest.mark.parametrize("status", StatusChoices.values)
@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_status_is_named_in_words(status, language):
    citizen = person("Айгерім Сәрсенова")
    if status != "blue":
        give_status(citizen.iin, status)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(citizen)

    html = client.get(reverse("home")).content.decode()

    title = getattr(status_info(status), f"title_{language}")
    assert f'<section class="status-card status-{status}"' in html
    assert f'<h1 id="status-title" class="status-name">{title}</h1>' in html
