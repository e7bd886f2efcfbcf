"""What the tests of the statuses admin share: an epidemiologist signed in in English,
the clock at noon, and builders of records, imports and the add form."""

import pytest
from django.conf import settings

from accounts.tests.constants import DAY, NOW
from statuses.models import LabImport, StatusRecord
from statuses.tests.factories import epidemiologist, iin

IIN_A = iin(1)
IIN_B = iin(2)


@pytest.fixture(autouse=True)
def _stopped_clock(now) -> None:
    """Every admin test runs at NOW (the `now` fixture of statuses/tests/conftest.py)."""


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def epi(client):
    user = epidemiologist()
    client.force_login(user)
    return user


def record(**fields) -> StatusRecord:
    defaults = {
        "iin": IIN_A,
        "status": "red",
        "source": "manual",
        "valid_from": NOW - DAY,
        "valid_until": NOW + 9 * DAY,
        "note": "confirmed by phone",
    }
    return StatusRecord.objects.create(**{**defaults, **fields})


def lab_import(by, **fields) -> LabImport:
    return LabImport.objects.create(file_name="results.csv", content=b"", created_by=by, **fields)


def add_form(**fields) -> dict[str, str]:
    data = {
        "iin": IIN_A,
        "source": "manual",
        "status": "red",
        "valid_from_0": "2021-09-20",
        "valid_from_1": "09:00:00",
        "valid_until_0": "2021-09-30",
        "valid_until_1": "09:00:00",
        "note": "Positive rapid test seen at the clinic",
    }
    return {**data, **fields}
