"""The reports page: hot spots, denied attempts and idle venues."""

import pytest
from django.urls import reverse

from accounts.tests.constants import DAY, NOW
from statuses.models import StatusRecord
from visits.tests.conftest import make_venue, make_visit, new_iin

pytestmark = pytest.mark.django_db


def test_reports_page_links_each_venue_to_its_admin_page(client, epi):
    hot = make_venue(name="Hot", name_en="Hot market")
    case = new_iin()
    StatusRecord.objects.create(
        iin=case, status="red", source="manual", valid_from=NOW - DAY, valid_until=NOW + DAY
    )
    make_visit(hot, iin=case, checked_in_at=NOW - 2 * DAY, status="blue")
    make_visit(hot, iin=case, checked_in_at=NOW - DAY / 2, admitted=False, status="red")
    idle = make_venue(name="Idle", name_en="Idle shop")

    response = client.get(reverse("admin:visits_visit_reports"))

    html = response.content.decode()
    assert [(spot.venue, spot.visits) for spot in response.context["hot_spots"]] == [(hot, 1)]
    assert [(row.venue, row.red) for row in response.context["denied"]] == [(hot, 1)]
    assert [row.venue for row in response.context["idle"]] == [idle]
    assert reverse("admin:venues_venue_change", args=[hot.pk]) in html
    assert reverse("admin:venues_venue_change", args=[idle.pk]) in html
    assert reverse("admin:visits_visit_venue_export", args=[hot.pk]) in html


def test_reports_page_refuses_a_bad_number_of_days(client, epi):
    response = client.get(reverse("admin:visits_visit_reports"), {"days": "-1"})

    assert response.status_code == 200
    assert response.context["days"] == 14
    assert response.context["form"].errors["days"] == [
        "Ensure this value is greater than or equal to 1."
    ]
