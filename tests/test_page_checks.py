"""The page checks the crawl relies on find what they should, and only that."""

import pytest

from tests.pages import english_in_text, english_on_page, page_problems, unlabelled_fields


@pytest.mark.parametrize(
    ("html", "missing"),
    [
        ('<label for="id_a">A</label><input id="id_a" name="a">', []),
        ('<label>A <input name="a"></label>', []),
        ('<input name="a" aria-label="A">', []),
        ('<input type="hidden" name="a"><button type="submit">Go</button>', []),
        ('<input name="a" hidden>', []),
        ('<label for="id_b">B</label><input id="id_a" name="a">', ["<input name='a'>"]),
        (
            '<select name="s"></select><textarea name="t"></textarea>',
            ["<select name='s'>", "<textarea name='t'>"],
        ),
    ],
)
def test_unlabelled_fields_are_found(html, missing):
    assert unlabelled_fields(html) == missing


def test_addresses_and_codes_are_not_english():
    html = (
        "<html lang='kk'><head><title>Ашық</title></head><body>"
        "<p>http://testserver/v/abcdefghjkmn/</p><code>xyzwvut</code></body></html>"
    )

    assert english_on_page(html, neutral=["xyzwvut"]) == []


def test_the_title_is_read_too():
    assert english_on_page("<title>Dashboard · Ashyq</title><p>Басты бет</p>") == ["Dashboard"]


def test_an_sms_link_is_not_english():
    assert english_in_text("Ashyq: https://ashyq.example/ сайтына кіріңіз") == []
    assert english_in_text("Ashyq sign-in code: 123456") == ["sign", "code"]


def test_a_page_in_another_language_is_reported():
    problems = page_problems('<html lang="ru"><body><p>Сәлем</p></body></html>', "kk")

    assert problems == ['<html lang="ru">, expected "kk"']
