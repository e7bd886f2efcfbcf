"""Contact tracing: the contacts of a case, and marking them as contacts."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.utils import translation

from accounts.models import AuditEntry
from accounts.tests.constants import DAY, NOW
from statuses.models import StatusRecord
from visits.admin.pages import AS_OF_SALT
from visits.tests.conftest import new_iin
from visits.tests.epi_admin.conftest import at, tracing_url

pytestmark = pytest.mark.django_db


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
