"""The CSV exports: the contacts of a case and a venue's visits, spreadsheet-safe and audited."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, User
from visits.models import Visit
from visits.tests.conftest import make_visit, new_iin
from visits.tests.epi_admin.conftest import Scene, at, read_csv, tracing_url

pytestmark = pytest.mark.django_db


def test_tracing_export_is_a_spreadsheet_safe_csv_with_full_iins(client, epi, scene):
    response = client.get(reverse("admin:visits_visit_tracing_export"), scene.query())

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="ashyq-contacts-20210920-1200.csv"'
    )
    assert read_csv(response) == [
        [
            "Contact IIN",
            "Name",
            "Phone",
            "Venue",
            "Contact from",
            "Contact to",
            "Case from",
            "Case to",
            "Overlap, minutes",
        ],
        [
            scene.holder.iin,
            "Айгерім Сәрсенова",
            # A leading + is a formula to a spreadsheet too.
            "'+77011110001",
            "Магнум",
            "2021-09-20 10:30",
            "2021-09-20 11:30",
            "2021-09-20 10:00",
            "2021-09-20 11:00",
            "30",
        ],
        [
            scene.no_account,
            "",
            "",
            "Магнум",
            "2021-09-20 10:40",
            "2021-09-20 12:00",
            "2021-09-20 10:00",
            "2021-09-20 11:00",
            "20",
        ],
    ]
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.iin, entry.ip, entry.detail) == (
        epi,
        "exported",
        scene.case,
        "127.0.0.1",
        {"export": "tracing", "days": 14, "minutes": 15, "contacts": 2, "rows": 2},
    )


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_tracing_export_neutralises_a_formula_in_a_name(client, epi, first):
    scene = Scene(contact_name=f'{first}HYPERLINK("http://evil";"Айгерім")')

    response = client.get(reverse("admin:visits_visit_tracing_export"), scene.query())

    rows = read_csv(response)
    assert rows[1][1] == f'\'{first}HYPERLINK("http://evil";"Айгерім")'
    assert rows[1][3] == "Магнум"


def test_tracing_export_with_a_bad_iin_goes_back_to_the_form(client, epi):
    response = client.get(reverse("admin:visits_visit_tracing_export"), {"iin": "12"})

    assert response.status_code == 302
    assert response["Location"] == tracing_url(iin="12")
    assert AuditEntry.objects.count() == 0


def test_venue_export_has_full_iins_cyrillic_and_no_formulas(client, epi, scene):
    attacker = User.objects.create_user(
        "+77011110002", iin=new_iin(), full_name="=cmd|' /C calc'!A0"
    )
    make_visit(
        scene.venue,
        iin=attacker.iin,
        user=attacker,
        checked_in_at=at(11, 50),
        admitted=False,
        status="yellow",
        denial_code="yellow_too_far",
    )
    Visit.objects.filter(iin=scene.holder.iin).update(user=scene.holder)
    url = reverse("admin:visits_visit_venue_export", args=[scene.venue.pk])

    response = client.get(url, {"day_from": "2021-09-20"})

    rows = read_csv(response)
    assert rows[0] == [
        "Checked in",
        "Checked out",
        "IIN",
        "Name",
        "Status",
        "Decision",
        "Reason",
        "How",
        "Recorded by",
    ]
    assert rows[1] == [
        "2021-09-20 11:50",
        "",
        attacker.iin,
        "'=cmd|' /C calc'!A0",
        "Yellow",
        "denied",
        "yellow status, too far from home",
        "self scan",
        "",
    ]
    assert [row[2] for row in rows[1:]] == [
        attacker.iin,
        scene.near_miss,
        scene.no_account,
        scene.holder.iin,
        scene.case,
    ]
    assert rows[4][3] == "Айгерім Сәрсенова"
    assert response["Content-Disposition"] == (
        f'attachment; filename="ashyq-venue-{scene.venue.pk}-visits.csv"'
    )
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type, entry.object_id, entry.detail) == (
        epi,
        "exported",
        "venues.venue",
        str(scene.venue.pk),
        {"export": "venue visits", "rows": 5, "filters": {"day_from": "2021-09-20"}},
    )


def test_venue_export_of_an_unknown_venue_is_404(client, epi):
    response = client.get(reverse("admin:visits_visit_venue_export", args=[987654]))

    assert response.status_code == 404
    assert AuditEntry.objects.count() == 0
