import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.clients import client_for
from venues.models import Category, Region, Venue
from venues.tests.factories import UserFactory, VenueFactory

SITE_URL = "https://ashyq.example"


@pytest.fixture(autouse=True)
def _site_url(settings) -> None:
    settings.SITE_URL = SITE_URL


@pytest.fixture
def client() -> Client:
    return client_for()


@pytest.fixture
def owner() -> User:
    return UserFactory(full_name="Owner Aigerim")


@pytest.fixture
def venue(owner) -> Venue:
    return VenueFactory(organisation__admin=owner)


@pytest.fixture
def owner_client(owner) -> Client:
    return client_for(owner)


def venue_data(prefix: str = "", **overrides: object) -> dict[str, object]:
    """A valid venue form: a grocery in Almaty, named in three languages."""
    data: dict[str, object] = {
        "name_kk": "Жаңа дүкен",
        "name_ru": "Новый магазин",
        "name_en": "New shop",
        "category": Category.objects.get(code="grocery").pk,
        "region": Region.objects.get(code="almaty").pk,
        "address": "Dostyk Avenue 5, Almaty",
        "latitude": "43.238949",
        "longitude": "76.889709",
        "capacity": "40",
        "pcr": "",
        "max_stay_hours": "3",
    }
    data.update(overrides)
    return {f"{prefix}{name}": value for name, value in data.items()}


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("+77010000001", full_name="Operator Saule")
