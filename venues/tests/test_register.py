"""docs/rules.md §3: a citizen registers an organisation and its venues, and edits them."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from accounts.tests.clients import client_for
from venues.models import CODE_ALPHABET, Category, Organisation, StaffMembership, Venue
from venues.tests.conftest import venue_data
from venues.tests.factories import UserFactory, VenueFactory

pytestmark = pytest.mark.django_db

REGISTER_URL = reverse("venues:register")
BIN = "050140001238"
# Valid IINs. The 5th digit of an IIN is the first digit of a day (0-3), so no
# IIN ever passes as a BIN (whose 5th digit is 4, 5 or 6).
IIN = "061211600012"
IIN_BORN_1990 = "900101300007"
T = datetime.datetime(2021, 9, 10, 6, 0, tzinfo=datetime.UTC)


def registration(bin: str = BIN, legal_name: str = "Dostyk Trade LLP", **venue) -> dict:
    return {"org-bin": bin, "org-legal_name": legal_name, **venue_data("venue-", **venue)}


def sign_in_url(path: str) -> str:
    return f"{reverse('account_request_login_code')}?next={path}"


def alerts(response) -> list[str]:
    """The form errors and the page-level error, as a person reads them."""
    return re.findall(r'role="alert">([^<]*)</p>', response.content.decode())


@pytest.fixture
def citizen() -> User:
    return UserFactory(full_name="Citizen Dana")


@pytest.fixture
def citizen_client(citizen):
    return client_for(citizen)


def test_register_creates_the_organisation_and_its_first_venue(citizen, citizen_client):
    response = citizen_client.post(REGISTER_URL, registration())

    venue = Venue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/venues/{venue.pk}/"
    organisation = Organisation.objects.get()
    assert (organisation.bin, organisation.legal_name, organisation.admin) == (
        BIN,
        "Dostyk Trade LLP",
        citizen,
    )
    assert venue.organisation == organisation
    assert (venue.name_kk, venue.name_ru) == ("Жаңа дүкен", "Новый магазин")
    assert venue.category.code == "grocery"
    assert venue.region.code == "almaty"
    assert venue.address == "Dostyk Avenue 5, Almaty"
    assert (venue.latitude, venue.longitude) == (Decimal("43.238949"), Decimal("76.889709"))
    assert venue.capacity == 40
    assert venue.max_stay == datetime.timedelta(hours=3)
    assert venue.kiosk_only is False
    assert venue.suspended is False
    assert StaffMembership.objects.count() == 0


def test_register_shows_the_venue_page_with_a_message(citizen_client):
    response = citizen_client.post(REGISTER_URL, registration(), follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [(f"/venues/{Venue.objects.get().pk}/", 302)]
    assert "Your organisation and venue are registered." in html
    assert f"<code>{Venue.objects.get().code}</code>" in html


def test_register_squeezes_the_spaces_in_the_legal_name(citizen_client):
    citizen_client.post(REGISTER_URL, registration(legal_name="  Dostyk   Trade\tLLP "))

    assert Organisation.objects.get().legal_name == "Dostyk Trade LLP"


def test_register_kiosk_only_is_stored(citizen_client):
    citizen_client.post(REGISTER_URL, registration(kiosk_only="on"))

    assert Venue.objects.get().kiosk_only is True


def test_register_gives_each_venue_an_unguessable_permanent_code(citizen_client):
    citizen_client.post(REGISTER_URL, registration())
    citizen_client.post(REGISTER_URL, registration())

    codes = list(Venue.objects.values_list("code", flat=True))
    assert len(codes) == 2
    assert len(set(codes)) == 2
    for code in codes:
        assert len(code) >= 10
        assert set(code) <= set(CODE_ALPHABET)
    assert not set(CODE_ALPHABET) & set("01ilo")
    assert Venue._meta.get_field("code").unique


@pytest.mark.parametrize(
    ("category", "pcr", "expected"),
    [
        ("cafe", "", True),
        ("gym", "", True),
        ("grocery", "", False),
        ("pharmacy", "", False),
        ("cafe", "no", False),
        ("cafe", "yes", True),
        ("grocery", "yes", True),
        ("grocery", "no", False),
    ],
)
def test_register_pcr_follows_the_category_unless_chosen(citizen_client, category, pcr, expected):
    data = registration(category=Category.objects.get(code=category).pk, pcr=pcr)

    response = citizen_client.post(REGISTER_URL, data)

    assert response.status_code == 302
    assert Venue.objects.get().pcr_required is expected


@pytest.mark.parametrize("hours", [1, 3, 5, 24])
def test_register_max_stay_hours_become_a_duration(citizen_client, hours):
    citizen_client.post(REGISTER_URL, registration(max_stay_hours=str(hours)))

    assert Venue.objects.get().max_stay == datetime.timedelta(hours=hours)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0", "Enter a number no less than 1."),
        ("25", "Enter a number no greater than 24."),
        ("", "Enter the maximum stay in hours."),
    ],
)
def test_register_refuses_a_max_stay_out_of_range(citizen_client, hours, message):
    response = citizen_client.post(REGISTER_URL, registration(max_stay_hours=hours))

    assert response.status_code == 200
    assert alerts(response) == [message]
    assert Venue.objects.count() == 0


def test_register_starts_a_week_of_test_mode(citizen_client):
    with time_machine.travel(T, tick=False):
        response = citizen_client.post(REGISTER_URL, registration(), follow=True)

    assert Venue.objects.get().test_mode_until == T + datetime.timedelta(days=7)
    # 17 September, 12:00 in Almaty.
    assert (
        "Test mode until 17.09.2021: check-ins work, but do not count yet."
        in response.content.decode()
    )


@pytest.mark.parametrize(
    ("bin", "message"),
    [
        ("12345", "БИН должен состоять ровно из 12 цифр."),
        ("0501400012345", "БИН должен состоять ровно из 12 цифр."),
        ("05014000123A", "БИН может содержать только цифры от 0 до 9."),
        ("051340001238", "Первые четыре цифры БИН должны быть годом и месяцем регистрации (ГГММ)."),
        ("050170001238", "Пятая цифра БИН должна быть 4, 5 или 6 (тип организации)."),
        ("050149001238", "Шестая цифра БИН должна быть от 0 до 3 (тип подразделения)."),
        (
            "050140001239",
            "Этот БИН недействителен: последняя цифра не сходится с остальными. "
            "Проверьте, нет ли опечатки.",
        ),
    ],
    ids=["short", "long", "letter", "month", "type", "division", "check-digit"],
)
def test_register_refuses_a_malformed_bin_saying_what_is_wrong(citizen, bin, message):
    response = client_for(citizen, "ru").post(REGISTER_URL, registration(bin=bin))

    assert response.status_code == 200
    assert alerts(response) == [message]
    assert Organisation.objects.count() == 0
    assert Venue.objects.count() == 0


def test_register_accepts_spaces_in_the_bin(citizen_client):
    citizen_client.post(REGISTER_URL, registration(bin=" 050140 001238 "))

    assert Organisation.objects.get().bin == BIN


def test_register_refuses_a_bin_registered_by_someone_else(citizen_client):
    theirs = VenueFactory(organisation__bin=BIN, organisation__legal_name="Theirs LLP")

    response = citizen_client.post(REGISTER_URL, registration())

    assert response.status_code == 200
    assert alerts(response) == [
        "This BIN is already registered in Ashyq by someone else. If you work there, ask the "
        "administrator of your organisation to invite you to its venues. If the organisation "
        "is yours, file a dispute below or call 1406: an operator checks the documents and "
        "transfers it to you."
    ]
    assert f'action="{reverse("venues:dispute")}"' in response.content.decode()
    assert list(Organisation.objects.all()) == [theirs.organisation]
    assert list(Venue.objects.all()) == [theirs]
    assert Organisation.objects.get().legal_name == "Theirs LLP"


def test_register_the_same_bin_again_adds_a_venue_to_the_organisation(citizen, citizen_client):
    citizen_client.post(REGISTER_URL, registration())

    response = citizen_client.post(
        REGISTER_URL, registration(legal_name="Another name", name_en="Second shop")
    )

    organisation = Organisation.objects.get()
    second = Venue.objects.latest("pk")
    assert response["Location"] == f"/venues/{second.pk}/"
    assert organisation.admin == citizen
    assert organisation.legal_name == "Dostyk Trade LLP"
    assert organisation.venues.count() == 2


@pytest.mark.parametrize("iin", [IIN, IIN_BORN_1990])
def test_register_accepts_an_individual_entrepreneurs_iin(citizen_client, iin):
    response = citizen_client.post(REGISTER_URL, registration(bin=iin))

    assert alerts(response) == []
    assert response.status_code == 302
    assert Organisation.objects.get().bin == iin


def test_register_says_what_is_wrong_with_a_mistyped_iin(citizen_client):
    response = citizen_client.post(REGISTER_URL, registration(bin="061211600013"))

    assert alerts(response) == [
        "This IIN is not valid: the last digit does not match the others. Check it for a typo."
    ]
    assert Organisation.objects.count() == 0


def test_register_needs_a_name_in_at_least_one_language(citizen_client):
    response = citizen_client.post(REGISTER_URL, registration(name_kk="", name_ru="", name_en=""))

    assert response.status_code == 200
    assert alerts(response) == ["Enter the name of the venue in at least one language."]
    assert Organisation.objects.count() == 0
    assert Venue.objects.count() == 0


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_register_accepts_a_name_in_one_language_only(citizen_client, language):
    names = {"name_kk": "", "name_ru": "", "name_en": "", f"name_{language}": "Бір ғана"}

    response = citizen_client.post(REGISTER_URL, registration(**names))

    venue = Venue.objects.get()
    assert response["Location"] == f"/venues/{venue.pk}/"
    assert getattr(venue, f"name_{language}") == "Бір ғана"
    assert venue.name == "Бір ғана"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_register_keeps_the_name_given_in_each_language(citizen, language):
    client_for(citizen, language).post(
        REGISTER_URL, registration(name_kk="Дүкен", name_ru="Магазин", name_en="Corner shop")
    )

    venue = Venue.objects.get()
    assert (venue.name_kk, venue.name_ru, venue.name_en) == ("Дүкен", "Магазин", "Corner shop")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latitude", "91", "Enter a number no greater than 90."),
        ("latitude", "-90.5", "Enter a number no less than -90."),
        ("longitude", "181", "Enter a number no greater than 180."),
        ("latitude", "", "Enter the latitude."),
        ("capacity", "0", "Enter a number no less than 1."),
        ("capacity", "", "Enter the capacity."),
        ("address", "", "Enter the address."),
        ("category", "", "Choose the kind of venue."),
        ("region", "", "Choose the region."),
    ],
)
def test_register_refuses_a_venue_field_out_of_range(citizen_client, field, value, message):
    response = citizen_client.post(REGISTER_URL, registration(**{field: value}))

    assert response.status_code == 200
    assert alerts(response) == [message]
    assert Organisation.objects.count() == 0
    assert Venue.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("org-bin", "Enter the BIN."),
        ("org-legal_name", "Enter the legal name of the organisation."),
    ],
)
def test_register_needs_the_organisation_data(citizen_client, field, message):
    response = citizen_client.post(REGISTER_URL, {**registration(), field: ""})

    assert alerts(response) == [message]
    assert Organisation.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_register_sends_an_anonymous_visitor_to_sign_in(client, method):
    data = registration() if method == "post" else None
    response = getattr(client, method)(REGISTER_URL, data)

    assert response.status_code == 302
    assert response["Location"] == sign_in_url(REGISTER_URL)
    assert Organisation.objects.count() == 0
