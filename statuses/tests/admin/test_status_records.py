"""The status-record admin (docs/rules.md §5): who may open it, adding and lifting records
through the services, never changing or deleting them."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.tests.constants import ALMATY, DAY, NOW
from statuses.models import LabImport, StatusRecord
from statuses.services import record_lift
from statuses.tests.admin.conftest import (
    IIN_A,
    IIN_B,
    add_form,
    lab_import,
    record,
)
from statuses.tests.factories import UserFactory, epidemiologist

pytestmark = pytest.mark.django_db


def test_the_epidemiologist_group_has_exactly_its_permissions():
    group = Group.objects.get(name="epidemiologist")

    assert sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()) == [
        "accounts.view_auditentry",
        "accounts.view_user",
        "statuses.add_labimport",
        "statuses.add_statusrecord",
        "statuses.change_statusinfo",
        "statuses.lift_statusrecord",
        "statuses.view_labimport",
        "statuses.view_labresult",
        "statuses.view_notification",
        "statuses.view_statusinfo",
        "statuses.view_statusrecord",
        "venues.change_region",
        "venues.change_venue",
        "venues.view_category",
        "venues.view_organisation",
        "venues.view_region",
        "venues.view_venue",
        "visits.add_isolationpoint",
        "visits.change_isolationpoint",
        "visits.export_visits",
        "visits.trace_contacts",
        "visits.view_isolationpoint",
        "visits.view_person",
        "visits.view_visit",
    ]
    assert Permission.objects.get(codename="lift_statusrecord").name == "Can lift status records"


def admin_urls(user) -> list[str]:
    existing = record()
    done = lab_import(user, state=LabImport.State.DONE)
    return [
        reverse("admin:index"),
        reverse("admin:statuses_statusrecord_changelist"),
        reverse("admin:statuses_statusrecord_add"),
        reverse("admin:statuses_statusrecord_change", args=[existing.pk]),
        reverse("admin:statuses_statusrecord_lift", args=[existing.pk]),
        reverse("admin:statuses_labimport_changelist"),
        reverse("admin:statuses_labimport_add"),
        reverse("admin:statuses_labimport_change", args=[done.pk]),
        reverse("admin:statuses_labresult_changelist"),
        reverse("admin:statuses_notification_changelist"),
        reverse("admin:statuses_statusinfo_changelist"),
        reverse("admin:statuses_statusinfo_change", args=["red"]),
    ]


def test_admin_pages_load_for_an_epidemiologist(client, epi):
    statuses = {url: client.get(url).status_code for url in admin_urls(epi)}

    assert statuses == dict.fromkeys(statuses, 200)


def test_admin_pages_are_refused_to_a_citizen(client):
    citizen = UserFactory()
    client.force_login(citizen)

    responses = {url: client.get(url) for url in admin_urls(citizen)}

    assert {url: (r.status_code, r["Location"]) for url, r in responses.items()} == {
        url: (302, f"/admin/login/?next={url}") for url in responses
    }
    assert (
        client.get(reverse("admin:statuses_statusrecord_changelist"), follow=True).status_code
        == 403
    )


def test_admin_pages_are_refused_to_staff_without_the_group(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    urls = admin_urls(staff)[1:]

    statuses = {url: client.get(url).status_code for url in urls}

    assert statuses == dict.fromkeys(urls, 403)


def test_status_record_changelist_shows_full_iins(client, epi):
    record(iin=IIN_A)

    html = client.get(reverse("admin:statuses_statusrecord_changelist")).content.decode()

    assert IIN_A in html


def test_status_record_search_by_phone_finds_the_records_of_that_account(client, epi):
    UserFactory(phone="+77011234567", iin=IIN_A)
    mine = record(iin=IIN_A)
    other = record(iin=IIN_B)
    url = reverse("admin:statuses_statusrecord_changelist")

    found = {
        query: list(client.get(url, {"q": query}).context["cl"].result_list)
        for query in [
            "+7 701 123 45 67",
            "87011234567",
            IIN_A,
            IIN_A[:6],
            f"{IIN_B[:6]} {IIN_B[6:]}",
        ]
    }

    assert found == {
        "+7 701 123 45 67": [mine],
        "87011234567": [mine],
        IIN_A: [mine],
        # Both born on 1 January 1985: the birth date finds them both.
        IIN_A[:6]: [other, mine],
        f"{IIN_B[:6]} {IIN_B[6:]}": [other],
    }


def test_status_record_filters_lifted(client, epi):
    open_record = record()
    lifted = record(lifted_at=NOW - DAY / 2, lift_reason="test error")
    url = reverse("admin:statuses_statusrecord_changelist")

    assert list(client.get(url, {"lifted": "yes"}).context["cl"].result_list) == [lifted]
    assert list(client.get(url, {"lifted": "no"}).context["cl"].result_list) == [open_record]


def test_status_record_add_requires_a_reason(client, epi):
    response = client.post(reverse("admin:statuses_statusrecord_add"), add_form(note="  "))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"note": ["This field is required."]}
    assert StatusRecord.objects.count() == 0


def test_status_record_add_refuses_a_malformed_iin(client, epi):
    bad = IIN_A[:11] + str((int(IIN_A[11]) + 1) % 10)

    response = client.post(reverse("admin:statuses_statusrecord_add"), add_form(iin=bad))

    assert response.context["adminform"].form.errors == {
        "iin": [
            "This IIN is not valid: the last digit does not match the others. Check it for a typo."
        ]
    }
    assert StatusRecord.objects.count() == 0


def test_status_record_add_creates_the_record_through_the_service(
    client, epi, sms_outbox, django_capture_on_commit_callbacks
):
    holder = UserFactory(iin=IIN_A, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:statuses_statusrecord_add"), add_form())

    created = StatusRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:statuses_statusrecord_changelist")
    assert (
        created.iin,
        created.status,
        created.source,
        created.valid_from,
        created.valid_until,
        created.created_by,
        created.note,
    ) == (
        IIN_A,
        "red",
        "manual",
        datetime.datetime(2021, 9, 20, 9, 0, tzinfo=ALMATY),
        datetime.datetime(2021, 9, 30, 9, 0, tzinfo=ALMATY),
        epi,
        "Positive rapid test seen at the clinic",
    )
    assert [(sms.to, sms.text) for sms in sms_outbox] == [
        (str(holder.phone), "Ashyq: your status is now red, until 30.09.2021 09:00.")
    ]
    assert LogEntry.objects.get().user == epi


def test_status_record_add_takes_the_vaccination_window_from_the_rules(client, epi):
    client.post(
        reverse("admin:statuses_statusrecord_add"),
        add_form(source="vaccination", status="", valid_until_0="", valid_until_1=""),
    )

    created = StatusRecord.objects.get()
    assert (created.status, created.valid_until - created.valid_from) == (
        "green",
        datetime.timedelta(days=365),
    )


def test_status_record_add_refuses_a_colour_the_source_does_not_give(client, epi):
    response = client.post(
        reverse("admin:statuses_statusrecord_add"), add_form(source="contact", status="green")
    )

    assert response.context["adminform"].form.errors == {
        "status": ["This source gives the colour Yellow."]
    }


def test_status_record_add_refuses_a_pcr_result_by_hand(client, epi):
    response = client.post(
        reverse("admin:statuses_statusrecord_add"), add_form(source="pcr_positive")
    )

    assert list(response.context["adminform"].form.errors) == ["source"]


def test_status_record_change_view_is_read_only(client, epi):
    existing = record()
    url = reverse("admin:statuses_statusrecord_change", args=[existing.pk])

    page = client.get(url)
    post = client.post(url, {"note": "changed"})

    assert page.context["adminform"].form.fields == {}
    assert 'name="_save"' not in page.content.decode()
    assert reverse("admin:statuses_statusrecord_lift", args=[existing.pk]) in page.content.decode()
    assert post.status_code == 403
    existing.refresh_from_db()
    assert existing.note == "confirmed by phone"


def test_status_record_cannot_be_deleted(client, epi):
    existing = record()

    response = client.post(
        reverse("admin:statuses_statusrecord_delete", args=[existing.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert StatusRecord.objects.count() == 1


def test_status_record_lift_requires_a_reason(client, epi):
    existing = record()

    response = client.post(
        reverse("admin:statuses_statusrecord_lift", args=[existing.pk]), {"reason": " "}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    existing.refresh_from_db()
    assert existing.lifted_at is None


def test_status_record_lift_records_who_and_why(client, epi):
    existing = record()

    response = client.post(
        reverse("admin:statuses_statusrecord_lift", args=[existing.pk]),
        {"reason": "The positive test was a mix-up"},
    )

    existing.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:statuses_statusrecord_change", args=[existing.pk])
    assert (existing.lifted_at, existing.lifted_by, existing.lift_reason) == (
        NOW,
        epi,
        "The positive test was a mix-up",
    )
    assert LogEntry.objects.get().get_change_message() == (
        "Changed lifted at, lifted by and reason for lifting."
    )


def test_status_record_lift_twice_shows_the_error(client, epi):
    existing = record()
    record_lift(record=existing, by=epidemiologist(), reason="first")

    response = client.post(
        reverse("admin:statuses_statusrecord_lift", args=[existing.pk]), {"reason": "second"}
    )

    assert response.status_code == 200
    assert "This record has already been lifted." in response.content.decode()
    existing.refresh_from_db()
    assert existing.lift_reason == "first"


def test_status_record_lift_needs_the_lift_permission(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_statusrecord"))
    client.force_login(viewer)
    existing = record()

    page = client.get(reverse("admin:statuses_statusrecord_change", args=[existing.pk]))
    lift = client.post(
        reverse("admin:statuses_statusrecord_lift", args=[existing.pk]), {"reason": "x"}
    )

    assert page.status_code == 200
    assert reverse("admin:statuses_statusrecord_lift", args=[existing.pk]) not in (
        page.content.decode()
    )
    assert lift.status_code == 403


def test_status_info_cannot_be_added_or_deleted(client, epi):
    add = client.get(reverse("admin:statuses_statusinfo_add"))
    delete = client.post(reverse("admin:statuses_statusinfo_delete", args=["red"]), {"post": "yes"})

    assert (add.status_code, delete.status_code) == (403, 403)


def test_status_record_add_refuses_a_second_contact_record_from_the_same_moment(client, epi):
    contact = add_form(source="contact", status="yellow")
    client.post(reverse("admin:statuses_statusrecord_add"), contact)

    response = client.post(reverse("admin:statuses_statusrecord_add"), contact)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This person already has a contact record from this moment."
    ]
    assert StatusRecord.objects.count() == 1
