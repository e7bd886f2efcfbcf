"""The staff page reads barcodes: a camera scan of an IIN, and an identity card's
barcode whose text carries the IIN among other data."""

import pytest
from django.utils import translation

from accounts.identifiers import SCAN_MESSAGES
from accounts.tests.clients import text_of
from visits.models import Visit
from visits.tests.conftest import citizen, make_venue, new_iin, staff_member
from visits.tests.test_staff import scan

pytestmark = pytest.mark.django_db


def test_an_id_card_barcode_checks_in_the_iin_inside_it(client):
    venue = make_venue()
    client.force_login(staff_member(venue))
    person = citizen("green")

    payload = f"САРСЕНОВА\x1dАЙГЕРИМ\x1d{person.iin}\x1d11.12.1990\x00N043215678"

    response = scan(client, venue, payload, source="")

    visit = Visit.objects.get()
    assert response.status_code == 200
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={visit.pk}&mode=entry"
    assert (visit.iin, visit.user, visit.method, visit.admitted) == (
        person.iin,
        person,
        "staff_barcode",
        True,
    )


def test_a_camera_scan_of_a_bare_iin_is_a_barcode_check_in(client):
    venue = make_venue()
    client.force_login(staff_member(venue))
    iin = new_iin()

    scan(client, venue, iin, source="camera")

    assert Visit.objects.values_list("iin", "method").get() == (iin, "staff_barcode")


def test_a_typed_iin_is_still_a_check_in_by_iin(client):
    venue = make_venue()
    client.force_login(staff_member(venue))

    scan(client, venue, new_iin(), source="")

    assert Visit.objects.get().method == "staff_iin"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        pytest.param("TICKET 2031-0042 ROW 7\x00SEAT 12", "no_iin", id="no IIN"),
        pytest.param(f"{new_iin()}\x1d{new_iin()}\x1dPASSPORT", "several_iins", id="two IINs"),
    ],
)
@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_barcode_without_one_iin_is_refused_in_the_staff_language(
    client, payload, code, language
):
    venue = make_venue()
    client.force_login(staff_member(venue))
    client.cookies["django_language"] = language

    response = scan(client, venue, payload, source="camera")

    with translation.override(language):
        message = str(SCAN_MESSAGES[code])
    with translation.override("en"):
        assert message != str(SCAN_MESSAGES[code]), "no translation"
    assert response.status_code == 400
    assert f'<p class="error" id="id_q_error" role="alert">{message}</p>' in text_of(response)
    assert Visit.objects.count() == 0


def test_the_camera_button_is_hidden_until_a_camera_is_found(client):
    venue = make_venue()
    client.force_login(staff_member(venue))

    html = text_of(client.get(f"/staff/{venue.pk}/"))

    assert '<div class="scanner" data-scanner="staff" data-form="scan-form">' in html
    assert 'id="camera" data-scan-start hidden' in html
    assert '<script src="/static/js/scanner.js"' in html
    assert 'data-wasm="/static/vendor/barcode-detector/3.2.2/zxing_reader.wasm"' in html
