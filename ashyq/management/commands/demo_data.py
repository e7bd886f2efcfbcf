import datetime

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from statuses.models import StatusRecord
from statuses.services import record_add
from venues.models import Category, Organisation, Region, StaffMembership, Venue
from visits.models import IsolationPoint, Visit
from visits.partitions import create_days

PEOPLE = [
    {
        "phone": "+77010000001",
        "full_name": "Айгерім Сәрсенова",
        "language": "kk",
        "iin": "950101300016",
    },
    {"phone": "+77010000002", "full_name": "Иван Петров", "language": "ru", "iin": "880315300511"},
    {
        "phone": "+77010000003",
        "full_name": "Dana Nurlanova",
        "language": "en",
        "iin": "061211600012",
    },
    {
        "phone": "+77010000004",
        "full_name": "Ерлан Жұмабаев",
        "language": "kk",
        "iin": "900101300007",
    },
]
# Their statuses by IIN, and the record each comes from; the blue one has none.
STATUSES = {"950101300016": "green", "061211600012": "yellow", "900101300007": "red"}
SOURCES = {"green": "vaccination", "yellow": "contact", "red": "pcr_positive"}
ADMIN_PHONE = "+77010000000"
OWNER_PHONE = "+77010000010"
EPIDEMIOLOGIST_PHONE = "+77010000020"
DEMO_BIN = "050140001238"

VENUES = [
    {
        "code": "demo-grocery",
        "name_kk": "Magnum Абай",
        "name_ru": "Magnum Абая",
        "name_en": "Magnum Abai",
        "category": "grocery",
        "capacity": 80,
        "latitude": "43.238949",
        "longitude": "76.889709",
    },
    {
        "code": "demo-cafe",
        "name_kk": "Кофейня Дос",
        "name_ru": "Кофейня Дос",
        "name_en": "Dos Coffee",
        "category": "cafe",
        "capacity": 30,
        "latitude": "43.240000",
        "longitude": "76.905000",
    },
    {
        "code": "demo-mall",
        "name_kk": "Mega Park",
        "name_ru": "Mega Park",
        "name_en": "Mega Park",
        "category": "mall",
        "capacity": 500,
        "latitude": "43.264000",
        "longitude": "76.929000",
    },
]


class Command(BaseCommand):
    help = "Load demo data for a local run. Safe to run again: nothing is created twice."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        if not User.objects.filter(phone=ADMIN_PHONE).exists():
            User.objects.create_superuser(ADMIN_PHONE, full_name="Demo Administrator")
        epidemiologist, _ = User.objects.get_or_create(
            phone=EPIDEMIOLOGIST_PHONE,
            defaults={"full_name": "Гүлнар Эпидемиолог", "language": "ru", "is_staff": True},
        )
        group = Group.objects.filter(name="epidemiologist").first()
        if group is not None:
            epidemiologist.groups.add(group)
        owner, _ = User.objects.get_or_create(
            phone=OWNER_PHONE, defaults={"full_name": "Асхат Иманов", "language": "kk"}
        )
        # Verified, so that the demo's staff page looks people up at once.
        organisation, _ = Organisation.objects.get_or_create(
            bin=DEMO_BIN, defaults={"legal_name": "ТОО «Ashyq Demo»", "admin": owner}
        )
        if not organisation.is_verified:
            organisation.verified_at = timezone.now()
            organisation.verified_via = Organisation.VerifiedVia.OPERATOR
            organisation.save(update_fields=["verified_at", "verified_via"])
        region = Region.objects.get(code="almaty")
        venues = []
        for row in VENUES:
            kind = Category.objects.get(code=row["category"])
            venue, _ = Venue.objects.get_or_create(
                code=row["code"],
                defaults={
                    **row,
                    "organisation": organisation,
                    "name": row["name_kk"],
                    "category": kind,
                    "region": region,
                    "address": "Алматы, Абай даңғылы 10",
                    "pcr_required": kind.pcr_required_default,
                    "test_mode_until": now - datetime.timedelta(days=1),
                },
            )
            venues.append(venue)
        for row in PEOPLE:
            User.objects.get_or_create(phone=row["phone"], defaults={**row, "phone_verified": True})
        for iin, status in STATUSES.items():
            if not StatusRecord.objects.filter(iin=iin).exists():
                record_add(
                    iin=iin,
                    status=status,
                    source=SOURCES[status],
                    valid_from=now - datetime.timedelta(days=2),
                    valid_until=now + datetime.timedelta(days=5 if status != "green" else 200),
                    created_by=None,
                    note="Демо деректер",
                )
        IsolationPoint.objects.get_or_create(
            iin="061211600012",
            defaults={
                "address": "Абай даңғылы 12",
                "latitude": "43.239500",
                "longitude": "76.889900",
            },
        )
        StaffMembership.objects.get_or_create(
            venue=venues[0], user=User.objects.get(phone="+77010000002")
        )
        if not Visit.objects.exists():
            # On PostgreSQL the days before today need their partitions (visits/partitions.py).
            utc_today = now.astimezone(datetime.UTC).date()
            create_days(utc_today - datetime.timedelta(days=n) for n in range(3))
            for hours_ago, person_phone, venue, admitted, code in [
                # The red person sat in the café with the green one: a contact to trace.
                (30, "+77010000001", venues[1], True, ""),
                (30, "+77010000004", venues[1], True, ""),
                (5, "+77010000002", venues[1], False, "pcr_required"),
                (2, "+77010000004", venues[2], False, "red"),
            ]:
                person = User.objects.get(phone=person_phone)
                Visit.objects.create(
                    venue=venue,
                    iin=person.iin,
                    user=person,
                    method=Visit.Method.SELF_SCAN,
                    status="green" if admitted else ("red" if code == "red" else "blue"),
                    admitted=admitted,
                    denial_code=code,
                    checked_in_at=now - datetime.timedelta(hours=hours_ago),
                    checked_out_at=now - datetime.timedelta(hours=hours_ago - 1)
                    if admitted
                    else None,
                    checkout_method="self" if admitted else "",
                )
        # Everyone signs in by SMS code; nobody has a password.
        for user in User.objects.filter(password=""):
            user.set_unusable_password()
            user.save(update_fields=["password"])
        self.stdout.write(
            "Demo data ready. Sign in with any Kazakhstan mobile number; codes are printed here "
            "and appended to var/sms.jsonl.\n"
            f"  citizens: {', '.join(p['phone'] for p in PEOPLE)} (green, blue, yellow, red)\n"
            f"  venue owner: {OWNER_PHONE}; epidemiologist (admin): {EPIDEMIOLOGIST_PHONE}; "
            f"superuser: {ADMIN_PHONE}\n"
            f"  venue QR pages: " + ", ".join(f"/v/{v.code}/" for v in venues)
        )
