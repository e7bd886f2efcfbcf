"""Contact tracing (docs/rules.md §5): who shared a venue with a case, and for long enough.

For a case (an IIN), the case's admitted visits of the last days are the
starting point; a contact is anyone else whose admitted visit at the same
venue overlapped one of them by at least the minimum (15 minutes by default,
the usual epidemiological definition of a close contact).

The query never reads the whole visits table. Visits close themselves after
the venue's maximum stay (docs/rules.md §4), so a visit that overlaps the case's must
have begun less than one maximum stay before the case's visit began: each
case visit becomes one narrow range on the (venue, checked_in_at) index. For
the same reason a visit counts as lasting at most one maximum stay here, even
if someone pressed "Exit" a few minutes after the automatic check-out was due:
the bound the query relies on and the arithmetic agree exactly.

`contacts_find` answers it through the ORM; the benchmark compares it with
one hand-written statement (`bench/contacts_sql.py`).
"""

import datetime
import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone, translation
from modeltranslation.utils import get_language, resolution_order

from accounts.identifiers import validate_iin
from accounts.models import User
from visits.models import Visit

DEFAULT_DAYS = 14
DEFAULT_MIN_OVERLAP = datetime.timedelta(minutes=15)
NO_TIME = datetime.timedelta(0)
UTC = datetime.UTC


# The arithmetic: pure functions of times, tested as a table.


def visit_end(
    checked_in_at: datetime.datetime,
    checked_out_at: datetime.datetime | None,
    max_stay: datetime.timedelta,
    now: datetime.datetime,
) -> datetime.datetime:
    """When a visit ended, for tracing: its check-out, or now while it is open,
    and never later than the venue's maximum stay after entry."""
    end = checked_out_at if checked_out_at is not None else now
    return min(end, checked_in_at + max_stay)


def overlap(
    a_start: datetime.datetime,
    a_end: datetime.datetime,
    b_start: datetime.datetime,
    b_end: datetime.datetime,
) -> datetime.timedelta:
    """How long two stays shared; zero when they touch or do not meet."""
    return max(NO_TIME, min(a_end, b_end) - max(a_start, b_start))


def is_contact(shared: datetime.timedelta, min_overlap: datetime.timedelta) -> bool:
    # One leaving as the other enters is no contact, whatever the threshold.
    return shared > NO_TIME and shared >= min_overlap


def whole_minutes(duration: datetime.timedelta) -> int:
    return int(duration // datetime.timedelta(minutes=1))


# The answer: plain values.


@dataclass(frozen=True)
class Account:
    full_name: str
    phone: str
    language: str


@dataclass(frozen=True)
class Overlap:
    """One of the contact's visits against one of the case's, at one venue."""

    venue_id: int
    venue_name: str
    contact_start: datetime.datetime
    contact_end: datetime.datetime
    case_start: datetime.datetime
    case_end: datetime.datetime

    @property
    def end(self) -> datetime.datetime:
        return min(self.contact_end, self.case_end)

    @property
    def duration(self) -> datetime.timedelta:
        return overlap(self.contact_start, self.contact_end, self.case_start, self.case_end)

    @property
    def minutes(self) -> int:
        return whole_minutes(self.duration)


@dataclass(frozen=True)
class Contact:
    iin: str
    overlaps: tuple[Overlap, ...]
    account: Account | None

    @property
    def last_contact_end(self) -> datetime.datetime:
        """The moment the last contact ended: a contact's quarantine counts from it
        (docs/rules.md §2)."""
        return max(item.end for item in self.overlaps)

    @property
    def duration(self) -> datetime.timedelta:
        return sum((item.duration for item in self.overlaps), NO_TIME)

    @property
    def minutes(self) -> int:
        return whole_minutes(self.duration)


class CaseVisit(NamedTuple):
    venue_id: int
    venue_name: str
    max_stay: datetime.timedelta
    start: datetime.datetime
    end: datetime.datetime


def places(venue_ids: Iterable[int]) -> dict[str, str]:
    """The names of these venues, comma-separated, in each language (for a note)."""
    from venues.models import Venue

    ids = list(dict.fromkeys(venue_ids))
    venues = sorted(Venue.objects.filter(pk__in=ids), key=lambda venue: ids.index(venue.pk))
    result = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            result[code] = ", ".join(venue_name(_names(venue)) for venue in venues)
    return result


def venue_name(names: dict[str, str]) -> str:
    """The venue's name in the active language, falling back as modeltranslation does."""
    for language in resolution_order(get_language()):
        if names.get(language):
            return names[language]
    return ""


def _names(venue: Any) -> dict[str, str]:
    return {code: getattr(venue, f"name_{code}") for code, _name in settings.LANGUAGES}


def contacts_grouped(
    overlaps: Iterable[tuple[str, Overlap]], accounts: dict[str, Account]
) -> list[Contact]:
    by_iin: dict[str, list[Overlap]] = defaultdict(list)
    for iin, item in overlaps:
        by_iin[iin].append(item)
    contacts = [
        Contact(
            iin=iin,
            overlaps=tuple(
                sorted(items, key=lambda o: (o.contact_start, o.case_start, o.venue_id))
            ),
            account=accounts.get(iin),
        )
        for iin, items in by_iin.items()
    ]
    # The longest exposure first: that is whom an epidemiologist calls first.
    return sorted(contacts, key=lambda contact: (-contact.duration, contact.iin))


# The ORM version.


def case_visits(
    case_iin: str, *, now: datetime.datetime, days: int = DEFAULT_DAYS
) -> list[CaseVisit]:
    """The case's admitted visits that began within the window (the iin/time index)."""
    since = now - datetime.timedelta(days=days)
    visits = Visit.objects.filter(
        iin=case_iin, admitted=True, checked_in_at__gte=since, checked_in_at__lte=now
    ).select_related("venue")
    return [
        CaseVisit(
            venue_id=visit.venue_id,
            venue_name=venue_name(_names(visit.venue)),
            max_stay=visit.venue.max_stay,
            start=visit.checked_in_at,
            end=visit_end(visit.checked_in_at, visit.checked_out_at, visit.venue.max_stay, now),
        )
        for visit in visits
    ]


def candidate_visits(case_iin: str, visits: Sequence[CaseVisit]) -> QuerySet[Visit]:
    """Everyone else's admitted visits that may overlap the case's: one range of
    the (venue, checked_in_at) index per case visit, bounded by the maximum stay."""
    if not visits:
        return Visit.objects.none()
    ranges = [
        Q(venue_id=visit.venue_id, checked_in_at__gt=visit.start - visit.max_stay)
        & Q(checked_in_at__lt=visit.end)
        for visit in visits
    ]
    return (
        Visit.objects.filter(reduce(operator.or_, ranges), admitted=True)
        .exclude(iin=case_iin)
        .order_by()
    )


def contacts_find(
    *,
    case_iin: str,
    now: datetime.datetime | None = None,
    days: int = DEFAULT_DAYS,
    min_overlap: datetime.timedelta = DEFAULT_MIN_OVERLAP,
) -> list[Contact]:
    """Every other person whose visit overlapped the case's by at least `min_overlap`.

    Three queries whatever the numbers: the case's visits, the candidates, their accounts.
    """
    case_iin = validate_iin(case_iin)
    now = now or timezone.now()
    visits = case_visits(case_iin, now=now, days=days)
    by_venue: dict[int, list[CaseVisit]] = defaultdict(list)
    for visit in visits:
        by_venue[visit.venue_id].append(visit)
    found: list[tuple[str, Overlap]] = []
    candidates = candidate_visits(case_iin, visits).values_list(
        "iin", "venue_id", "checked_in_at", "checked_out_at"
    )
    for iin, venue_id, checked_in_at, checked_out_at in candidates:
        for case in by_venue[venue_id]:
            end = visit_end(checked_in_at, checked_out_at, case.max_stay, now)
            if is_contact(overlap(checked_in_at, end, case.start, case.end), min_overlap):
                found.append(
                    (
                        iin,
                        Overlap(
                            venue_id=venue_id,
                            venue_name=case.venue_name,
                            contact_start=checked_in_at,
                            contact_end=end,
                            case_start=case.start,
                            case_end=case.end,
                        ),
                    )
                )
    return contacts_grouped(found, _accounts({iin for iin, _ in found}))


def _accounts(iins: set[str]) -> dict[str, Account]:
    if not iins:
        return {}
    # The stored E.164 text as it is: PhoneNumberField would parse and validate
    # every contact's number with `phonenumbers` on the way out.
    rows = User.objects.filter(iin__in=iins).values_list(
        "iin", "full_name", Cast("phone", output_field=CharField()), "language"
    )
    return {
        iin: Account(full_name=full_name, phone=str(phone or ""), language=language)
        for iin, full_name, phone, language in rows
    }
