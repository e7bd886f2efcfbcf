"""People inside a venue whose status turned worse while there (InsideAlert)."""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import replace

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import sms_queue
from statuses.rules import Derived, Status
from statuses.selectors import statuses_at
from statuses.services import STATUS_IN_SENTENCE
from visits.models import InsideAlert, IsolationPoint, Visit
from visits.occupancy import open_now
from visits.rules import Point, admission_decision
from visits.services import venue_facts

logger = logging.getLogger(__name__)


def visits_flag_worsened(*, iins: Iterable[str], now: datetime.datetime) -> int:
    """Flag people inside a venue whose status now keeps them out of it.

    Called when these people's statuses may have changed (records added, inside
    the transaction that added them, or a record beginning as time passed).
    "Worsened" is decided by the admission rule
    itself, re-run for the venue with its capacity (and a suspension) left
    out: a yellow person inside a pharmacy near home may stay, the same person
    inside a café may not, and whether the venue is full says nothing about
    the person. Each flag appears on the venue's staff page while the visit
    is open, and the person's account (if any) gets one SMS in its language.
    A record that was already flagged for a visit is not flagged again.
    Returns how many visits were flagged.
    """
    iins = sorted(set(iins))
    inside: list[Visit] = []
    for start in range(0, len(iins), _FLAG_CHUNK):
        inside.extend(
            Visit.objects.filter(
                iin__in=iins[start : start + _FLAG_CHUNK],
                **open_now(now),
            ).select_related("venue__category", "venue__region")
        )
    if not inside:
        return 0
    statuses = statuses_at({visit.iin for visit in inside}, now)
    yellow = {visit.iin for visit in inside if statuses[visit.iin].status is Status.YELLOW}
    points = {
        point.iin: Point(float(point.latitude), float(point.longitude))
        for point in IsolationPoint.objects.filter(iin__in=yellow)
    }
    flagged: dict[str, Derived] = {}
    for visit in inside:
        derived = statuses[visit.iin]
        if derived.status not in (Status.YELLOW, Status.RED) or derived.record is None:
            continue
        # test_mode is the rule's own switch for "capacity does not count"; a
        # suspension is left out too, as the flag is about the person.
        facts = replace(venue_facts(visit.venue, now), suspended=False, test_mode=True)
        decision = admission_decision(derived.status, facts, points.get(visit.iin), occupancy=0)
        if decision.admitted:
            continue
        try:
            with transaction.atomic():
                InsideAlert.objects.create(
                    visit=visit,
                    record_id=derived.record.id,
                    status=derived.status.value,
                    denial_code=decision.code,
                    created_at=now,
                )
        except IntegrityError:
            continue
        flagged[visit.iin] = derived
        logger.info(
            "visit %s at venue %s: status now %s, flagged (%s)",
            visit.pk,
            visit.venue_id,
            derived.status.value,
            decision.code,
        )
    accounts = User.objects.filter(iin__in=list(flagged), phone__isnull=False, is_active=True).only(
        "iin", "phone", "language"
    )
    for account in accounts:
        with translation.override(account.language):
            text = _(
                "Ashyq: your status is now %(status_name)s, and you are still checked in at a "
                "venue where this status may not stay. Please leave now. If you have already "
                "left, record your exit in Ashyq."
            ) % {"status_name": STATUS_IN_SENTENCE[flagged[account.iin].status]}
            sms_queue(to=str(account.phone), text=str(text))
    return len(flagged)


# IINs per query when a lab import adds records for many people at once.
_FLAG_CHUNK = 5000
