"""The double-tap guard (VisitNonce): a nonce makes one visit, for NONCE_LIFE.

A person already inside is answered with their open visit whatever the nonce;
the guard is what keeps a repeated *denial* (and a form sent back by another
person) from writing a second row, at once or one after the other.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from visits.jobs import NONCE_LIFE, visit_nonces_prune
from visits.models import Visit, VisitNonce
from visits.services import visit_check_in
from visits.tests.conftest import citizen, make_venue, new_iin
from visits.tests.test_capacity import needs_postgresql
from visits.tests.test_rescan import _at_once

pytestmark = pytest.mark.django_db


def test_a_double_tap_on_a_denial_makes_one_visit(client):
    venue = make_venue(category="cafe", pcr_required=True)
    client.force_login(citizen())  # blue: no PCR test, not admitted here
    url = reverse("visits:venue_entry", args=[venue.code])
    nonce = "d0ub1e"

    first = client.post(url, {"nonce": nonce})
    second = client.post(url, {"nonce": nonce})

    visit = Visit.objects.get()
    assert first["Content-Location"] == second["Content-Location"] == f"/visits/{visit.pk}/"
    assert (visit.admitted, visit.denial_code) == (False, "pcr_required")
    guard = VisitNonce.objects.get()
    assert (guard.nonce, guard.visit_id, guard.checked_in_at) == (
        nonce,
        visit.pk,
        visit.checked_in_at,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(2))
def test_a_double_tap_at_once_records_one_visit(attempt):
    needs_postgresql()
    venue = make_venue(category="cafe", pcr_required=True)
    iin = new_iin()

    results = _at_once(
        [
            lambda: visit_check_in(
                venue_id=venue.pk, iin=iin, user=None, method="self_scan", nonce="tap"
            )
        ]
        * 2
    )

    visit = Visit.objects.get()
    assert [r.visit.pk for r in results] == [visit.pk, visit.pk]
    assert sorted(r.repeated for r in results) == [False, True]


def test_nonces_past_their_life_are_pruned_and_the_rest_kept():
    now = timezone.now()
    venue = make_venue(category="cafe", pcr_required=True)
    for minutes in (61, 59):
        visit_check_in(
            venue_id=venue.pk,
            iin=new_iin(),
            user=None,
            method="self_scan",
            nonce=f"n{minutes}",
            now=now - datetime.timedelta(minutes=minutes),
        )

    assert datetime.timedelta(hours=1) == NONCE_LIFE
    assert visit_nonces_prune(now) == 1
    assert list(VisitNonce.objects.values_list("nonce", flat=True)) == ["n59"]
    # The visits stay: only the guard forgets.
    assert Visit.objects.count() == 2


def test_a_nonce_past_its_life_is_a_new_check_in():
    now = timezone.now()
    venue = make_venue(category="cafe", pcr_required=True)
    iin = new_iin()
    old = now - NONCE_LIFE - datetime.timedelta(minutes=1)
    visit_check_in(venue_id=venue.pk, iin=iin, user=None, method="self_scan", nonce="n", now=old)
    visit_nonces_prune(now)

    again = visit_check_in(venue_id=venue.pk, iin=iin, user=None, method="self_scan", nonce="n")

    assert again.repeated is False
    assert Visit.objects.count() == 2
