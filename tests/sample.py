"""Sample data for the cross-app tests: a bit of everything a person can see.

Names are Kazakh and Russian on purpose, as real data would be, so that any
English found on a Kazakh or Russian page comes from the portal itself.
"""

import datetime
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.identifiers import check_digit
from accounts.models import User
from statuses.services import record_add, record_lift
from statuses.tests.factories import epidemiologist
from venues.models import Category, Invitation, Organisation, Region, StaffMembership, Venue
from visits.models import IsolationPoint, Visit
from visits.services import visit_check_in, visit_check_out_by_staff, visit_check_out_self

ORGANISATION_BIN = "050140001238"
_serials = itertools.count(1)


def new_iin(born: str = "900101", century: str = "3") -> str:
    """A fresh valid IIN (a man born on 1 January 1990 unless told otherwise)."""
    while True:
        first11 = f"{born}{century}{next(_serials):04d}"
        digit = check_digit(first11)
        if digit is not None:
            return first11 + str(digit)


def new_phone() -> str:
    return f"+7705{next(_serials):07d}"


def person(name: str, *, language: str = "kk", iin: str | None = "new", **fields) -> User:
    return User.objects.create_user(
        new_phone(),
        full_name=name,
        language=language,
        iin=new_iin() if iin == "new" else iin,
        phone_verified=True,
        **fields,
    )


def give_status(
    iin: str,
    status: str,
    *,
    hours_ago: float = 24,
    hours_left: float = 24 * 5,
    source: str | None = None,
):
    now = timezone.now()
    default_source = {"green": "pcr_negative", "yellow": "contact", "red": "pcr_positive"}
    return record_add(
        iin=iin,
        status=status,
        source=source or default_source[status],
        valid_from=now - datetime.timedelta(hours=hours_ago),
        valid_until=now + datetime.timedelta(hours=hours_left),
        created_by=None,
        note="Үлгі деректер",
    )


def venue(organisation: Organisation, kk: str, ru: str, en: str, category: str, **fields) -> Venue:
    kind = Category.objects.get(code=category)
    values = {
        "name": kk,
        "name_kk": kk,
        "name_ru": ru,
        "name_en": en,
        "category": kind,
        "region": Region.objects.get(code="almaty"),
        "address": "Алматы, Абай даңғылы 10",
        "latitude": Decimal("43.238949"),
        "longitude": Decimal("76.889709"),
        "capacity": 40,
        "pcr_required": kind.pcr_required_default,
        "test_mode_until": timezone.now() - datetime.timedelta(days=1),
    }
    values.update(fields)
    return Venue.objects.create(organisation=organisation, **values)


def verified_organisation(
    legal_name: str = "ТОО «Жарық»", admin: User | None = None
) -> Organisation:
    """A verified organisation under the sample BIN, run by Асхат Иманов unless told otherwise."""
    return Organisation.objects.create(
        bin=ORGANISATION_BIN,
        legal_name=legal_name,
        admin=admin or person("Асхат Иманов"),
        verified_at=timezone.now(),
    )


def grocery_of(organisation: Organisation) -> Venue:
    """The sample grocery, named in three languages, of `organisation`."""
    return venue(organisation, "Жарық дүкені", "Магазин «Жарык»", "Zharyq Store", "grocery")


@dataclass
class Sample:
    owner: User
    staff: User
    organisation: Organisation
    grocery: Venue
    cafe: Venue
    pharmacy: Venue
    closed: Venue
    tiny: Venue
    new: Venue
    kiosk: Venue
    citizens: dict[str, User]
    invitation: Invitation
    visits: list[Visit] = field(default_factory=list)

    @property
    def venues(self) -> list[Venue]:
        return [
            self.grocery,
            self.cafe,
            self.pharmacy,
            self.closed,
            self.tiny,
            self.new,
            self.kiosk,
        ]


def build_sample() -> Sample:
    """An organisation with venues of every kind, citizens of every colour, visits of
    every outcome, a staff member and an open invitation."""
    owner = person("Асхат Иманов", language="kk")
    give_status(owner.iin, "green", source="vaccination", hours_left=24 * 200)
    organisation = verified_organisation(admin=owner)
    grocery = grocery_of(organisation)
    cafe = venue(organisation, "Дос кофеханасы", "Кофейня «Дос»", "Dos Coffee", "cafe")
    pharmacy = venue(
        organisation,
        "Шипа дәріханасы",
        "Аптека «Шипа»",
        "Shipa Pharmacy",
        "pharmacy",
        # About 3 km from the grocery: too far for a yellow status living by it.
        latitude=Decimal("43.265000"),
    )
    closed = venue(
        organisation,
        "Мәрмәр бассейні",
        "Бассейн «Мрамор»",
        "Marble Pool",
        "pool",
        suspended=True,
        suspended_reason="Санитарлық тексеру",
    )
    tiny = venue(organisation, "Шағын шеберхана", "Мастерская", "Workshop", "household", capacity=1)
    new = venue(
        organisation,
        "Жаңа спорт залы",
        "Новый спортзал",
        "New Gym",
        "gym",
        test_mode_until=timezone.now() + datetime.timedelta(days=6),
    )
    kiosk = venue(organisation, "Кинотеатр «Арман»", "Кинотеатр «Арман»", "Arman Cinema", "cinema")
    kiosk.kiosk_only = True
    kiosk.save(update_fields=["kiosk_only"])

    staff = person("Дана Қасымова", language="ru")
    StaffMembership.objects.create(venue=grocery, user=staff, added_by=owner)
    invitation = Invitation.objects.create(venue=grocery, phone="+77015550101", invited_by=owner)

    citizens = {
        "green": person("Айгерім Сәрсенова"),
        "blue": person("Иван Петров", language="ru"),
        "yellow": person("Дана Нұрланова"),
        "yellow_nowhere": person("Мария Ким", language="ru"),
        "red": person("Ерлан Жұмабаев"),
        "no_iin": person("", iin=None),
    }
    # A positive test that a second test overruled: lifted, then green.
    mistaken = give_status(citizens["green"].iin, "red", hours_ago=48)
    record_lift(record=mistaken, by=owner, reason="Қате нәтиже")
    give_status(citizens["green"].iin, "green")
    give_status(citizens["yellow"].iin, "yellow")
    give_status(citizens["yellow_nowhere"].iin, "yellow")
    give_status(citizens["red"].iin, "red")
    IsolationPoint.objects.create(
        iin=citizens["yellow"].iin,
        address="Абай даңғылы 12",
        latitude=Decimal("43.239500"),
        longitude=Decimal("76.889900"),
    )

    sample = Sample(
        owner=owner,
        staff=staff,
        organisation=organisation,
        grocery=grocery,
        cafe=cafe,
        pharmacy=pharmacy,
        closed=closed,
        tiny=tiny,
        new=new,
        kiosk=kiosk,
        citizens=citizens,
        invitation=invitation,
    )

    def self_scan(who: str, where: Venue) -> Visit:
        user = citizens[who]
        result = visit_check_in(
            venue_code=where.code, iin=user.iin, user=user, method=Visit.Method.SELF_SCAN
        )
        sample.visits.append(result.visit)
        return result.visit

    def by_staff(iin: str, where: Venue, method: str = Visit.Method.STAFF_IIN) -> Visit:
        by = staff if where == grocery else owner
        result = visit_check_in(venue_id=where.pk, iin=iin, user=None, method=method, staff=by)
        sample.visits.append(result.visit)
        return result.visit

    # Every outcome, admitted and denied, open and closed, self and staff.
    visit = self_scan("green", grocery)
    visit_check_out_self(visit_id=visit.pk, user=citizens["green"])
    self_scan("green", cafe)
    self_scan("blue", cafe)
    self_scan("red", grocery)
    self_scan("yellow", cafe)
    self_scan("yellow", pharmacy)
    self_scan("yellow", grocery)
    self_scan("yellow_nowhere", grocery)
    self_scan("blue", closed)
    self_scan("blue", new)
    self_scan("blue", tiny)
    by_staff(new_iin(), tiny)
    by_staff(citizens["blue"].iin, grocery, Visit.Method.STAFF_BARCODE)
    by_staff(new_iin(), grocery)
    # Inside the grocery when a positive test arrives: flagged on its staff page.
    turned_red = new_iin()
    by_staff(turned_red, grocery)
    give_status(turned_red, "red", hours_ago=1)
    # The same, scanned again: refused, and the stay it ended is named.
    rescanned = new_iin()
    by_staff(rescanned, grocery)
    give_status(rescanned, "red", hours_ago=1)
    by_staff(rescanned, grocery)
    walk_in = new_iin()
    by_staff(walk_in, grocery)
    visit_check_out_by_staff(venue_id=grocery.pk, iin=walk_in, staff=staff)
    by_staff(citizens["red"].iin, grocery)
    return sample


ROLES = ["anonymous", "citizen", "staff", "organisation admin", "epidemiologist"]


def people_by_role(sample: Sample, citizen: str) -> dict[str, User | None]:
    """Someone of each role in `ROLES` (the anonymous one is None), `citizen` naming
    which of the sample's citizens; the epidemiologist is made here."""
    return {
        "anonymous": None,
        "citizen": sample.citizens[citizen],
        "staff": sample.staff,
        "organisation admin": sample.owner,
        "epidemiologist": epidemiologist(full_name="Эпидемиолог"),
    }
