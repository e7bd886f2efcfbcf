"""The epidemiologists' admin pages (docs/rules.md §5): person page, contact tracing,
exports, reports, the audit log, and who may reach any of it."""

import csv
import datetime
import io
import itertools
import zoneinfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core import signing
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from accounts.models import AuditEntry, User
from statuses.models import StatusRecord
from visits.admin.pages import AS_OF_SALT
from visits.models import IsolationPoint, Visit
from visits.tests.conftest import make_venue, make_visit, new_iin, staff_member

pytestmark = pytest.mark.django_db

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
NOW = datetime.datetime(2021, 9, 20, 12, 0, tzinfo=ALMATY)
DAY = datetime.timedelta(days=1)
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


# Who may reach the pages.


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


# The person page.


def test_person_page_by_iin_shows_status_history_visits_and_writes_an_audit_entry(
    client, epi, scene
):
    StatusRecord.objects.create(
        iin=scene.holder.iin,
        status="red",
        source="manual",
        valid_from=NOW - DAY,
        valid_until=NOW + 9 * DAY,
        note="positive rapid test at the clinic",
        created_by=epi,
    )
    IsolationPoint.objects.create(
        iin=scene.holder.iin, address="Abai 1, flat 5", latitude="43.2", longitude="76.9"
    )
    make_visit(
        scene.venue,
        iin=scene.holder.iin,
        checked_in_at=at(11, 45),
        admitted=False,
        status="red",
        denial_code="red",
        method=Visit.Method.STAFF_IIN,
    )

    response = client.get(reverse("admin:visits_visit_person"), {"q": scene.holder.iin})

    html = response.content.decode()
    person = response.context["person"]
    assert (person.iin, person.user, person.status.status.value) == (
        scene.holder.iin,
        scene.holder,
        "red",
    )
    assert [
        (row["visit"].checked_in_at, row["decision"]) for row in response.context["visits"]
    ] == [
        (at(11, 45), "red status"),
        (at(10, 30), "admitted"),
    ]
    for text in [
        "Айгерім Сәрсенова",
        "+77011110001",
        "positive rapid test at the clinic",
        "Abai 1, flat 5",
        "staff, by IIN",
        "self scan",
        "red status",
        "Магнум",
        f"{reverse('admin:visits_visit_tracing')}?iin={scene.holder.iin}",
        f"{reverse('admin:statuses_statusrecord_add')}?iin={scene.holder.iin}",
    ]:
        assert text in html, text
    assert entries() == [
        (epi, "person_viewed", scene.holder.iin, "accounts.user", str(scene.holder.pk), "127.0.0.1")
    ]


def test_person_page_by_phone_finds_the_account(client, epi, scene):
    response = client.get(reverse("admin:visits_visit_person"), {"q": "8 701 111 00 01"})

    assert response.context["person"].iin == scene.holder.iin
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.iin, entry.detail) == (
        "person_viewed",
        scene.holder.iin,
        {"found_by": "phone"},
    )


def test_person_page_of_an_iin_without_account_or_records(client, epi):
    iin = new_iin()

    response = client.get(reverse("admin:visits_visit_person"), {"q": f"{iin[:6]} {iin[6:]}"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "No account: this person was only checked in by IIN." in html
    assert "No status records: the status is blue." in html
    assert "No visits recorded." in html
    assert entries() == [(epi, "person_viewed", iin, "", "", "127.0.0.1")]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("12345", "An IIN must be exactly 12 digits long."),
        ("90010130001X", "An IIN may contain only the digits 0 to 9."),
        ("900101300019", "This IIN is not valid: the last digit does not match the others."),
        ("+7 701 999 99 99", "No account has this phone number."),
        ("", "Enter an IIN or a phone number."),
    ],
)
def test_person_page_explains_a_bad_query_and_writes_nothing(client, epi, query, message):
    response = client.get(reverse("admin:visits_visit_person"), {"q": query})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["q"])
    assert message in response.content.decode()
    assert AuditEntry.objects.count() == 0


# Tracing.


def test_tracing_lists_contacts_with_venue_ranges_and_overlap_and_audits(client, epi, scene):
    response = client.get(tracing_url(), scene.query())

    rows = [
        (
            row["contact"].iin,
            row["status"],
            [
                (o.venue_name, o.contact_start, o.contact_end, o.case_start, o.case_end, o.minutes)
                for o in row["contact"].overlaps
            ],
        )
        for row in response.context["contacts"]
    ]
    assert rows == [
        (scene.holder.iin, "Blue", [("Магнум", at(10, 30), at(11, 30), at(10), at(11), 30)]),
        (scene.no_account, "Blue", [("Магнум", at(10, 40), NOW, at(10), at(11), 20)]),
    ]
    html = response.content.decode()
    assert scene.near_miss not in html
    assert 'name="contact"' in html
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.iin, entry.detail, entry.ip) == (
        epi,
        "contacts_traced",
        scene.case,
        {"days": 14, "minutes": 15, "contacts": 2},
        "127.0.0.1",
    )


def test_tracing_with_a_lower_threshold_finds_the_near_miss(client, epi, scene):
    response = client.get(tracing_url(), scene.query(minutes="10"))

    assert [row["contact"].iin for row in response.context["contacts"]] == [
        scene.holder.iin,
        scene.no_account,
        scene.near_miss,
    ]


def test_tracing_form_is_empty_until_asked(client, epi):
    response = client.get(tracing_url())

    assert response.context["form"].is_bound is False
    assert "contacts" not in response.context
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"iin": "1234"}, "iin", "An IIN must be exactly 12 digits long."),
        ({"iin": ""}, "iin", "Enter the IIN of the case."),
        (
            {"iin": "900101300019"},
            "iin",
            "This IIN is not valid: the last digit does not match the others. Check it for a typo.",
        ),
        ({"days": "0"}, "days", "Ensure this value is greater than or equal to 1."),
        ({"minutes": "abc"}, "minutes", "Enter a whole number."),
    ],
)
def test_tracing_explains_a_bad_form_and_writes_nothing(client, epi, scene, query, field, message):
    response = client.get(tracing_url(), scene.query(**query))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert AuditEntry.objects.count() == 0


def mark(client, scene, contacts: list[str], **extra):
    page = client.get(tracing_url(), scene.query())
    data = scene.query(as_of=page.context["as_of"], contact=contacts, **extra)
    return client.post(tracing_url(**scene.query()), data)


def test_mark_selected_contacts_gives_yellow_status_and_one_sms(
    client, epi, scene, django_capture_on_commit_callbacks, sms_outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = mark(client, scene, [scene.holder.iin, scene.no_account])

    assert response.status_code == 302
    assert response["Location"] == tracing_url(**scene.query())
    records = StatusRecord.objects.order_by("iin")
    assert sorted(
        (r.iin, r.status, r.source, r.valid_from, r.valid_until, r.created_by) for r in records
    ) == sorted(
        [
            (scene.holder.iin, "yellow", "contact", at(11), at(11) + 14 * DAY, epi),
            (scene.no_account, "yellow", "contact", at(11), at(11) + 14 * DAY, epi),
        ]
    )
    with translation.override("en"):
        assert {r.reason for r in records} == {
            f"contact of case ********{scene.case[-4:]} at Магнум"
        }
    # The place is kept in every language, for readers of each.
    assert {tuple(sorted(r.note_params["place"])) for r in records} == {("en", "kk", "ru")}
    assert [(sms.to, sms.text) for sms in sms_outbox] == [
        ("+77011110001", "Ashyq: сіздің мәртебеңіз енді сары (мерзімі: 04.10.2021 11:00).")
    ]
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "2 people marked as contacts: yellow status for 14 days."
    ]
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "contacts_traced",
        "contacts_marked",
    ]
    marked = AuditEntry.objects.get(action="contacts_marked")
    assert (marked.actor, marked.iin, marked.ip, marked.detail["contacts"]) == (
        epi,
        scene.case,
        "127.0.0.1",
        2,
    )


def test_mark_only_the_selected_contacts(client, epi, scene):
    mark(client, scene, [scene.no_account, scene.near_miss, new_iin()])

    assert list(StatusRecord.objects.values_list("iin", flat=True)) == [scene.no_account]


def test_mark_twice_creates_nothing_new_and_sends_nothing_new(
    client, epi, scene, django_capture_on_commit_callbacks, sms_outbox
):
    page = client.get(tracing_url(), scene.query())
    data = scene.query(as_of=page.context["as_of"], contact=[scene.holder.iin, scene.no_account])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(tracing_url(), data, follow=True)

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(tracing_url(), data)

    assert StatusRecord.objects.count() == 2
    assert len(sms_outbox) == 1
    assert [m.message for m in get_messages(again.wsgi_request)] == [
        "2 people were already marked for this contact."
    ]


def test_mark_without_a_selection_marks_nobody(client, epi, scene):
    response = mark(client, scene, [])

    assert response.status_code == 302
    assert StatusRecord.objects.count() == 0
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "Select the people to mark as contacts."
    ]


def test_mark_refuses_results_older_than_an_hour(client, epi, scene, time_machine):
    page = client.get(tracing_url(), scene.query())
    time_machine.move_to(NOW + datetime.timedelta(hours=1, seconds=1), tick=False)

    response = client.post(
        tracing_url(),
        scene.query(as_of=page.context["as_of"], contact=[scene.holder.iin]),
    )

    assert response.status_code == 302
    assert StatusRecord.objects.count() == 0
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "These results are more than an hour old. Run the tracing again."
    ]


def test_mark_refuses_a_forged_moment(client, epi, scene):
    forged = signing.dumps(NOW.timestamp(), salt="another purpose")

    client.post(tracing_url(), scene.query(as_of=forged, contact=[scene.holder.iin]))

    assert StatusRecord.objects.count() == 0


def test_mark_uses_the_moment_the_page_was_shown(client, epi, scene, time_machine):
    page = client.get(tracing_url(), scene.query())
    time_machine.move_to(NOW + datetime.timedelta(minutes=30), tick=False)

    client.post(tracing_url(), scene.query(as_of=page.context["as_of"], contact=[scene.no_account]))

    # Still inside: the contact ended "now" as the page showed it, not 30 minutes later.
    assert StatusRecord.objects.get().valid_from == at(11)
    assert signing.loads(page.context["as_of"], salt=AS_OF_SALT) == NOW.timestamp()


# Exports.


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


# Reports.


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


# The visit list.


def test_visit_list_finds_a_person_by_iin_and_writes_an_audit_entry(client, epi, scene):
    url = reverse("admin:visits_visit_changelist")

    response = client.get(url, {"q": f"{scene.case[:6]} {scene.case[6:]}"})

    assert [visit.iin for visit in response.context["cl"].result_list] == [scene.case]
    assert entries() == [(epi, "person_viewed", scene.case, "", "", "127.0.0.1")]


def test_visit_list_finds_visits_by_venue_name_and_by_phone(client, epi, scene):
    make_visit(make_venue(name="Small", name_en="Small"), checked_in_at=at(9))
    url = reverse("admin:visits_visit_changelist")

    by_venue = client.get(url, {"q": "Магн"}).context["cl"].result_list
    by_phone = client.get(url, {"q": "+77011110001"}).context["cl"].result_list

    assert {visit.venue for visit in by_venue} == {scene.venue}
    assert len(by_venue) == 4
    assert [visit.iin for visit in by_phone] == [scene.holder.iin]


def test_visit_is_read_only_and_looking_at_it_is_audited(client, epi, scene):
    visit = Visit.objects.get(iin=scene.case)
    url = reverse("admin:visits_visit_change", args=[visit.pk])

    page = client.get(url)
    post = client.post(url, {"iin": new_iin()})
    delete = client.post(reverse("admin:visits_visit_delete", args=[visit.pk]), {"post": "yes"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (post.status_code, delete.status_code) == (403, 403)
    assert Visit.objects.get(pk=visit.pk).iin == scene.case
    assert entries() == [
        (epi, "person_viewed", scene.case, "visits.visit", str(visit.pk), "127.0.0.1")
    ]


# The audit log.


def test_audit_log_is_read_only_in_the_admin(client, epi):
    entry = AuditEntry.objects.create(actor=epi, action="exported", iin=new_iin())
    changelist = client.get(reverse("admin:accounts_auditentry_changelist"))

    change = client.post(
        reverse("admin:accounts_auditentry_change", args=[entry.pk]), {"iin": "forged"}
    )
    delete = client.post(
        reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    bulk = client.post(
        reverse("admin:accounts_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert changelist.status_code == 200
    assert 'name="action"' not in changelist.content.decode()
    assert (change.status_code, delete.status_code) == (403, 403)
    # No actions at all: the list is shown again and nothing is deleted.
    assert bulk.status_code == 200
    assert bulk.context["action_form"] is None
    assert list(AuditEntry.objects.values_list("pk", "iin")) == [(entry.pk, entry.iin)]


def test_audit_log_refuses_updates_and_deletes_in_postgresql(epi):
    if connection.vendor != "postgresql":
        pytest.skip("The append-only trigger is PostgreSQL's; this test needs DATABASE_URL.")
    entry = AuditEntry.objects.create(actor=epi, action="exported", iin=new_iin())

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.update(iin="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()

    assert list(AuditEntry.objects.values_list("iin", flat=True)) == [entry.iin]


# The place of home isolation.


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
