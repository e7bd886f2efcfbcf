"""Ashyq can be added to a phone's home screen: an icon and a web app manifest."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_ico_answers_on_a_first_visit():
    # No language cookie: a first visit must not be sent to the language choice.
    response = Client().get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/icons/favicon.ico"
    assert finders.find("icons/favicon.ico")


def test_the_manifest_names_ashyq_and_starts_on_the_status_page():
    response = Client().get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="kk")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Ashyq"
    assert manifest["start_url"] == reverse("home") == "/"
    assert manifest["theme_color"] == "#0b5394"
    assert [(icon["type"], icon["sizes"]) for icon in manifest["icons"]] == [
        ("image/svg+xml", "any"),
        ("image/png", "192x192"),
        ("image/png", "512x512"),
    ]
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_every_page_links_the_icon_and_the_manifest():
    client = Client()
    client.cookies["django_language"] = "kk"

    html = client.get(reverse("language")).content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<link rel="icon" href="/static/icons/ashyq.svg" type="image/svg+xml">' in html
