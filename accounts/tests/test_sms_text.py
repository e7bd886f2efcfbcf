"""SMS are plain text, and a name someone typed cannot carry a link into one."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from accounts.sms_text import sms_render, sms_safe_name

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").glob("*/sms/*.txt"))
AWKWARD = 'McDonald\'s "Dostyk" <b>&</b>'


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("McDonald's", "McDonald's"),
        ('Кафе "Дос" & Co', 'Кафе "Дос" & Co'),
        ("  Corner\n\tshop  ", "Corner shop"),
        (
            "Your status is RED. Appeal within 1 hour at evil.example/appeal",
            "Your status is RED. Appeal within 1 hou…",
        ),
        ("Shop https://evil.example/x?y=1 now", "Shop now"),
        ("Shop http://192.168.0.1/login", "Shop"),
        ("Shop www.evil.kz", "Shop"),
        ("Shop bit.ly/abc", "Shop"),
        ("Go to EVIL.EXAMPLE", "Go to"),
        ("Дүкен сайт.қаз/кіру", "Дүкен"),
        ("Write to help@evil.example", "Write to"),
        ("Magnum Cash&Carry № 5", "Magnum Cash&Carry № 5"),
        ("A" * 40, "A" * 40),
        ("A" * 41, "A" * 39 + "…"),
        ("evil.example", ""),
    ],
)
def test_sms_safe_name(name, expected):
    assert sms_safe_name(name) == expected


def test_sms_safe_name_is_never_longer_than_the_limit():
    assert len(sms_safe_name("Words " * 50)) == 40


@pytest.mark.parametrize(
    "template", TEMPLATES, ids=lambda path: f"{path.parent.parent.name}/sms/{path.name}"
)
@pytest.mark.parametrize("language", ["en", "kk", "ru"])
def test_every_sms_template_renders_plain_text(template, language):
    name = f"{template.parent.parent.name}/sms/{template.name}"
    context = {
        "code": AWKWARD,
        "venue": AWKWARD,
        "site": AWKWARD,
        "status_name": AWKWARD,
        "until": datetime.datetime(2021, 9, 14, 10, 30, tzinfo=datetime.UTC),
    }

    with translation.override(language):
        text = sms_render(name, context)

    if re.search(r"\{\{ (code|venue|site|status_name) \}\}", template.read_text()):
        assert AWKWARD in text
    assert not re.search(r"&(#x?[0-9a-f]+|quot|amp|lt|gt);", text, re.IGNORECASE)


def test_every_sms_is_rendered_without_the_html_escaping():
    """No code renders an SMS template through the HTML engine's autoescape."""
    offenders = []
    for path in Path(settings.BASE_DIR).glob("*/*.py"):
        if path.parts[-2] in (".venv", "tests") or "node_modules" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if re.search(r"render_to_string\(\s*f?[\"'][^\"']*/sms/", source):
            offenders.append(str(path))
    assert offenders == []
    assert len(TEMPLATES) >= 4
