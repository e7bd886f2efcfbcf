"""The citizen's "Scan the code at the door" on the status page."""

import pytest
from django.utils import translation

from accounts.tests.clients import text_of
from visits.templatetags.scanning import site_origin
from visits.tests.conftest import citizen

NO_CAMERA = "Open your phone's camera app and point it at the QR code at the door."


@pytest.mark.parametrize(
    ("site_url", "origin"),
    [
        ("https://ashyq.example.kz", "https://ashyq.example.kz"),
        ("https://ashyq.example.kz/", "https://ashyq.example.kz"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://ashyq.example.kz/portal", "https://ashyq.example.kz"),
        ("", ""),
        ("ashyq.example.kz", ""),
        ("javascript:alert(1)", ""),
        ("ftp://ashyq.example.kz", ""),
    ],
)
def test_site_origin(site_url: str, origin: str) -> None:
    assert site_origin(site_url) == origin


@pytest.mark.django_db
def test_the_status_page_offers_the_door_scanner(client, settings):
    settings.SITE_URL = "https://ashyq.example.kz"
    client.force_login(citizen())

    html = text_of(client.get("/"))

    assert (
        '<section class="door-scan scanner" data-scanner="door" '
        'data-site-origin="https://ashyq.example.kz" aria-labelledby="door-scan-title">'
    ) in html
    # Hidden until the script finds a camera; without JavaScript the hint stays.
    assert "data-scan-start hidden" in html
    assert f"<p data-no-camera>{NO_CAMERA}</p>" in html
    assert '<script src="/static/js/scanner.js"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_door_scanner_speaks_the_citizens_language(client, language):
    client.force_login(citizen())
    client.cookies["django_language"] = language

    html = text_of(client.get("/"))

    with translation.override(language):
        for message in (
            "Scan the code at the door",
            "This is not the code of an Ashyq venue. Point the camera at the QR code at the door.",
            "The camera is blocked. Allow this site to use the camera in the browser settings, "
            "then try again.",
        ):
            translated = translation.gettext(message)
            assert translated != message
            assert translated in html
