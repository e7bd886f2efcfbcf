"""Who may reach the epidemiologists' pages, and with which permission."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import AuditEntry, User
from statuses.models import StatusRecord
from visits.tests.conftest import make_venue, new_iin, staff_member
from visits.tests.epi_admin.conftest import tracing_url

pytestmark = pytest.mark.django_db


def test_the_epidemiologist_group_holds_the_visit_permissions():
    group = Group.objects.get(name="epidemiologist")
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert {
        "visits.trace_contacts",
        "visits.export_visits",
        "visits.view_person",
        "visits.view_visit",
        "visits.view_isolationpoint",
        "visits.add_isolationpoint",
        "visits.change_isolationpoint",
        "accounts.view_auditentry",
        "venues.view_venue",
        "venues.change_venue",
        "venues.view_region",
        "venues.change_region",
        "venues.view_organisation",
        "venues.view_category",
    } <= held
    assert not {"visits.change_visit", "visits.delete_visit", "accounts.change_auditentry"} & held
    assert Permission.objects.get(codename="trace_contacts").name == "Can trace contacts"


def epi_urls(venue) -> list[str]:
    return [
        reverse("admin:visits_visit_person"),
        reverse("admin:visits_visit_tracing"),
        reverse("admin:visits_visit_tracing_export"),
        reverse("admin:visits_visit_reports"),
        reverse("admin:visits_visit_venue_export", args=[venue.pk]),
        reverse("admin:visits_visit_changelist"),
        reverse("admin:visits_isolationpoint_changelist"),
        reverse("admin:accounts_auditentry_changelist"),
    ]


def test_epi_pages_load_for_an_epidemiologist(client, epi, scene):
    urls = [
        f"{reverse('admin:visits_visit_person')}?q={scene.case}",
        tracing_url(**scene.query()),
        f"{reverse('admin:visits_visit_tracing_export')}?{urlencode(scene.query())}",
        *epi_urls(scene.venue),
    ]

    statuses = {url: client.get(url).status_code for url in urls}

    # Without a case to trace, the export goes back to the tracing form.
    bare_export = reverse("admin:visits_visit_tracing_export")
    assert statuses == {**dict.fromkeys(urls, 200), bare_export: 302}


@pytest.mark.parametrize("who", ["citizen", "organisation admin", "venue staff"])
def test_epi_pages_send_people_without_staff_status_to_the_admin_sign_in(client, who):
    venue = make_venue()
    user = {
        "citizen": lambda: User.objects.create_user("+77011119999", iin=new_iin()),
        "organisation admin": lambda: venue.organisation.admin,
        "venue staff": lambda: staff_member(venue),
    }[who]()
    client.force_login(user)
    urls = epi_urls(venue)

    responses = {url: client.get(url) for url in urls}
    post = client.post(reverse("admin:visits_visit_tracing"), {"iin": new_iin()})

    assert {url: (r.status_code, r["Location"]) for url, r in responses.items()} == {
        url: (302, f"/admin/login/?next={url}") for url in urls
    }
    assert post.status_code == 302
    assert post["Location"].startswith("/admin/login/")


def test_epi_pages_are_refused_to_staff_outside_the_group(client):
    venue = make_venue()
    client.force_login(User.objects.create_user("+77011119999", is_staff=True))
    urls = epi_urls(venue)

    statuses = {url: client.get(url).status_code for url in urls}
    post = client.post(reverse("admin:visits_visit_tracing"), {"iin": new_iin()})

    assert statuses == dict.fromkeys(urls, 403)
    assert post.status_code == 403
    assert AuditEntry.objects.count() == 0


def test_viewing_visits_alone_does_not_open_the_person_tracing_or_exports(client, scene):
    viewer = User.objects.create_user("+77011119999", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_visit"))
    client.force_login(viewer)
    refused = [
        f"{reverse('admin:visits_visit_person')}?q={scene.case}",
        tracing_url(**scene.query()),
        f"{reverse('admin:visits_visit_tracing_export')}?{urlencode(scene.query())}",
        reverse("admin:visits_visit_venue_export", args=[scene.venue.pk]),
    ]

    statuses = {url: client.get(url).status_code for url in refused}

    assert statuses == dict.fromkeys(refused, 403)
    assert client.get(reverse("admin:visits_visit_reports")).status_code == 200
    assert AuditEntry.objects.count() == 0


def test_marking_needs_the_permission_to_add_status_records(client, scene):
    tracer = User.objects.create_user("+77011119999", is_staff=True)
    tracer.user_permissions.add(Permission.objects.get(codename="trace_contacts"))
    client.force_login(tracer)
    page = client.get(tracing_url(**scene.query()))

    response = client.post(
        tracing_url(),
        scene.query(as_of=page.context["as_of"], contact=[scene.holder.iin]),
    )

    assert page.context["can_mark"] is False
    assert 'name="contact"' not in page.content.decode()
    assert response.status_code == 403
    assert StatusRecord.objects.count() == 0
