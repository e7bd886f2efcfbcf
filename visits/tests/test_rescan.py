"""Every scan decides anew, and a nonce belongs to one person at one venue."""

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone

from accounts.tests.clients import text_of
from statuses.services import record_add
from visits.models import StatusLookup, Visit
from visits.services import CheckInError, visit_check_in
from visits.tests.budgets import session_queries, visit_writes
from visits.tests.conftest import (
    citizen,
    give_status,
    inside_at_a_staffed_door,
    make_venue,
    make_visit,
    new_iin,
    staff_member,
)
from visits.tests.test_capacity import needs_postgresql
from visits.tests.test_staff import scan

pytestmark = pytest.mark.django_db

NONCE_SPENT = "This check-in was already sent for another venue. Scan the code again."


def positive_pcr(iin: str) -> None:
    now = timezone.now()
    record_add(
        iin=iin,
        status="red",
        source="pcr_positive",
        valid_from=now - datetime.timedelta(hours=2),
        valid_until=now + datetime.timedelta(days=10),
        created_by=None,
        note="test",
    )


# A person already inside, scanned again


def test_a_rescan_of_someone_now_red_is_refused_recorded_and_closes_the_visit(client):
    pharmacy = make_venue(category="pharmacy")
    iin = new_iin()
    client.force_login(staff_member(pharmacy))
    scan(client, pharmacy, iin, nonce="first")
    inside = Visit.objects.get()
    positive_pcr(iin)

    response = scan(client, pharmacy, iin, nonce="second")

    refusal = Visit.objects.exclude(pk=inside.pk).get()
    inside.refresh_from_db()
    assert (refusal.admitted, refusal.denial_code, refusal.status) == (False, "red", "red")
    assert (inside.checkout_method, inside.checked_out_at) == ("refused", refusal.checked_in_at)
    assert response["Content-Location"] == f"/staff/{pharmacy.pk}/?visit={refusal.pk}&mode=entry"
    html = text_of(response)
    assert '<section class="answer answer-no" role="status">' in html
    assert "<h2>Entry denied</h2>" in html
    assert '<span class="status-line status-red">Red</span>' in html
    assert "Red status: you are a confirmed case" in html
    since = timezone.localtime(inside.checked_in_at).strftime("%H:%M")
    assert f"Was inside since {since}: that visit is now closed. Ask them to leave." in html


def test_a_rescan_of_someone_now_yellow_at_a_cafe_is_refused():
    cafe = make_venue(category="mall")
    person = citizen()
    inside = make_visit(cafe, iin=person.iin, user=person, status="blue")
    give_status(person.iin, "yellow")

    result = visit_check_in(venue_id=cafe.pk, iin=person.iin, user=person, method="self_scan")

    inside.refresh_from_db()
    assert (result.repeated, result.decision.code) == (False, "yellow_not_essential")
    assert (result.visit.admitted, inside.checkout_method) == (False, "refused")


def test_a_rescan_of_someone_still_admitted_keeps_the_visit_even_at_a_full_venue():
    # One place, and it is theirs: they must not be refused as "full".
    venue = make_venue(capacity=1)
    person = citizen("green")
    inside = make_visit(venue, iin=person.iin, user=person)

    result = visit_check_in(venue_id=venue.pk, iin=person.iin, user=person, method="self_scan")

    assert (result.visit, result.decision.code, result.repeated) == (inside, "admitted", True)
    assert Visit.objects.get() == inside
    assert inside.is_open


def test_someone_else_at_a_full_venue_is_still_refused():
    venue = make_venue(capacity=1)
    make_visit(venue)

    result = visit_check_in(venue_id=venue.pk, iin=new_iin(), user=None, method="self_scan")

    assert result.decision.code == "full"


def test_a_refused_rescan_leaves_a_visit_elsewhere_alone():
    here, elsewhere = make_venue(category="cafe", pcr_required=True), make_venue(name="Small")
    person = citizen()
    there = make_visit(elsewhere, iin=person.iin, status="blue")

    result = visit_check_in(venue_id=here.pk, iin=person.iin, user=person, method="self_scan")

    there.refresh_from_db()
    assert result.decision.code == "pcr_required"
    assert there.is_open


def test_a_self_rescan_of_someone_now_red_shows_the_refusal(client):
    venue = make_venue()
    person = citizen("green")
    client.force_login(person)
    url = f"/v/{venue.code}/"
    client.post(url, {"nonce": "a"})
    inside = Visit.objects.get()
    positive_pcr(person.iin)

    response = client.post(url, {"nonce": "b"})

    refusal = Visit.objects.exclude(pk=inside.pk).get()
    inside.refresh_from_db()
    assert response["Content-Location"] == f"/visits/{refusal.pk}/"
    assert (refusal.admitted, refusal.denial_code) == (False, "red")
    assert inside.checkout_method == "refused"
    assert "Entry denied" in response.content.decode()


# The nonce


def test_a_repeated_denial_with_one_nonce_makes_one_row():
    cafe = make_venue(category="cafe", pcr_required=True)
    iin = new_iin()

    first = visit_check_in(venue_id=cafe.pk, iin=iin, user=None, method="self_scan", nonce="n")
    again = visit_check_in(venue_id=cafe.pk, iin=iin, user=None, method="self_scan", nonce="n")

    assert Visit.objects.get() == first.visit == again.visit
    assert (again.repeated, again.decision.code) == (True, "pcr_required")


def test_another_person_posting_a_used_nonce_gets_their_own_decision(client):
    venue = make_venue()
    green, red = citizen("green"), citizen("red")
    client.force_login(staff_member(venue))
    scan(client, venue, green.iin, nonce="back-button")
    theirs = Visit.objects.get()

    response = scan(client, venue, red.iin, nonce="back-button")

    mine = Visit.objects.exclude(pk=theirs.pk).get()
    assert (mine.iin, mine.admitted, mine.denial_code, mine.nonce) == (red.iin, False, "red", "")
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={mine.pk}&mode=entry"
    theirs.refresh_from_db()
    assert (theirs.iin, theirs.is_open, theirs.nonce) == (green.iin, True, "back-button")


def test_the_same_person_posting_a_used_nonce_at_another_venue_is_told_to_scan_again():
    first, second = make_venue(), make_venue(name="Small")
    iin = new_iin()
    visit_check_in(venue_id=first.pk, iin=iin, user=None, method="staff_iin", nonce="n")

    with pytest.raises(CheckInError) as refused:
        visit_check_in(venue_id=second.pk, iin=iin, user=None, method="staff_iin", nonce="n")

    assert (refused.value.code, refused.value.message) == ("nonce_spent", NONCE_SPENT)
    assert Visit.objects.get().venue == first


def test_a_used_nonce_at_another_venue_reads_in_the_staff_language(client):
    first, second = make_venue(), make_venue(name="Small")
    iin = new_iin()
    visit_check_in(venue_id=first.pk, iin=iin, user=None, method="staff_iin", nonce="n")
    client.force_login(staff_member(second))
    client.cookies["django_language"] = "kk"

    response = scan(client, second, iin, nonce="n")

    assert response.status_code == 200
    assert "Бұл тіркеу басқа орын үшін жіберілген." in text_of(response)


def _at_once(calls) -> list:
    """Run the calls in threads released together; each returns a value or its error."""
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait(timeout=30)
            return call()
        except CheckInError as exc:
            return exc
        finally:
            connections.close_all()

    results: list = [None] * len(calls)
    threads = [
        threading.Thread(target=lambda i=i, call=call: results.__setitem__(i, run(call)))
        for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_one_nonce_posted_at_two_venues_at_once_makes_one_row(attempt):
    needs_postgresql()
    first, second = make_venue(), make_venue(name="Small")
    iin = new_iin()

    results = _at_once(
        [
            lambda venue=venue: visit_check_in(
                venue_id=venue.pk, iin=iin, user=None, method="staff_iin", nonce="twice"
            )
            for venue in (first, second)
        ]
    )

    visit = Visit.objects.get()
    assert visit.nonce == "twice"
    admitted = [r for r in results if not isinstance(r, CheckInError)]
    refused = [r for r in results if isinstance(r, CheckInError)]
    assert [r.visit.pk for r in admitted] == [visit.pk]
    assert [r.code for r in refused] == ["nonce_spent"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_one_nonce_posted_for_two_people_at_once_gives_each_their_own_decision(attempt):
    needs_postgresql()
    first, second = make_venue(), make_venue(name="Small")
    iins = [new_iin(), new_iin()]

    results = _at_once(
        [
            lambda venue=venue, iin=iin: visit_check_in(
                venue_id=venue.pk, iin=iin, user=None, method="staff_iin", nonce="shared"
            )
            for venue, iin in zip((first, second), iins, strict=True)
        ]
    )

    assert [r.visit.iin for r in results] == iins
    assert [r.decision.code for r in results] == ["admitted", "admitted"]
    assert sorted(Visit.objects.values_list("iin", flat=True)) == sorted(iins)
    assert Visit.objects.filter(nonce="shared").count() == 1


# Query budgets of the re-scans, in a real transaction as in production


@pytest.mark.django_db(transaction=True)
def test_a_rescan_that_admits_again_costs_an_entry_plus_the_lookup_record(
    client, assert_num_queries
):
    venue, person, inside = inside_at_a_staffed_door(client, "green")

    # The account, the venue lock, the reads after it, the open visit, COMMIT,
    # and the look-up shown to the person (a re-scan writes no visit to show);
    # then the page: the venue (not cached yet), the last scans with whether
    # anyone is flagged.
    with assert_num_queries(8 + session_queries()):
        response = scan(client, venue, person.iin, nonce="again")

    expected = f"/staff/{venue.pk}/?visit={inside.pk}&mode=entry&again=1"
    assert response["Content-Location"] == expected
    assert Visit.objects.get() == inside
    assert StatusLookup.objects.get().iin == person.iin


@pytest.mark.django_db(transaction=True)
def test_a_rescan_that_refuses_costs_one_statement_more_than_an_entry(client, assert_num_queries):
    venue, person, inside = inside_at_a_staffed_door(client, "red")

    # The account, the venue lock, the reads after it, the refusal, closing
    # the open visit, COMMIT; then the page: the venue (not cached yet), the
    # last scans with whether anyone is flagged.
    with assert_num_queries(7 + visit_writes() + session_queries()):
        response = scan(client, venue, person.iin, nonce="refused")

    refusal = Visit.objects.get(nonce="refused")
    inside.refresh_from_db()
    assert response["Content-Location"] == f"/staff/{venue.pk}/?visit={refusal.pk}&mode=entry"
    assert (refusal.denial_code, inside.checkout_method) == ("red", "refused")
