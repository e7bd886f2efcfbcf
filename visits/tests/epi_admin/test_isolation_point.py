"""The place of home isolation set in the admin, and the admin's language switch."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import AuditEntry, User
from visits.models import IsolationPoint
from visits.tests.conftest import new_iin
from visits.tests.epi_admin.conftest import entries

pytestmark = pytest.mark.django_db


def test_isolation_point_set_by_an_epidemiologist_is_audited(client, epi):
    iin = new_iin()

    response = client.post(
        reverse("admin:visits_isolationpoint_add"),
        {"iin": iin, "address": "Abai 1, flat 5", "latitude": "43.238949", "longitude": "76.9"},
    )

    point = IsolationPoint.objects.get()
    assert response.status_code == 302
    assert (point.iin, point.address, str(point.latitude), point.updated_by) == (
        iin,
        "Abai 1, flat 5",
        "43.238949",
        epi,
    )
    assert entries() == [
        (epi, "isolation_set", iin, "visits.isolationpoint", str(point.pk), "127.0.0.1")
    ]

    client.post(
        reverse("admin:visits_isolationpoint_change", args=[point.pk]),
        {"address": "Dostyk 2", "latitude": "43.2", "longitude": "76.95"},
    )

    point.refresh_from_db()
    assert (point.iin, point.address) == (iin, "Dostyk 2")
    assert [e.action for e in AuditEntry.objects.all()] == ["isolation_set", "isolation_set"]


def test_isolation_point_refuses_a_malformed_iin(client, epi):
    response = client.post(
        reverse("admin:visits_isolationpoint_add"),
        {"iin": "123", "address": "Abai 1", "latitude": "43.2", "longitude": "76.9"},
    )

    assert response.context["adminform"].form.errors == {
        "iin": ["An IIN must be exactly 12 digits long."]
    }
    assert IsolationPoint.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(("before", "after"), [("kk", "ru"), ("ru", "en"), ("en", "kk")])
def test_admin_header_switches_the_language(client, before, after):
    epi = User.objects.create_user("+77010009999", is_staff=True, language=before)
    epi.groups.add(Group.objects.get(name="epidemiologist"))
    client.force_login(epi)
    client.cookies["django_language"] = before
    page = reverse("admin:statuses_statusrecord_changelist")

    html = client.get(page).content.decode()
    # The header carries the portal's switch: all three languages, the
    # current one marked and disabled, back to this page afterwards.
    assert f'<input type="hidden" name="next" value="{page}">' in html
    for code in ("kk", "ru", "en"):
        assert f'name="language" value="{code}" lang="{code}"' in html
    assert f'value="{before}" lang="{before}" aria-current="true" disabled' in html

    response = client.post(reverse("language"), {"language": after, "next": page})

    assert response.status_code == 302
    assert response["Location"] == page
    epi.refresh_from_db()
    assert epi.language == after
    assert client.get(page).content.decode().count(f'<html lang="{after}"') == 1
