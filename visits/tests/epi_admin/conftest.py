"""What the tests of the epidemiologists' admin pages (docs/rules.md §5) share:
an epidemiologist signed in, a traced case at a venue, the clock at noon."""

import csv
import datetime
import io
import itertools

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import AuditEntry, User
from accounts.tests.constants import ALMATY, NOW
from visits.tests.conftest import make_venue, make_visit, new_iin

BOM = b"\xef\xbb\xbf"
_phones = itertools.count(1)


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2021, 9, 20, hour, minute, tzinfo=ALMATY)


@pytest.fixture(autouse=True)
def _frozen(time_machine, settings):
    settings.TIME_ZONE = "Asia/Almaty"
    time_machine.move_to(NOW, tick=False)


def epidemiologist(**fields) -> User:
    fields.setdefault("full_name", "Dr Serik")
    user = User.objects.create_user(f"+7707{next(_phones):07d}", is_staff=True, **fields)
    user.groups.add(Group.objects.get(name="epidemiologist"))
    return user


@pytest.fixture
def epi(client) -> User:
    user = epidemiologist()
    client.force_login(user)
    return user


class Scene:
    """A case at a venue with a Cyrillic name, two contacts and one near miss."""

    def __init__(self, contact_name: str = "Айгерім Сәрсенова") -> None:
        self.venue = make_venue(name="Магнум", name_kk="Магнум", name_ru="Магнум", name_en="Магнум")
        self.case = new_iin()
        make_visit(self.venue, iin=self.case, checked_in_at=at(10), checked_out_at=at(11))
        self.holder = User.objects.create_user(
            "+77011110001", iin=new_iin(), full_name=contact_name, language="kk"
        )
        make_visit(
            self.venue, iin=self.holder.iin, checked_in_at=at(10, 30), checked_out_at=at(11, 30)
        )
        self.no_account = new_iin()
        # Still inside: the contact lasts until now, 20 minutes of the case's hour.
        make_visit(self.venue, iin=self.no_account, checked_in_at=at(10, 40))
        self.near_miss = new_iin()
        make_visit(
            self.venue, iin=self.near_miss, checked_in_at=at(10, 50), checked_out_at=at(11, 30)
        )

    def query(self, **extra) -> dict[str, str]:
        return {"iin": self.case, "days": "14", "minutes": "15", **extra}


@pytest.fixture
def scene() -> Scene:
    return Scene()


def tracing_url(**params) -> str:
    return (
        f"{reverse('admin:visits_visit_tracing')}?{urlencode(params)}"
        if params
        else (reverse("admin:visits_visit_tracing"))
    )


def read_csv(response) -> list[list[str]]:
    assert response.streaming
    content = b"".join(response.streaming_content)
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def entries() -> list[tuple]:
    return [
        (entry.actor, entry.action, entry.iin, entry.object_type, entry.object_id, entry.ip)
        for entry in AuditEntry.objects.order_by("id")
    ]
