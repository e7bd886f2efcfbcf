"""A realistic Ashyq database, loaded with COPY into the tables Django created.

Run `manage.py migrate` on an empty database first; `bench.run` does both. The
shape follows the product: persons keyed by IIN (nine in ten with an account),
one in ten with status records, organisations with one or more venues and their
staff, and visits over the last 30 days with the hours, durations, denials and
open visits a real door would see. Everything comes from one seeded random
generator, so two runs of one size load the same data (up to the clock).

Secondary indexes and foreign keys of the big tables are dropped for the load
and built again afterwards, with the definitions PostgreSQL reports for them,
so the schema ends exactly as the migrations left it.

    python -m bench.seed --size quick     # on a migrated, empty ashyq_bench
"""

import argparse
import bisect
import datetime
import itertools
import json
import math
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from accounts.identifiers import check_digit
from visits import partitions

# Bump when the generated data changes shape, so `bench.run` seeds again.
FORMAT_VERSION = 4
SEED = 20200313  # the day Kazakhstan declared its emergency
UTC = datetime.UTC
NULL = r"\N"  # NULL in COPY text
ALMATY = ZoneInfo("Asia/Almaty")
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # venues.models.CODE_ALPHABET


@dataclass(frozen=True)
class Size:
    persons: int
    venues: int
    visits: int
    days: int = 30
    # Visits of the one confirmed case the tracing benchmark starts from.
    case_visits: int = 30


# The venues' counters (Venue.occupancy) set to the open visits, where they differ:
# after the seed, and after a benchmark run deleted what it wrote.
OCCUPANCY_RECOUNT = """
UPDATE venues_venue v SET occupancy = counted.people FROM (
  SELECT venue.id, count(visit.id) AS people FROM venues_venue venue
  LEFT JOIN visits_visit visit ON visit.venue_id = venue.id
    AND visit.admitted AND visit.checked_out_at IS NULL
  GROUP BY venue.id
) counted WHERE counted.id = v.id AND v.occupancy <> counted.people
"""

SIZES = {
    "default": Size(persons=1_000_000, venues=10_000, visits=10_000_000),
    "quick": Size(persons=20_000, venues=200, visits=200_000),
}

# Regions (codes from venues/migrations/0002) with a centre and a population weight.
REGIONS = {
    "astana": (51.1694, 71.4491, 1.35, "Астана"),
    "almaty": (43.2389, 76.8897, 2.2, "Алматы"),
    "shymkent": (42.3417, 69.5901, 1.2, "Шымкент"),
    "abai": (50.4111, 80.2275, 0.6, "Семей"),
    "akmola": (53.2833, 69.3833, 0.8, "Көкшетау"),
    "aktobe": (50.2839, 57.1670, 0.9, "Ақтөбе"),
    "almaty-region": (43.8667, 77.0667, 1.5, "Қонаев"),
    "atyrau": (47.1167, 51.8833, 0.7, "Атырау"),
    "east-kazakhstan": (49.9483, 82.6275, 0.7, "Өскемен"),
    "jambyl": (42.9000, 71.3667, 1.2, "Тараз"),
    "jetisu": (45.0156, 78.3739, 0.7, "Талдықорған"),
    "karaganda": (49.8047, 73.1094, 1.1, "Қарағанды"),
    "kostanay": (53.2144, 63.6246, 0.8, "Қостанай"),
    "kyzylorda": (44.8528, 65.5092, 0.8, "Қызылорда"),
    "mangystau": (43.6500, 51.1500, 0.8, "Ақтау"),
    "north-kazakhstan": (54.8667, 69.1500, 0.5, "Петропавл"),
    "pavlodar": (52.2833, 76.9667, 0.75, "Павлодар"),
    "turkistan": (43.3000, 68.2500, 2.1, "Түркістан"),
    "ulytau": (47.7833, 67.7000, 0.2, "Жезқазған"),
    "west-kazakhstan": (51.2333, 51.3667, 0.7, "Орал"),
}

# Category code -> (share of venues, visits per venue relative to a shop,
# median stay in minutes, median capacity, maximum stay in hours).
CATEGORIES = {
    "grocery": (25, 3.0, 15, 40, 3),
    "household": (5, 1.0, 20, 30, 3),
    "pharmacy": (8, 2.0, 8, 15, 3),
    "cafe": (12, 1.5, 60, 60, 3),
    "gym": (3, 1.5, 80, 60, 3),
    "pool": (0.5, 2.0, 70, 80, 3),
    "sauna": (1, 0.8, 100, 25, 3),
    "cinema": (0.5, 4.0, 120, 300, 3),
    "theatre": (0.3, 3.0, 130, 500, 3),
    "entertainment": (0.7, 4.0, 90, 300, 3),
    "mall": (1, 25.0, 75, 3000, 3),
    "market": (1, 15.0, 50, 1500, 3),
    "clothing": (8, 0.8, 25, 40, 3),
    "electronics": (3, 0.8, 25, 40, 3),
    "beauty": (5, 0.5, 60, 10, 3),
    "office": (10, 1.0, 300, 120, 10),
    "bank": (3, 1.5, 20, 40, 3),
    "hotel": (1.5, 0.5, 480, 200, 24),
    "public-service": (1, 6.0, 40, 150, 3),
    "clinic": (2, 4.0, 50, 150, 3),
    "education": (3, 1.5, 150, 200, 10),
    "worship": (1, 2.0, 45, 400, 3),
    "transport": (0.5, 20.0, 40, 2000, 3),
    "car-service": (4, 0.5, 45, 15, 3),
    "other": (4, 0.8, 40, 50, 3),
}

# Share of the day's entries per local hour, 00:00 to 23:00.
HOURS = [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 1, 3, 4, 5, 6, 7, 7, 6, 6, 6, 7, 8, 8, 6, 4, 2, 0.8]
# Monday first; Friday and Saturday are busier.
WEEKDAYS = [1.0, 0.97, 0.98, 1.0, 1.1, 1.15, 0.9]
OPERATORS = ["700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778"]
FIRST_NAMES = [
    "Айгерим", "Алия", "Асель", "Дана", "Жансая", "Камила", "Мадина", "Сауле", "Томирис",
    "Әсем", "Гүлнар", "Ләззат", "Ольга", "Наталья", "Айдос", "Алихан", "Арман", "Бауыржан",
    "Ерлан", "Нұрлан", "Санжар", "Тимур", "Дәулет", "Серік", "Иван", "Сергей",
]  # fmt: skip
SURNAMES = [
    "Ахметов", "Бекмұхамбетов", "Жұмабаев", "Исаев", "Қасымов", "Мұратов", "Нұрланов",
    "Оспанов", "Сәрсенов", "Төлеуов", "Омаров", "Смағұлов", "Әбдірахманов", "Ибраимов", "Ким",
    "Иванов", "Петров", "Цой", "Шевченко", "Байжанов",
]  # fmt: skip
STREETS = [
    "Абай", "Достық", "Төле би", "Қабанбай батыр", "Сәтбаев", "Жібек жолы", "Республика",
    "Бөгенбай батыр", "Кенесары", "Сейфуллин",
]  # fmt: skip
LANGUAGES = ["kk"] * 45 + ["ru"] * 50 + ["en"] * 5


def _ts(value: float) -> str:
    """A Unix time as PostgreSQL reads a timestamptz in COPY text."""
    return datetime.datetime.fromtimestamp(value, UTC).isoformat(sep=" ")


def _copy(cur: psycopg.Cursor, table: str, columns: str, lines: Iterable[str]) -> int:
    count = 0
    lines = iter(lines)
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while chunk := list(itertools.islice(lines, 20_000)):
            copy.write("".join(chunk))
            count += len(chunk)
    return count


class Unindexed:
    """Drop a table's secondary indexes, unique and foreign-key constraints for a
    bulk load; build them again, as they were, on exit."""

    def __init__(self, cur: psycopg.Cursor, table: str) -> None:
        self.cur = cur
        self.table = table

    def __enter__(self) -> "Unindexed":
        cur, table = self.cur, self.table
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
            [table],
        )
        self.constraints = cur.fetchall()
        cur.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c WHERE c.conrelid = x.indrelid"
            "  AND c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))",
            [table],
        )
        self.indexes = cur.fetchall()
        for name, _definition, _kind in self.constraints:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in self.indexes:
            cur.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is not None:
            return
        cur, table = self.cur, self.table
        for _name, definition in self.indexes:
            # A partitioned table reports its indexes as `ON ONLY`, which builds an
            # index on the parent alone, invalid and used by no query.
            cur.execute(definition.replace(" ON ONLY ", " ON ", 1))
        cur.execute(
            "SELECT count(*) FROM pg_index x JOIN pg_inherits i ON i.inhrelid = x.indrelid "
            "WHERE NOT x.indisvalid AND i.inhparent = %s::regclass "
            "OR NOT x.indisvalid AND x.indrelid = %s::regclass",
            [table, table],
        )
        if cur.fetchone()[0]:
            raise RuntimeError(f"{table}: an index was not rebuilt valid after the load")
        # Unique first: ORDER BY contype DESC put 'u' before 'f'.
        for name, definition, _kind in self.constraints:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _visit_partitions(cur: psycopg.Cursor, first: float, last: float) -> int:
    """The daily partitions the seeded visits fall in, where visits are partitioned
    (PostgreSQL, visits/partitions.py): the migration made only the days from
    today on. Returns how many days were made."""
    cur.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass('visits_visit')")
    if cur.fetchone()[0] != "p":
        return 0
    cur.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'visits_visit'::regclass"
    )
    existing = {row[0] for row in cur.fetchall()}
    day = datetime.datetime.fromtimestamp(first, UTC).date()
    made = 0
    while day <= datetime.datetime.fromtimestamp(last, UTC).date():
        if partitions.daily_name(day) not in existing:
            next_day = day + datetime.timedelta(days=1)
            cur.execute(partitions.partition_sql(partitions.daily_name(day), day, next_day))
            made += 1
        day += datetime.timedelta(days=1)
    return made


def _reset_sequence(cur: psycopg.Cursor, table: str) -> None:
    query = "SELECT setval(pg_get_serial_sequence({name}, 'id'), COALESCE(max(id), 1)) FROM {table}"
    cur.execute(sql.SQL(query).format(name=sql.Literal(table), table=sql.Identifier(table)))


@dataclass
class Persons:
    iins: list[str]
    user_ids: list[int | None]  # None: no account, checked in by staff only
    # Status windows per person index: (rank, status, valid_from, valid_until, lifted_at).
    windows: dict[int, list[tuple[int, str, float, float, float]]]


def _iins(rng: random.Random, count: int) -> list[str]:
    first = datetime.date(1940, 1, 1).toordinal()
    last = datetime.date(2012, 12, 31).toordinal()
    seen: set[str] = set()
    result = []
    while len(result) < count:
        born = datetime.date.fromordinal(rng.randint(first, last))
        century = (3 if born.year < 2000 else 5) + rng.randint(0, 1)
        head = f"{born:%y%m%d}{century}{rng.randint(0, 9999):04d}"
        digit = check_digit(head)
        if digit is None:
            continue
        iin = f"{head}{digit}"
        if iin not in seen:
            seen.add(iin)
            result.append(iin)
    return result


def _bin(rng: random.Random, serial: int) -> str:
    """A valid BIN, unique by its serial; another registration month when the
    check digit cannot be made."""
    while True:
        head = f"{rng.randint(0, 23):02d}{rng.randint(1, 12):02d}40{serial:05d}"
        digit = check_digit(head)
        if digit is not None:
            return f"{head}{digit}"


def seed(conninfo: str, size: Size, log: Callable[[str], None] = print) -> dict:
    """Fill a freshly migrated database. Returns the facts `bench.run` needs later."""
    # Reproducible test data, not secrets: a seeded generator is the point.
    rng = random.Random(SEED)  # noqa: S311
    now = time.time()
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str, since: float) -> float:
        timings[name] = round(time.perf_counter() - since, 2)
        log(f"  {name}: {timings[name]} s")
        return time.perf_counter()

    with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SELECT count(*) FROM visits_visit")
        if cur.fetchone()[0]:
            raise SystemExit("bench.seed: the database already has visits; seed an empty one.")
        cur.execute("SELECT code, id FROM venues_region")
        region_ids = dict(cur.fetchall())
        cur.execute(
            "SELECT code, id, essential, pcr_required_default, name_kk, name_ru, name_en "
            "FROM venues_category"
        )
        categories = {row[0]: row[1:] for row in cur.fetchall()}

        t = time.perf_counter()
        persons = _persons(rng, size, now)
        with Unindexed(cur, "accounts_user"):
            _copy(
                cur,
                "accounts_user",
                "id, password, is_superuser, phone, phone_verified, full_name, language, iin, "
                "qr_key, is_staff, is_active, date_joined",
                _user_lines(rng, persons, now),
            )
        _reset_sequence(cur, "accounts_user")
        # Every person, with or without an account: bench.run draws its people here.
        cur.execute("CREATE TABLE bench_person (iin varchar(12) PRIMARY KEY, user_id bigint)")
        _copy(
            cur,
            "bench_person",
            "iin, user_id",
            (
                f"{iin}\t{user if user else NULL}\n"
                for iin, user in zip(persons.iins, persons.user_ids, strict=True)
            ),
        )
        t = lap("users", t)

        account_holders = [p for p, user in enumerate(persons.user_ids) if user is not None]
        case = account_holders[0]
        venues = _venues(rng, size, region_ids, categories, now)
        organisations = max(1, size.venues // 3)
        admins = rng.sample(account_holders[1:], organisations)
        _copy(
            cur,
            "venues_organisation",
            # Verified, as every organisation whose staff look people up must be.
            "id, bin, legal_name, created_at, admin_id, verified_at, verified_via",
            (
                f"{o + 1}\t{_bin(rng, o)}\tТОО «{rng.choice(SURNAMES)} {o + 1}»\t"
                f"{_ts(now - rng.uniform(400, 3000) * 86400)}\t{persons.user_ids[admins[o]]}\t"
                f"{_ts(now - 300 * 86400)}\toperator\n"
                for o in range(organisations)
            ),
        )
        _reset_sequence(cur, "venues_organisation")
        for number, venue in enumerate(venues):
            # Every organisation gets one venue; the rest go to chains.
            venue["organisation"] = (
                number if number < organisations else rng.randrange(organisations)
            )
            venue["admin"] = persons.user_ids[admins[venue["organisation"]]]
        _copy(cur, "venues_venue", VENUE_COLUMNS, (_venue_line(v) for v in venues))
        _reset_sequence(cur, "venues_venue")
        staff_rows = []
        for venue in venues:
            # Not the case (index 0); a repeat within one venue is dropped.
            members = {
                account_holders[rng.randrange(1, len(account_holders))]
                for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))
            }
            for holder in sorted(members):
                staff_rows.append((venue["id"], persons.user_ids[holder], venue["admin"]))
        _copy(
            cur,
            "venues_staffmembership",
            "venue_id, user_id, added_by_id, created_at",
            (f"{v}\t{u}\t{a}\t{_ts(now - 86400 * 30)}\n" for v, u, a in staff_rows),
        )
        t = lap("organisations, venues, staff", t)

        records, points = _status_records(rng, persons, now, case)
        with Unindexed(cur, "statuses_statusrecord"):
            _copy(
                cur,
                "statuses_statusrecord",
                "iin, status, source, valid_from, valid_until, note, created_at, lifted_at, "
                "lift_reason, phone, note_code, note_params",
                records,
            )
        _copy(
            cur,
            "visits_isolationpoint",
            "iin, address, latitude, longitude, updated_at, set_by_epidemiologist",
            points,
        )
        t = lap("status records", t)

        days = _visit_partitions(cur, now - size.days * 86400, now)
        t = lap(f"visits partitions ({days} days made)", t)
        with Unindexed(cur, "visits_visit"):
            visits = _copy(
                cur,
                "visits_visit",
                VISIT_COLUMNS,
                _visit_lines(rng, size, persons, venues, case, now),
            )
            t = lap(f"visits COPY ({visits} rows)", t)
        t = lap("visits indexes and foreign keys", t)
        _reset_sequence(cur, "visits_visit")
        # The venues' counters (Venue.occupancy), as check-ins would have kept them.
        cur.execute(OCCUPANCY_RECOUNT)
        cur.execute("SELECT max(id) FROM visits_visit")
        max_visit_id = cur.fetchone()[0]

        cur.execute("VACUUM (ANALYZE)")
        t = lap("VACUUM ANALYZE", t)

        facts = {
            "format": FORMAT_VERSION,
            "size": asdict(size),
            "seeded_at": datetime.datetime.fromtimestamp(now, UTC).isoformat(),
            "case_iin": persons.iins[case],
            "max_visit_id": max_visit_id,
            "visits": visits,
            "seconds": round(time.perf_counter() - started, 1),
            "timings": timings,
        }
        cur.execute("CREATE TABLE IF NOT EXISTS bench_seed (key text PRIMARY KEY, value jsonb)")
        cur.execute(
            "INSERT INTO bench_seed VALUES ('facts', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(facts)],
        )
    return facts


def _persons(rng: random.Random, size: Size, now: float) -> Persons:
    iins = _iins(rng, size.persons)
    user_ids: list[int | None] = []
    next_id = 1
    for _ in range(size.persons):
        if rng.random() < 0.9:
            user_ids.append(next_id)
            next_id += 1
        else:
            user_ids.append(None)
    return Persons(iins=iins, user_ids=user_ids, windows={})


def _user_lines(rng: random.Random, persons: Persons, now: float) -> Iterator[str]:
    year = 365 * 86400
    for p, user_id in enumerate(persons.user_ids):
        if user_id is None:
            continue
        # An unusable password, as allauth's code sign-in leaves it; unique per user
        # because the session hash is derived from it.
        password = f"!{rng.getrandbits(160):040x}"
        phone = f"+7{OPERATORS[p % len(OPERATORS)]}{p // len(OPERATORS):07d}"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        qr_key = uuid.UUID(int=rng.getrandbits(128), version=4)
        joined = _ts(now - rng.uniform(0, year))
        yield (
            f"{user_id}\t{password}\tf\t{phone}\tt\t{name}\t{rng.choice(LANGUAGES)}\t"
            f"{persons.iins[p]}\t{qr_key}\tf\tt\t{joined}\n"
        )


VENUE_COLUMNS = (
    "id, name, name_kk, name_ru, name_en, address, latitude, longitude, capacity, pcr_required, "
    "max_stay, code, kiosk_secret, kiosk_only, test_mode_until, suspended, suspended_reason, "
    "created_at, category_id, organisation_id, region_id"
)


def _venues(
    rng: random.Random,
    size: Size,
    region_ids: dict[str, int],
    categories: dict[str, tuple],
    now: float,
) -> list[dict]:
    region_codes = list(REGIONS)
    region_weights = list(itertools.accumulate(REGIONS[code][2] for code in region_codes))
    category_codes = list(CATEGORIES)
    category_weights = list(itertools.accumulate(CATEGORIES[c][0] for c in category_codes))
    codes: set[str] = set()
    venues = []
    for number in range(size.venues):
        region = rng.choices(region_codes, cum_weights=region_weights)[0]
        category = rng.choices(category_codes, cum_weights=category_weights)[0]
        _share, visits, stay, capacity, max_stay = CATEGORIES[category]
        category_id, essential, pcr_required, *names = categories[category]
        lat, lon, _weight, city = REGIONS[region]
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(12))
        while code in codes:
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(12))
        codes.add(code)
        created = now - rng.uniform(60, 700) * 86400
        suspended = rng.random() < 0.005
        venues.append(
            {
                "id": number + 1,
                "number": number + 1,
                "names": names,
                "category_id": category_id,
                "region_id": region_ids[region],
                "city": city,
                "essential": essential,
                "pcr_required": pcr_required,
                "kiosk_only": rng.random() < 0.05,
                "suspended": suspended,
                "capacity": max(2, round(capacity * rng.lognormvariate(0, 0.5))),
                "max_stay": max_stay * 3600,
                "stay": stay,
                # Popularity: the category's pull times a venue's own luck.
                "weight": visits * rng.lognormvariate(0, 0.8),
                "latitude": lat + rng.uniform(-0.08, 0.08),
                "longitude": lon + rng.uniform(-0.12, 0.12),
                "code": code,
                "created": created,
                "street": rng.choice(STREETS),
                "house": rng.randint(1, 300),
                "secret": f"{rng.getrandbits(256):064x}",
            }
        )
    return venues


def _venue_line(v: dict) -> str:
    number = v["number"]
    kk, ru, en = v["names"]
    max_stay = datetime.timedelta(seconds=v["max_stay"])
    return (
        f"{v['id']}\t{kk} № {number}\t{kk} № {number}\t{ru} № {number}\t{en} No. {number}\t"
        f"{v['city']}, {v['street']} көшесі, {v['house']}\t{v['latitude']:.6f}\t"
        f"{v['longitude']:.6f}\t{v['capacity']}\t{'t' if v['pcr_required'] else 'f'}\t"
        f"{max_stay}\t{v['code']}\t{v['secret']}\t{'t' if v['kiosk_only'] else 'f'}\t"
        f"{_ts(v['created'] + 7 * 86400)}\t{'t' if v['suspended'] else 'f'}\t"
        f"{'inspection' if v['suspended'] else ''}\t{_ts(v['created'])}\t{v['category_id']}\t"
        f"{v['organisation'] + 1}\t{v['region_id']}\n"
    )


RANK = {"green": 1, "yellow": 2, "red": 3}


def _status_records(
    rng: random.Random, persons: Persons, now: float, case: int
) -> tuple[list[str], list[str]]:
    """One person in ten has a history: vaccinations, tests, contacts, cases."""
    day = 86400
    records: list[str] = []
    points: list[str] = []
    region = list(REGIONS.values())

    def add(p: int, status: str, source: str, start: float, days: float, lifted=None) -> None:
        end = start + days * day
        persons.windows.setdefault(p, []).append(
            (RANK[status], status, start, end, lifted or math.inf)
        )
        lift = (_ts(lifted), "lifted by an epidemiologist") if lifted else (NULL, "")
        records.append(
            f"{persons.iins[p]}\t{status}\t{source}\t{_ts(start)}\t{_ts(end)}\t\t{_ts(start)}\t"
            f"{lift[0]}\t{lift[1]}\t\t\t{{}}\n"
        )

    for p in range(len(persons.iins)):
        if p == case or rng.random() >= 0.1:
            continue
        kind = rng.random()
        if kind < 0.5:
            add(p, "green", "vaccination", now - rng.uniform(0, 330) * day, 365)
        elif kind < 0.7:
            add(p, "green", "pcr_negative", now - rng.uniform(0, 20) * day, 7)
        elif kind < 0.82:
            start = now - rng.uniform(0, 25) * day
            lifted = start + rng.uniform(1, 5) * day if rng.random() < 0.1 else None
            add(p, "yellow", "contact", start, 14, lifted if lifted and lifted < now else None)
            if rng.random() < 0.7:
                lat, lon, _weight, city = rng.choice(region)
                points.append(
                    f"{persons.iins[p]}\t{city}, үй {rng.randint(1, 200)}\t"
                    f"{lat + rng.uniform(-0.05, 0.05):.6f}\t{lon + rng.uniform(-0.05, 0.05):.6f}\t"
                    f"{_ts(now)}\tt\n"
                )
        elif kind < 0.9:
            start = now - rng.uniform(0, 25) * day
            add(p, "red", "pcr_positive", start, 10)
            add(p, "green", "recovery", start + 10 * day, 90)
        else:
            add(p, "green", "recovery", now - rng.uniform(0, 100) * day, 90)
    # The case whose contacts the tracing benchmark finds: confirmed this morning.
    add(case, "red", "pcr_positive", now - 3 * 3600, 10)
    return records, points


VISIT_COLUMNS = (
    "id, venue_id, iin, user_id, method, recorded_by_id, status, admitted, denial_code, "
    "test_mode, checked_in_at, checked_out_at, checkout_method, nonce"
)


def _status_of(windows: list, at: float) -> str:
    best, status = 0, "blue"
    for rank, name, start, end, lifted in windows:
        if start <= at < end and at < lifted and rank > best:
            best, status = rank, name
    return status


def _visit_lines(
    rng: random.Random, size: Size, persons: Persons, venues: list[dict], case: int, now: float
) -> Iterator[str]:
    """Visits in the order they happened, so ids grow with time as in production."""
    start = now - size.days * 86400
    weights = list(itertools.accumulate(v["weight"] for v in venues))
    # Local calendar days covering the window, each with its share of entries.
    first_day = datetime.datetime.fromtimestamp(start, ALMATY).date()
    last_day = datetime.datetime.fromtimestamp(now, ALMATY).date()
    days = []
    day = first_day
    while day <= last_day:
        midnight = datetime.datetime.combine(day, datetime.time(), ALMATY).timestamp()
        hours = [
            (midnight + h * 3600, w)
            for h, w in enumerate(HOURS)
            if midnight + (h + 1) * 3600 > start and midnight + h * 3600 < now
        ]
        weight = WEEKDAYS[day.weekday()] * sum(w for _h, w in hours)
        days.append((day, hours, weight))
        day += datetime.timedelta(days=1)
    total = sum(weight for _day, _hours, weight in days)
    counts = [round(size.visits * weight / total) for _day, _hours, weight in days]
    counts[-1] += size.visits - sum(counts)
    case_days = _case_visits(rng, size, venues, weights, now)

    iins, user_ids, windows = persons.iins, persons.user_ids, persons.windows
    persons_count = len(iins)
    greens = [
        p for p, spans in windows.items() if p != case and any(w[1] == "green" for w in spans)
    ]
    rand, randrange, lognorm, bits = rng.random, rng.randrange, rng.lognormvariate, rng.getrandbits
    visit_id = 0
    for (day, hours, _weight), count in zip(days, counts, strict=True):
        hour_starts = [h for h, _w in hours]
        hour_weights = list(itertools.accumulate(w for _h, w in hours))
        entries = []
        for _ in range(count):
            at = hour_starts[bisect.bisect(hour_weights, rand() * hour_weights[-1])] + rand() * 3600
            if start <= at < now:
                entries.append((at, None))
        entries.extend((at, venue) for at, venue in case_days.get(day, ()))
        entries.sort(key=lambda entry: entry[0])
        chosen = rng.choices(venues, cum_weights=weights, k=len(entries))
        for (at, case_venue), venue in zip(entries, chosen, strict=True):
            if case_venue is not None:
                p, venue, status = case, case_venue, "blue"
            else:
                p = randrange(persons_count)
                status = _status_of(windows[p], at) if p in windows else "blue"
                # PCR-only venues are visited mostly by people with a green record;
                # blue people mostly know better than to try.
                if venue["pcr_required"] and status == "blue" and rand() < 0.85:
                    p = greens[randrange(len(greens))]
                    status = _status_of(windows[p], at)
                if p == case:
                    continue
            visit_id += 1
            user = user_ids[p]
            r = rand()
            if user is not None and r < 0.75:
                method, recorder = "self_scan", None
            elif user is not None and r < 0.83:
                method, recorder = "staff_qr", venue["admin"]
            else:
                method = "staff_barcode" if rand() < 0.3 else "staff_iin"
                recorder = venue["admin"]
            denial = ""
            if status == "red":
                denial = "red"
            elif status == "yellow" and not venue["essential"]:
                denial = "yellow_not_essential"
            elif status == "blue" and venue["pcr_required"]:
                denial = "pcr_required"
            elif venue["suspended"] and at > now - 3 * 86400:
                denial = "suspended"
            elif rand() < 0.003:
                denial = "full"
            checked_out, checkout = NULL, ""
            if not denial:
                if case_venue is not None:
                    stay = rng.uniform(30, 120) * 60
                else:
                    stay = min(venue["max_stay"], max(120.0, lognorm(0, 0.6) * venue["stay"] * 60))
                r = rand()
                if case_venue is not None or 0.3 <= r < 0.8:
                    how = "self"
                elif r < 0.3:  # forgot to press "Exit": closed by the job at the maximum stay
                    stay, how = venue["max_stay"], "automatic"
                elif r < 0.9:
                    how = "staff"
                else:
                    how = "moved"
                if at + stay <= now:
                    checked_out, checkout = _ts(at + stay), how
            yield (
                f"{visit_id}\t{venue['id']}\t{iins[p]}\t{user if user else NULL}\t"
                f"{method}\t{recorder if recorder else NULL}\t{status}\t"
                f"{'f' if denial else 't'}\t{denial}\tf\t{_ts(at)}\t{checked_out}\t{checkout}\t"
                f"{bits(128):032x}\n"
            )


def _case_visits(
    rng: random.Random, size: Size, venues: list[dict], weights: list[float], now: float
) -> dict[datetime.date, list[tuple[float, dict]]]:
    """The case's visits over the last 13 days, two or three a day at busy places."""
    by_day: dict[datetime.date, list[tuple[float, dict]]] = {}
    open_venues = [v for v in venues if not v["suspended"] and not v["pcr_required"]]
    open_weights = list(itertools.accumulate(v["weight"] for v in open_venues))
    at = now - 13 * 86400
    step = 13 * 86400 / size.case_visits
    for _ in range(size.case_visits):
        local = datetime.datetime.fromtimestamp(at, ALMATY)
        hour = datetime.datetime.combine(local.date(), datetime.time(rng.randint(9, 19)), ALMATY)
        entry = min(hour.timestamp() + rng.uniform(0, 3600), now - 3 * 3600)
        venue = rng.choices(open_venues, cum_weights=open_weights)[0]
        day = datetime.datetime.fromtimestamp(entry, ALMATY).date()
        by_day.setdefault(day, []).append((entry, venue))
        at += step
    return by_day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ashyq_bench"),
    )
    args = parser.parse_args()
    facts = seed(args.database_url, SIZES[args.size])
    print(json.dumps(facts, indent=2))


if __name__ == "__main__":
    main()
