"""docs/rules.md §3: the printed QR carries /v/<code>/ for ever; the kiosk QR rotates."""

import datetime
import io

import pytest
import time_machine
import zxingcpp
from django.urls import reverse

from accounts.tests.clients import client_for
from venues.models import StaffMembership
from venues.qr import kiosk_url, qr_file, qr_svg_inline
from venues.rules import kiosk_step, kiosk_token, kiosk_token_valid
from venues.services import venue_update
from venues.tests.conftest import SITE_URL, venue_data
from venues.tests.factories import UserFactory, VenueFactory

pytestmark = pytest.mark.django_db

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"
# 2021-09-10 06:00:15 UTC: fifteen seconds into a kiosk step.
T = datetime.datetime(2021, 9, 10, 6, 0, 15, tzinfo=datetime.UTC)


def permanent_url(venue, base: str = SITE_URL) -> str:
    return f"{base}/v/{venue.code}/"


def test_the_poster_shows_the_permanent_url_once(owner_client, venue):
    response = owner_client.get(reverse("venues:poster", args=[venue.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count(permanent_url(venue)) == 1
    assert f'<p class="url">{permanent_url(venue)}</p>' in html
    assert html.count("/v/") == 1


def test_the_poster_qr_encodes_exactly_the_permanent_url(owner_client, venue):
    response = owner_client.get(reverse("venues:poster", args=[venue.pk]))

    svg = qr_svg_inline(permanent_url(venue), scale=10)
    assert f'<div class="qr">{svg}</div>' in response.content.decode()


def test_the_poster_names_the_venue_and_says_what_to_do_in_three_languages(owner_client, venue):
    html = owner_client.get(reverse("venues:poster", args=[venue.pk])).content.decode()

    assert f'<h1 lang="kk">{venue.name_kk}</h1>' in html
    assert f'<p class="alt-name" lang="ru">{venue.name_ru}</p>' in html
    assert f'<p class="alt-name" lang="en">{venue.name_en}</p>' in html
    assert "Телефон камерасын QR кодқа бағыттап" in html
    assert "Наведите камеру телефона на QR-код" in html
    assert "Point your phone camera at the QR code" in html


def test_the_poster_url_comes_from_the_request_without_site_url(settings, owner_client, venue):
    settings.SITE_URL = ""

    response = owner_client.get(reverse("venues:poster", args=[venue.pk]))

    url = f"http://testserver/v/{venue.code}/"
    html = response.content.decode()
    assert f'<p class="url">{url}</p>' in html
    assert qr_svg_inline(url, scale=10) in html


def test_the_svg_download_is_the_qr_as_an_attachment(owner_client, venue):
    response = owner_client.get(reverse("venues:qr", args=[venue.pk, "svg"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"] == f'attachment; filename="ashyq-{venue.code}.svg"'
    assert response.content == qr_file(permanent_url(venue), "svg")
    assert b"<svg" in response.content


def test_the_png_download_is_the_qr_as_an_attachment(owner_client, venue):
    response = owner_client.get(reverse("venues:qr", args=[venue.pk, "png"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'attachment; filename="ashyq-{venue.code}.png"'
    assert response.content[:8] == PNG_MAGIC
    assert response.content == qr_file(permanent_url(venue), "png")


@pytest.mark.parametrize("kind", ["gif", "jpg", "pdf"])
def test_other_download_kinds_are_not_found(owner_client, venue, kind):
    response = owner_client.get(f"/venues/{venue.pk}/qr.{kind}")

    assert response.status_code == 404


def _decode_qr(png: bytes) -> list[bytes]:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    return [barcode.bytes for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.QRCode)]


@pytest.mark.parametrize("site_url", [SITE_URL, ""])
def test_the_png_download_decodes_to_the_permanent_url(settings, owner_client, venue, site_url):
    settings.SITE_URL = site_url

    response = owner_client.get(reverse("venues:qr", args=[venue.pk, "png"]))

    expected = permanent_url(venue, site_url or "http://testserver")
    assert _decode_qr(response.content) == [expected.encode()]


def test_the_code_never_changes_when_the_venue_is_edited(owner, owner_client, venue):
    code = venue.code
    poster_before = owner_client.get(reverse("venues:poster", args=[venue.pk])).content

    owner_client.post(
        reverse("venues:settings", args=[venue.pk]),
        venue_data(pcr="yes", max_stay_hours="8", capacity="70"),
    )
    venue.refresh_from_db()
    venue_update(venue, name_en="Renamed", capacity=99, address="Elsewhere 1")
    venue.refresh_from_db()

    assert venue.code == code
    assert venue.pcr_required is True
    assert venue.capacity == 99
    poster_after = owner_client.get(reverse("venues:poster", args=[venue.pk])).content
    assert qr_svg_inline(permanent_url(venue), scale=10).encode() in poster_before
    assert qr_svg_inline(permanent_url(venue), scale=10).encode() in poster_after


def test_the_code_cannot_be_set_through_a_form(owner_client, venue):
    code = venue.code

    owner_client.post(
        reverse("venues:settings", args=[venue.pk]), venue_data(code="mycode", pcr="yes")
    )

    venue.refresh_from_db()
    assert venue.code == code
    assert venue.pcr_required is True


def test_each_venue_has_its_own_code_and_kiosk_secret():
    first, second = VenueFactory(), VenueFactory()

    assert first.code != second.code
    assert first.kiosk_secret != second.kiosk_secret
    assert len(first.kiosk_secret) == 64


def test_the_kiosk_shows_a_qr_with_a_token_valid_now(owner_client, venue):
    token = kiosk_token(venue.kiosk_secret, kiosk_step(T.timestamp()))
    url = f"{permanent_url(venue)}?k={token}"

    with time_machine.travel(T, tick=False):
        response = owner_client.get(reverse("venues:kiosk", args=[venue.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == NEVER_CACHE
    assert kiosk_url(venue, permanent_url(venue), now=T.timestamp()) == url
    assert f'<div id="qr" class="qr kiosk-qr">{qr_svg_inline(url, scale=10)}</div>' in html
    assert kiosk_token_valid(venue.kiosk_secret, token, T.timestamp())
    assert reverse("venues:kiosk_code", args=[venue.pk]) in html
    assert '<meta http-equiv="refresh" content="30">' in html


def test_the_kiosk_url_comes_from_the_request_without_site_url(settings, owner_client, venue):
    settings.SITE_URL = ""
    token = kiosk_token(venue.kiosk_secret, kiosk_step(T.timestamp()))

    with time_machine.travel(T, tick=False):
        response = owner_client.get(reverse("venues:kiosk_code", args=[venue.pk]))

    url = f"http://testserver/v/{venue.code}/?k={token}"
    assert response.content == qr_svg_inline(url, scale=10).encode()


def test_the_kiosk_code_is_a_fresh_svg_never_cached(owner_client, venue):
    url = kiosk_url(venue, permanent_url(venue), now=T.timestamp())

    with time_machine.travel(T, tick=False):
        response = owner_client.get(reverse("venues:kiosk_code", args=[venue.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == NEVER_CACHE
    assert "Expires" in response
    assert response.content == qr_svg_inline(url, scale=10).encode()


def test_the_kiosk_code_changes_every_30_seconds(owner_client, venue):
    url = reverse("venues:kiosk_code", args=[venue.pk])

    with time_machine.travel(T, tick=False) as traveller:
        first = owner_client.get(url).content
        traveller.shift(14)
        same_step = owner_client.get(url).content
        traveller.shift(1)
        next_step = owner_client.get(url).content

    assert first == same_step
    assert next_step != first
    later = (T + datetime.timedelta(seconds=15)).timestamp()
    expected = qr_svg_inline(kiosk_url(venue, permanent_url(venue), now=later), scale=10)
    assert next_step == expected.encode()


def test_a_photo_of_the_kiosk_is_useless_a_minute_later(owner_client, venue):
    token = kiosk_token(venue.kiosk_secret, kiosk_step(T.timestamp()))

    assert kiosk_token_valid(venue.kiosk_secret, token, T.timestamp())
    assert kiosk_token_valid(venue.kiosk_secret, token, T.timestamp() + 30)
    assert not kiosk_token_valid(venue.kiosk_secret, token, T.timestamp() + 60)
    assert not kiosk_token_valid(VenueFactory().kiosk_secret, token, T.timestamp())


def test_the_kiosk_code_is_the_same_for_staff_and_admin(owner_client, venue):
    member = UserFactory()
    StaffMembership.objects.create(venue=venue, user=member)

    with time_machine.travel(T, tick=False):
        by_admin = owner_client.get(reverse("venues:kiosk_code", args=[venue.pk])).content
        by_staff = client_for(member).get(reverse("venues:kiosk_code", args=[venue.pk])).content

    assert by_admin == by_staff


@pytest.mark.parametrize("url_name", ["venues:poster", "venues:kiosk", "venues:detail"])
def test_a_venue_name_is_shown_as_text_not_markup(owner, url_name):
    venue = VenueFactory(
        organisation__admin=owner,
        name_kk="<script>alert(1)</script>",
        name_ru="<b>Shop</b>",
        name_en="<i>Shop</i>",
    )

    html = client_for(owner).get(reverse(url_name, args=[venue.pk])).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<b>Shop</b>" not in html
    assert "<i>Shop</i>" not in html
    assert "&lt;" in html
