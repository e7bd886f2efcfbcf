"""`make bench`: the check-in benchmark, end to end: what a door costs against a bare Django view.

    .venv/bin/python -m bench.run --size quick              # under a minute on 2 cores
    .venv/bin/python -m bench.run --size quick --rounds 3   # 2.5 minutes, steadier when shared
    .venv/bin/python -m bench.run --size default            # 1 M persons, 10 M visits

1. PostgreSQL: a database of its own (ashyq_bench for the default size,
   ashyq_bench_quick for the quick one; BENCH_DATABASE_URL overrides), migrated
   and seeded by bench.seed with COPY unless it already holds a seed of that
   size (--reseed forces a new one). Visits written by earlier runs are deleted
   before every warm-up and every measured run, so each starts from the seed.
2. Gunicorn with gunicorn.conf.py and one sync worker per core (WEB_CONCURRENCY),
   --no-control-socket, DEBUG=0, Redis (BENCH_REDIS_URL, default db 13, emptied by
   the run) for the cache, the rate limits and the sessions (cached_db, as in
   production), and DJANGO_SETTINGS_MODULE=bench.settings with BENCH_FLOOR=1 for the
   floor URL; a second gunicorn (bench.bare_wsgi) serves the bare floor.
3. wrk, pinned with taskset to the last core, 8 connections, a fixed duration per
   scenario after a warm-up; before each run it waits (up to 30 s) for other
   processes to leave the CPU. Every interaction is a different person
   (bench/wrk/checkin.lua sends one pre-built request per line; bench/wrk/lived.lua
   plays the citizen's two requests, one thread per connection):
     staff       POST /staff/<venue>/ q=<IIN>: a scan, answered with the staff page
     self        POST /v/<code>/: a signed-in citizen checks in, answered with the answer page
     self_lived  GET /v/<code>/, then the POST: the citizen's whole path
     floor       POST /bench/floor/<code>/: one indexed SELECT, one INSERT (bench.views)
     bare        the same without any middleware (bench.bare_settings, bench.bare_urls)
   Every run starts from the seed: new visits deleted, seeded visits closed as
   "moved" or "refused" opened again, the citizens' accounts dropped from the
   cache. The doors' staff are signed in and scanning all shift, as at a real
   door: their accounts and their venues' cards are in the cache (warm_doors).
   People go to venues with free places, so most check-ins are admissions.
   With --rounds N every scenario runs N times, interleaved; the quietest round
   counts for all scenarios, so each is set against the floors it ran beside, and
   all rounds go to the JSON.
4. Queries per request: the same views through Django's test client under
   CaptureQueriesContext, against the same database, with Redis commands counted.
5. Contact tracing for the seeded case (30 visits): visits.tracing.contacts_find
   (the ORM) against bench.contacts_sql (one hand-written query), median of 15 runs.
6. A table on stdout and everything in bench-results/bench.json (--output).
   --profile SECONDS samples the workers with py-spy afterwards (py-spy on PATH).
"""

import argparse
import contextlib
import datetime
import http.client
import json
import logging
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bench import seed as seeding

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
LUA = Path(__file__).resolve().parent / "wrk" / "checkin.lua"
LIVED_LUA = Path(__file__).resolve().parent / "wrk" / "lived.lua"
BIN = Path(sys.executable).parent
SCENARIOS = ("staff", "self", "self_lived", "floor", "bare")
TITLES = {
    "staff": "1 staff scan: POST, its page",
    "self": "2 self check-in POST, answer",
    "self_lived": "3 self: GET, POST",
    "floor": "4 floor, full middleware",
    "bare": "5 bare floor, no middleware",
}
# What each scenario's requests answer: a scan at the staff door with its
# page, a citizen's check-in with its answer page, the floors with a redirect.
EXPECTED_STATUS = {"staff": 200, "self": 200, "floor": 302, "bare": 302}
# Share of capacity the bench fills at most, below the smallest zone share
# (60 %, docs/rules.md §3), so that a door admits as a real one does.
FILL_SHARE = 0.55
# Scans per staff member per request file, under the per-user look-up limit
# (120 a minute) even when the warm-up and the measured run share a minute.
SCANS_PER_DOOR = 50
# Not a secret: it signs the sessions of a throwaway benchmark database.
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Per scenario and size: people in the pool, each sent once. Enough for the
# duration at several hundred requests a second; a wrap is reported.
POOLS = {"quick": 8_000, "default": 60_000}


def log(message: str) -> None:
    print(message, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(seeding.SIZES), default="quick")
    parser.add_argument("--duration", type=int, help="seconds per scenario (quick 10, default 30)")
    parser.add_argument(
        "--warmup", type=int, help="seconds of warm-up per scenario (quick 3, default 5)"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure every scenario this many times, interleaved"
    )
    parser.add_argument(
        "--quiet-timeout",
        type=float,
        default=30,
        help="seconds to wait before each run for other processes to leave the CPU",
    )
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database again")
    parser.add_argument("--tracing-runs", type=int, default=15)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="SECONDS",
        help="after measuring, sample the workers with py-spy for this long per scenario",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "bench.json")
    args = parser.parse_args()
    quick = args.size == "quick"
    args.duration = args.duration or (10 if quick else 30)
    args.warmup = args.warmup if args.warmup is not None else (3 if quick else 5)
    args.pool = POOLS.get(args.size, 60_000)
    if not args.port:
        args.port = free_port()
    args.bare_port = free_port()
    return args


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of gunicorn and of this process: production settings, bench DB."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_FLOOR": "1",
        "DEBUG": "0",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        # One database per size, so that a quick run leaves the 10 M-visit seed alone.
        "DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/"
            + ("ashyq_bench" if args.size == "default" else f"ashyq_bench_{args.size}"),
        ),
        # A Redis database of its own: the run empties it.
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "SMS_BACKEND": "locmem",
        # Seeded people claim nothing through the portal; say so, as production must.
        "ALLOW_UNVERIFIED_IIN_CLAIMS": "1",
        "WEB_CONCURRENCY": str(args.workers),
        "HOST": "127.0.0.1",
        "PORT": str(args.port),
    }


def bare_env(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    """The bare floor's gunicorn: the same database and workers, no middleware."""
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
        "BENCH_BARE": "1",
        "BENCH_FLOOR": "0",
        "PORT": str(args.bare_port),
    }


# 1. The database.


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: installing Debian's package (apt-get install -y wrk)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)  # noqa: S607
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("bench: wrk is not installed. Install it with: apt-get install -y wrk")


def ensure_database(args: argparse.Namespace, env: dict[str, str]) -> dict:
    """Migrate and seed ashyq_bench unless it already holds a seed of this size."""
    url = env["DATABASE_URL"]
    params = conninfo_to_dict(url)
    name = params["dbname"]
    admin = make_conninfo(url, dbname="postgres")
    size = seeding.SIZES[args.size]
    facts = None
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if exists and not args.reseed:
        with psycopg.connect(url) as conn:
            try:
                row = conn.execute("SELECT value FROM bench_seed WHERE key = 'facts'").fetchone()
            except psycopg.errors.UndefinedTable:
                row = None
        stored = row[0] if row else None
        if (
            stored
            and stored.get("format") == seeding.FORMAT_VERSION
            and stored.get("size") == asdict(size)
        ):
            facts = stored
    migrate_started = time.perf_counter()
    if facts is None:
        log(f"database {name}: creating, migrating and seeding ({args.size}: {size})")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        log(f"database {name}: reusing the {args.size} seed of {facts['seeded_at']}")
    run_manage(env, "migrate", "--noinput")
    migrate_seconds = round(time.perf_counter() - migrate_started, 1)
    if facts is None:
        facts = seeding.seed(url, size, log=log)
        facts["migrate_seconds"] = migrate_seconds
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "UPDATE bench_seed SET value = %s WHERE key = 'facts'", [json.dumps(facts)]
            )
        facts["reused"] = False
        log(f"seeded in {facts['seconds']} s (+ {migrate_seconds} s of migrations)")
    else:
        facts["reused"] = True
        age = datetime.datetime.now(datetime.UTC) - datetime.datetime.fromisoformat(
            facts["seeded_at"]
        )
        if age > datetime.timedelta(days=3):
            log(f"warning: the seed is {age.days} days old; --reseed for fresh open visits")
    return facts


def run_manage(env: dict[str, str], *command: str) -> None:
    subprocess.run(  # noqa: S603 - our own manage.py with our own arguments
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )


# 2. The state of a run: pools of people, sessions, request files.


def reset_state(facts: dict) -> int:
    """Remove what earlier runs wrote: their visits, sessions and cache."""
    from django.core.cache import caches
    from django.db import connection

    with connection.cursor() as cursor:
        deleted = restore_seeded_visits(cursor, facts)
        cursor.execute("DELETE FROM visits_statuslookup")
        cursor.execute("DELETE FROM django_session")
        if deleted:
            cursor.execute("VACUUM (ANALYZE) visits_visit")
    for alias in caches:
        caches[alias].clear()
    return deleted


def restore_seeded_visits(cursor, facts: dict, iins: list[str] | None = None) -> int:
    """The visits as seeded: the runs' own visits and their double-tap nonces go,
    the seeded visits they closed (a check-in elsewhere moves the person; a refused
    re-scan ends the stay) open again, of everyone or of `iins`, and the venues'
    counters follow. Without the nonces' removal a second round's requests, built
    with the same nonces, would be answered as repeats of visits no longer there.
    Returns how many visits were deleted."""
    cursor.execute("DELETE FROM visits_visitnonce WHERE visit_id > %s", [facts["max_visit_id"]])
    cursor.execute("DELETE FROM visits_visit WHERE id > %s", [facts["max_visit_id"]])
    deleted = cursor.rowcount
    cursor.execute(
        "UPDATE visits_visit SET checked_out_at = NULL, checkout_method = '' "
        "WHERE id <= %s AND checkout_method IN ('moved', 'refused') AND checked_out_at > %s "
        "AND (%s::text[] IS NULL OR iin = ANY(%s))",
        [facts["max_visit_id"], facts["seeded_at"], iins, iins],
    )
    cursor.execute(seeding.OCCUPANCY_RECOUNT)
    return deleted


def make_sessions(users: list[tuple[int, str]]) -> dict[int, str]:
    """Signed-in sessions for many users at once, as `login()` would leave them.

    Written with COPY, and into the cache too when the engine reads from it
    first (cached_db): an active citizen's session is in Redis, not on disk.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.core.cache import caches
    from django.db import connection
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.backends import CachedAuthenticationBackend
    from accounts.models import User

    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore()
    # The backend a phone sign-in records in the session.
    backend = f"{CachedAuthenticationBackend.__module__}.{CachedAuthenticationBackend.__qualname__}"
    expires = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys: dict[int, str] = {}
    rows, cached = [], {}
    for user_id, password in users:
        data = {
            "_auth_user_id": str(user_id),
            "_auth_user_backend": backend,
            "_auth_user_hash": User(pk=user_id, password=password).get_session_auth_hash(),
        }
        key = get_random_string(32, VALID_KEY_CHARS)
        keys[user_id] = key
        rows.append((key, store.encode(data), expires))
        if hasattr(store, "cache_key_prefix"):
            cached[store.cache_key_prefix + key] = data
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(
            "COPY django_session (session_key, session_data, expire_date) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    if cached:
        cache = caches[settings.SESSION_CACHE_ALIAS]
        items = list(cached.items())
        for start in range(0, len(items), 1000):
            cache.set_many(dict(items[start : start + 1000]), settings.SESSION_COOKIE_AGE)
    return keys


def free_places() -> dict[int, int]:
    """Places a venue can still fill under FILL_SHARE, given the seed's open visits."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.id, v.capacity, COALESCE(o.inside, 0) FROM venues_venue v "
            "LEFT JOIN (SELECT venue_id, count(*) AS inside FROM visits_visit "
            "WHERE admitted AND checked_out_at IS NULL GROUP BY venue_id) o ON o.venue_id = v.id "
            "WHERE NOT v.kiosk_only AND NOT v.suspended"
        )
        return {
            venue_id: max(0, int(capacity * FILL_SHARE) - inside)
            for venue_id, capacity, inside in cursor.fetchall()
        }


def spread(slots: dict, count: int, rng: random.Random) -> tuple[list, bool]:
    """`count` picks from `slots` (a key and how many times it may be picked), in
    random order: at most as many people at a venue as it has free places, so
    that most check-ins are admissions, as at a real door. Starts over (and says
    so) when there are more people than places."""
    pool = [key for key, times in slots.items() for _ in range(times)]
    if not pool:
        raise SystemExit("bench: no venue has a free place; --reseed")
    rng.shuffle(pool)
    picks = [pool[n % len(pool)] for n in range(count)]
    return picks, count > len(pool)


def prepare(args: argparse.Namespace, facts: dict) -> dict:
    """Pick the people, venues and staff of each scenario; write wrk's request files."""
    from django.conf import settings
    from django.db import connection
    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.utils.crypto import get_random_string

    rng = random.Random(8)  # noqa: S311 - the same people every run, for comparable runs
    with connection.cursor() as cursor:
        # Persons in a fixed pseudo-random order; those with an account can sign in.
        cursor.execute(
            "SELECT p.iin, u.id, u.password FROM bench_person p "
            "LEFT JOIN accounts_user u ON u.id = p.user_id "
            "WHERE p.iin <> %s ORDER BY md5(p.iin) LIMIT %s",
            [facts["case_iin"], 3 * args.pool + 100],
        )
        people = cursor.fetchall()
        cursor.execute(
            "SELECT id, code, capacity FROM venues_venue WHERE NOT kiosk_only AND NOT suspended"
        )
        venues = cursor.fetchall()
        # Who may check people in where: organisation admins and staff members.
        cursor.execute(
            "SELECT m.venue_id, m.user_id, u.password FROM venues_staffmembership m "
            "JOIN accounts_user u ON u.id = m.user_id "
            "UNION SELECT v.id, o.admin_id, u.password FROM venues_venue v "
            "JOIN venues_organisation o ON o.id = v.organisation_id "
            "JOIN accounts_user u ON u.id = o.admin_id ORDER BY 1, 2"
        )
        staff_rows = cursor.fetchall()
    places = free_places()
    # Each staff member at one door of an open venue with room, and as many
    # doors as there are staff (up to 2000).
    doors, seen = [], set()
    for venue_id, user_id, password in staff_rows:
        if user_id not in seen and places.get(venue_id, 0) > 0:
            seen.add(user_id)
            doors.append((venue_id, user_id, password))
    rng.shuffle(doors)
    doors = doors[:2000]
    citizens = [row for row in people if row[1] is not None][: args.pool + 50]
    taken = {row[0] for row in citizens}
    others = [row for row in people if row[0] not in taken][: args.pool + 50]
    probes = {"self": citizens[-50:], "staff": others[-50:]}
    citizens, others = citizens[: args.pool], others[: args.pool]

    sessions = make_sessions(
        [(user_id, password) for _iin, user_id, password in citizens + probes["self"]]
        + [(user_id, password) for _venue, user_id, password in doors]
    )
    token = get_random_string(32, CSRF_ALLOWED_CHARS)
    cookies = f"{settings.CSRF_COOKIE_NAME}={token}; {settings.LANGUAGE_COOKIE_NAME}=ru"
    code_of = {venue_id: code for venue_id, code, _capacity in venues}
    codes = [code for _id, code, _capacity in venues if places.get(_id, 0) > 0]
    # A venue's free places, shared by its doors; a door takes SCANS_PER_DOOR at most.
    door_slots: dict[int, int] = {}
    per_venue: dict[int, list[int]] = {}
    for number, (venue_id, _user, _password) in enumerate(doors):
        per_venue.setdefault(venue_id, []).append(number)
    for venue_id, numbers in per_venue.items():
        share = places[venue_id] // len(numbers)
        for number in numbers:
            door_slots[number] = min(SCANS_PER_DOOR, share)
    venue_slots = {venue_id: free for venue_id, free in places.items() if free > 0}
    warm = min(args.pool // 5, max(500, args.warmup * 400))
    wrapped = {}

    def self_line(row: tuple, venue_id: int) -> str:
        session = f"{settings.SESSION_COOKIE_NAME}={sessions[row[1]]}"
        return f"/v/{code_of[venue_id]}/\tnonce={uuid.uuid4().hex}\t{session}; {cookies}\n"

    def staff_line(row: tuple, number: int) -> str:
        venue_id, user_id, _password = doors[number]
        session = f"{settings.SESSION_COOKIE_NAME}={sessions[user_id]}"
        body = f"q={row[0]}&mode=entry&nonce={uuid.uuid4().hex}&source="
        return f"/staff/{venue_id}/\t{body}\t{session}; {cookies}\n"

    def floor_line(prefix: str, row: tuple) -> str:
        code = rng.choice(codes)
        return f"/bench/{prefix}/{code}/\tiin={row[0]}&nonce={uuid.uuid4().hex}\t{cookies}\n"

    def lines_for(scenario: str, rows: list, line, slots: dict) -> tuple[list, list]:
        # The warm-up's visits are deleted before the measured run, so each
        # file may fill the free places anew.
        files = []
        wraps = False
        for part in (rows[:warm], rows[warm:]):
            picks, wrap = spread(slots, len(part), rng)
            wraps = wraps or wrap
            files.append([line(row, pick) for row, pick in zip(part, picks, strict=True)])
        wrapped[scenario] = wraps
        return files[0], files[1]

    floor_count = max(args.pool, 1500 * (args.duration + args.warmup))
    lines = {
        "self": lines_for("self", citizens, self_line, venue_slots),
        "self_lived": lines_for("self_lived", citizens[::-1], self_line, venue_slots),
        "staff": lines_for("staff", others, staff_line, door_slots),
    }
    for scenario, prefix in (("floor", "floor"), ("bare", "bare")):
        # The floors write blindly, so their people may repeat; only the nonce may not.
        rows = [floor_line(prefix, rng.choice(people)) for _ in range(floor_count)]
        lines[scenario] = (rows[:warm], rows[warm:])
    files = {}
    folder = RESULTS / "wrk"
    folder.mkdir(parents=True, exist_ok=True)
    for scenario, (warm_lines, measure_lines) in lines.items():
        files[scenario] = {
            "warmup": folder / f"{scenario}-warmup.txt",
            "measure": folder / f"{scenario}.txt",
            "pool": len(measure_lines),
            "over_capacity": wrapped.get(scenario, False),
        }
        files[scenario]["warmup"].write_text("".join(warm_lines))
        files[scenario]["measure"].write_text("".join(measure_lines))
    return {
        "files": files,
        "token": token,
        "cookies": cookies,
        "sessions": sessions,
        "doors": doors,
        "probes": probes,
        "codes": codes,
        # The citizens' accounts, dropped from the cache before every run.
        "user_ids": [row[1] for row in citizens + probes["self"]],
        "iins": [row[0] for row in citizens + others + probes["self"] + probes["staff"]],
    }


# 3. The server and the load.


class Gunicorn:
    def __init__(
        self,
        args: argparse.Namespace,
        env: dict[str, str],
        *,
        name: str = "gunicorn",
        ready_path: str = "/healthz",
        app: str = "ashyq.wsgi",
    ) -> None:
        self.args = args
        self.env = {**os.environ, **env}
        self.port = int(env["PORT"])
        self.ready_path = ready_path
        self.log_path = RESULTS / f"{name}.log"
        # A worker restart mid-scenario (max_requests) costs a Django import of
        # a second or more on a 2-core machine and would land in one scenario's
        # p99 by chance: switched off here, everything else is gunicorn.conf.py.
        self.command = [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--max-requests",
            "0",
            # gunicorn 27 binds a control socket at a fixed path and removes
            # whatever is there: another gunicorn's on this machine, or ours.
            "--no-control-socket",
            app,
        ]

    def __enter__(self) -> "Gunicorn":
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603
            self.command, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: gunicorn exited; see {self.log_path}")
            with contextlib.suppress(OSError):
                status, _headers, _body = http_request(self.port, "GET", self.ready_path)
                # The bare floor answers GET with 405: it is up all the same.
                if status in (200, 405) and len(self.workers()) >= self.args.workers:
                    return self
            time.sleep(0.3)
        raise SystemExit(f"bench: gunicorn did not answer /healthz in 60 s; see {self.log_path}")

    def __exit__(self, *exc_info) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()

    def workers(self) -> list[int]:
        return [pid for pid, ppid, _comm in processes() if ppid == self.process.pid]


def http_request(
    port: int, method: str, path: str, body: str = "", headers: dict | None = None
) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            method,
            path,
            body=body or None,
            headers={"Host": f"127.0.0.1:{port}", "X-Forwarded-Proto": "https", **(headers or {})},
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def processes() -> list[tuple[int, int, str]]:
    result = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                comm = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2 :].split()
                result.append((int(entry.name), int(fields[1]), comm))
    return result


POSTGRES_BACKGROUND = (
    "walwriter",
    "checkpointer",
    "background writer",
    "autovacuum launcher",
    "logical replication",
    "archiver",
)


def cpu_snapshot(workers: list[int], database: str) -> dict:
    """CPU ticks so far per process, each put in a group: the gunicorn workers
    (app), the PostgreSQL backends of the bench database (db), PostgreSQL's own
    background processes (db_shared: WAL writer, checkpointer…), Redis; and the
    machine's busy and total ticks. Other databases' backends are someone else's."""
    pids: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks = int(fields[11]) + int(fields[12])
            pid = int(entry.name)
            if pid in workers:
                pids[pid] = ("app", ticks)
            elif comm.startswith("postgres"):
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
                if f" {database} " in title:
                    pids[pid] = ("db", ticks)
                elif any(name in title for name in POSTGRES_BACKGROUND):
                    pids[pid] = ("db_shared", ticks)
            elif comm.startswith("redis"):
                pids[pid] = ("redis", ticks)
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "pids": pids,
        "busy": sum(values) - values[3] - values[4],
        "all": sum(values),
        "wrk": children.ru_utime + children.ru_stime,
    }


class CpuSampler(threading.Thread):
    """Snapshots every quarter second while wrk runs, so that a process that ends
    mid-run (a PostgreSQL backend closed after DATABASE_CONN_MAX_AGE) still
    counts up to its last sample."""

    def __init__(self, workers: list[int], database: str) -> None:
        super().__init__(daemon=True)
        self.workers, self.database = workers, database
        self.first = cpu_snapshot(workers, database)
        self.last = self.first
        self.seen = dict(self.first["pids"])
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.25):
            self.sample()

    def sample(self) -> None:
        self.last = cpu_snapshot(self.workers, self.database)
        self.seen.update(self.last["pids"])

    def stop(self) -> dict[str, float]:
        self.stopping.set()
        self.join()
        self.sample()
        return cpu_delta(self.first, {**self.last, "pids": self.seen})


def cpu_delta(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per group between two snapshots (a process that started in
    between counts whole)."""
    groups: Counter[str] = Counter()
    for pid, (group, ticks) in after["pids"].items():
        earlier = before["pids"].get(pid)
        groups[group] += ticks - (earlier[1] if earlier and earlier[0] == group else 0)
    seconds = {key: value / CLK_TCK for key, value in groups.items()}
    for group in ("app", "db", "db_shared", "redis"):
        seconds.setdefault(group, 0.0)
    seconds["wrk"] = after["wrk"] - before["wrk"]
    seconds["busy"] = (after["busy"] - before["busy"]) / CLK_TCK
    seconds["all"] = (after["all"] - before["all"]) / CLK_TCK
    return seconds


def wal_position() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
        return cursor.fetchone()[0]


def max_visit_id() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM visits_visit")
        return cursor.fetchone()[0]


def written_since(visit_id: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT admitted, denial_code, count(*) FROM visits_visit WHERE id > %s GROUP BY 1, 2",
            [visit_id],
        )
        rows = cursor.fetchall()
    return {
        "visits": sum(count for _a, _d, count in rows),
        "admitted": sum(count for admitted, _d, count in rows if admitted),
        "denied": {code: count for admitted, code, count in rows if not admitted},
    }


def wrk_command(
    args: argparse.Namespace, wrk: str, path: Path, seconds: int, token: str, scenario: str
) -> list:
    cpu = str((os.cpu_count() or 1) - 1)
    port = args.bare_port if scenario == "bare" else args.port
    host = f"127.0.0.1:{port}"
    if scenario == "self_lived":
        # A thread per connection: each connection's two requests in order.
        threads, script, extra = args.connections, LIVED_LUA, []
    else:
        threads, script, extra = args.threads, LUA, [str(EXPECTED_STATUS[scenario])]
    return [
        "taskset",
        "-c",
        cpu,
        wrk,
        f"-t{threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        f"http://{host}",
        "--",
        str(path),
        str(threads),
        host,
        f"https://{host}",
        token,
        *extra,
    ]


def run_wrk(command: list) -> tuple[dict, str]:
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    match = re.search(r"^BENCH_JSON (.*)$", output, re.MULTILINE)
    if not match:
        raise SystemExit(f"bench: wrk printed no result:\n{output}")
    return json.loads(match.group(1)), output


def preflight(args: argparse.Namespace, state: dict) -> None:
    """One request of each kind before any load: the expected answer, or a clear reason why not."""
    for scenario in SCENARIOS:
        line = state["files"][scenario]["warmup"].read_text().splitlines()[0]
        target, body, cookie = line.split("\t")
        port = args.bare_port if scenario == "bare" else args.port
        headers = {"Cookie": cookie}
        if scenario == "self_lived":
            status, _headers, content = http_request(port, "GET", target, "", headers)
            expected = 200
        else:
            status, _headers, content = http_request(
                port,
                "POST",
                target,
                body,
                {
                    **headers,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": f"https://127.0.0.1:{port}",
                    "X-CSRFToken": state["token"],
                },
            )
            expected = EXPECTED_STATUS[scenario]
        if scenario in ("floor", "bare") and status == 404:
            raise SystemExit(
                f"bench: the {scenario} URL {target} answers 404. It exists only with "
                "DJANGO_SETTINGS_MODULE=bench.settings and BENCH_FLOOR=1 (bench.bare_settings "
                "and BENCH_BARE=1 for the bare floor; bench.run sets them): check that nothing "
                "in the environment overrides them."
            )
        if status != expected:
            raise SystemExit(
                f"bench: {scenario} answered {status}, not {expected}:\n"
                f"{content.decode(errors='replace')[:2000]}"
            )
        log(f"  preflight {scenario}: {status}")


def forget_run_visits(facts: dict, state: dict | None = None) -> None:
    """Every run starts from the seeded state and cold accounts.

    Earlier runs' visits go; the seeded open visits they closed as "moved" (or
    "refused") open again, or every run would find fewer people inside and drift
    cheaper; and the accounts of the run's citizens leave the cache, or a second
    round would find them there and flatter itself.
    """
    from django.core.cache import cache
    from django.db import connection

    from accounts.backends import user_cache_key

    with connection.cursor() as cursor:
        restore_seeded_visits(cursor, facts, iins=state["iins"] if state else None)
    if state is not None:
        keys = [user_cache_key(user_id) for user_id in state["user_ids"]]
        for start in range(0, len(keys), 1000):
            cache.delete_many(keys[start : start + 1000])


def warm_doors(state: dict) -> None:
    """Each door's staff member as at a real door, where they have been signed in
    and scanning all shift: their account and their venue's card in the cache.

    The bench's 2 000 doors take about two scans each in a 20-second run; cold,
    every other scan would load the staff member's account and the venue from
    the database, where a real door does so once in USER_CACHE_SECONDS.
    """
    from accounts.backends import CachedAuthenticationBackend
    from venues.cards import venue_card

    backend = CachedAuthenticationBackend()
    for venue_id, user_id, _password in state["doors"]:
        backend.get_user(user_id)
        venue_card(venue_id=venue_id)


def wait_for_quiet(workers: list[int], database: str, timeout: float) -> tuple[float, float]:
    """On a shared machine, wait (up to `timeout` s) until other processes use
    less than a tenth of the CPU. Returns the seconds waited and the last share."""
    started = time.monotonic()
    share = 1.0
    while True:
        before = cpu_snapshot(workers, database)
        time.sleep(1)
        delta = cpu_delta(before, cpu_snapshot(workers, database))
        ours = sum(delta[key] for key in ("app", "db", "db_shared", "redis", "wrk"))
        share = max(0.0, (delta["busy"] - ours) / delta["all"]) if delta["all"] else 0.0
        waited = time.monotonic() - started
        if share < 0.1 or waited >= timeout:
            return round(waited, 1), round(share, 3)


def measure_once(
    args: argparse.Namespace,
    wrk: str,
    workers: dict[str, list[int]],
    state: dict,
    facts: dict,
    scenario: str,
) -> dict:
    files = state["files"][scenario]
    # The bare floor's own gunicorn serves it; the portal's serves the rest.
    scenario_workers = workers["bare" if scenario == "bare" else "portal"]
    forget_run_visits(facts, state)
    if args.warmup:
        run_wrk(wrk_command(args, wrk, files["warmup"], args.warmup, state["token"], scenario))
    forget_run_visits(facts, state)
    if scenario == "staff":
        warm_doors(state)
    database = conninfo_to_dict(os.environ["DATABASE_URL"])["dbname"]
    waited, quiet_before = wait_for_quiet(scenario_workers, database, args.quiet_timeout)
    before_id = max_visit_id()
    wal_before = wal_position()
    sampler = CpuSampler(scenario_workers, database)
    sampler.start()
    command = wrk_command(args, wrk, files["measure"], args.duration, state["token"], scenario)
    result, output = run_wrk(command)
    cpu = sampler.stop()
    wal = wal_position() - wal_before
    requests = result["requests"]
    # An interaction: one request, or the citizen's two (lived.lua counts them).
    units = result.get("interactions", requests)
    seconds = result["duration_us"] / 1e6
    busy = cpu.pop("busy")
    total = cpu.pop("all")
    other = max(0.0, busy - sum(cpu.values()))
    return {
        "requests": requests,
        "interactions": units,
        "requests_per_interaction": round(requests / units, 2) if units else None,
        "seconds": round(seconds, 2),
        "rps": round(units / seconds, 1),
        "requests_per_s": round(requests / seconds, 1),
        # wrk's latencies are per request; for the two-request interaction a
        # person waits for two of them.
        "p50_ms": result["latency_us"]["p50"] / 1000,
        "p99_ms": result["latency_us"]["p99"] / 1000,
        "latency_us": result["latency_us"],
        "errors": result["errors"],
        "not_302": result["not_302"],
        "pool": files["pool"],
        "wrapped": result["wraps"] > 0,
        "over_capacity": files["over_capacity"],
        "written": written_since(before_id),
        "waited_for_quiet_s": waited,
        "cpu_other_share_before": quiet_before,
        "cpu_busy_share": round(busy / total, 3) if total else None,
        # Busy CPU not spent by the workers, PostgreSQL, Redis or wrk: other
        # people's work on a shared machine, the kernel's softirqs, the gunicorn master.
        "cpu_other_share": round(other / total, 3) if total else 0.0,
        "cpu_ms_per_request": {
            key: round(1000 * value / units, 3) for key, value in cpu.items() if units
        },
        "cpu_ms_per_request_other": round(1000 * other / units, 3) if units else None,
        # The whole cluster's WAL: other databases' writes count too, so a noisy
        # machine inflates it.
        "wal_bytes_per_request": round(wal / units) if units else None,
        "wrk_output": output,
    }


def measure(
    args: argparse.Namespace, wrk: str, workers: dict[str, list[int]], state: dict, facts: dict
) -> tuple[dict, dict]:
    """Every scenario, `--rounds` times, interleaved. Per scenario the round that
    other processes disturbed least is the result; all rounds go to the JSON."""
    rounds: dict[str, list[dict]] = {scenario: [] for scenario in SCENARIOS}
    for number in range(args.rounds):
        for scenario in SCENARIOS:
            row = measure_once(args, wrk, workers, state, facts, scenario)
            rounds[scenario].append(row)
            log(
                f"  round {number + 1} {scenario:10} {row['rps']:8.1f} /s  "
                f"p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms  "
                f"(visits written {row['written']['visits']}, admitted "
                f"{row['written']['admitted']}, unexpected: {row['not_302']}, "
                f"other CPU {row['cpu_other_share']:.0%})"
            )
    # One round for every scenario, so that each is set against the floors it
    # ran beside: the round that other processes disturbed least.
    chosen = min(
        range(args.rounds),
        key=lambda n: max(rounds[scenario][n]["cpu_other_share"] for scenario in SCENARIOS),
    )
    results = {}
    for scenario, rows in rounds.items():
        best = rows[chosen]
        (RESULTS / f"wrk-{scenario}.txt").write_text(best["wrk_output"])
        results[scenario] = {**best, "round": chosen + 1}
        for row in rows:
            row.pop("wrk_output")
        results[scenario].pop("wrk_output", None)
    return results, rounds


def profile(
    args: argparse.Namespace, wrk: str, servers: dict[str, Gunicorn], state: dict, facts: dict
) -> dict:
    """py-spy on the running workers under the same load: where the time goes."""
    py_spy = shutil.which("py-spy") or (BIN / "py-spy" if (BIN / "py-spy").exists() else None)
    if not py_spy:
        log("  --profile: py-spy not found (pip install py-spy into any environment on PATH)")
        return {"error": "py-spy not found"}
    summaries = {}
    for scenario in SCENARIOS:
        out = RESULTS / f"profile-{scenario}.txt"
        server = servers["bare" if scenario == "bare" else "portal"]
        forget_run_visits(facts, state)
        if scenario == "staff":
            warm_doors(state)
        spy = subprocess.Popen(  # noqa: S603
            [
                str(py_spy),
                "record",
                "--pid",
                str(server.process.pid),
                "--subprocesses",
                "--nonblocking",
                "--format",
                "raw",
                "--rate",
                "250",
                "--duration",
                str(args.profile),
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1)
        files = state["files"][scenario]
        run_wrk(wrk_command(args, wrk, files["measure"], args.profile, state["token"], scenario))
        spy.wait(timeout=args.profile + 60)
        summaries[scenario] = summarise_profile(out)
        log(f"  profile {scenario}: {out}")
    return summaries


def summarise_profile(path: Path, top: int = 40) -> dict:
    """Inclusive share of samples per function, from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    if not path.exists():
        return {"error": "no samples"}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        leaf[frames[-1]] += samples
    return {
        "samples": total,
        "inclusive": [(f, round(n / total, 3)) for f, n in inclusive.most_common(top)],
        "self": [(f, round(n / total, 3)) for f, n in leaf.most_common(top // 2)],
    }


# 4. Queries per request.


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def count_queries(state: dict, facts: dict) -> dict:
    """The same requests through Django's test client: the SQL statements and the
    Redis commands each one costs.

    `queries` leaves out BEGIN and COMMIT, which Django logs since 5.0; they are
    round trips all the same, and so is the `SELECT 1` that CONN_HEALTH_CHECKS
    sends before a request's first query on a reused connection (the test
    client skips that check, gunicorn does not), so `pg_round_trips` adds them.
    """
    from collections import Counter as Tally

    import redis
    from django.conf import settings
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext

    from bench.views import bare_floor

    factory = RequestFactory()

    results = {}
    probes = state["probes"]
    doors = state["doors"]
    commands: list[str] = []
    execute = redis.Redis.execute_command

    def counting(self, *args, **options):
        commands.append(str(args[0]))
        return execute(self, *args, **options)

    # The check-in log lines would go to this terminal; they are in gunicorn.log already.
    logging.disable(logging.INFO)
    redis.Redis.execute_command = counting
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    health_check = 1 if settings.DATABASES["default"].get("CONN_HEALTH_CHECKS") else 0
    try:
        for scenario in SCENARIOS:
            seen = []
            for attempt in range(8):
                client.cookies.clear()
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
                nonce = uuid.uuid4().hex
                if scenario == "staff":
                    iin = probes["staff"][attempt][0]
                    venue_id, user_id, _password = doors[attempt]
                    client.cookies[settings.SESSION_COOKIE_NAME] = state["sessions"][user_id]
                    path = f"/staff/{venue_id}/"
                    data = {"q": iin, "mode": "entry", "nonce": nonce}
                elif scenario in ("self", "self_lived"):
                    _iin, user_id, _password = probes["self"][attempt + 10 * (scenario != "self")]
                    client.cookies[settings.SESSION_COOKIE_NAME] = state["sessions"][user_id]
                    path, data = f"/v/{state['codes'][attempt]}/", {"nonce": nonce}
                else:
                    path = f"/bench/{scenario}/{state['codes'][attempt]}/"
                    data = {"iin": probes["staff"][20 + attempt][0], "nonce": nonce}
                commands.clear()
                with CaptureQueriesContext(connection) as captured:
                    if scenario == "bare":
                        # No middleware, its own URLconf: the view itself, as its gunicorn runs it.
                        response = bare_floor(factory.post(path, data), code=path.split("/")[3])
                        expected = [302]
                    elif scenario == "self_lived":
                        first = client.get(path, secure=True)
                        response = client.post(path, data, secure=True)
                        expected = [200] if first.status_code == 200 else []
                    else:
                        response = client.post(path, data, secure=True)
                        expected = [EXPECTED_STATUS[scenario]]
                if response.status_code not in expected:
                    raise SystemExit(
                        f"bench: {scenario} via the test client answered {response.status_code}"
                    )
                # The first request of a process pays one-off costs; count the others.
                if attempt:
                    sql = [query["sql"] for query in captured.captured_queries]
                    seen.append((sql, list(commands)))
            typical = Tally(
                len([q for q in sql if not q.startswith(TRANSACTION_CONTROL)]) for sql, _ in seen
            ).most_common(1)[0][0]
            sql, redis_commands = next(
                (sql, cmds)
                for sql, cmds in seen
                if len([q for q in sql if not q.startswith(TRANSACTION_CONTROL)]) == typical
            )
            counts = [len([q for q in s if not q.startswith(TRANSACTION_CONTROL)]) for s, _ in seen]
            results[scenario] = {
                "queries": typical,
                "queries_seen": sorted(set(counts)),
                "pg_round_trips": len(sql) + health_check,
                "redis_commands": len(redis_commands),
                "redis": redis_commands,
                "sql": sql,
            }
    finally:
        redis.Redis.execute_command = execute
        logging.disable(logging.NOTSET)
    return results


# 5. Contact tracing.


def time_tracing(facts: dict, runs: int) -> dict:
    """contacts_find (ORM) against contacts_sql (one statement) for the seeded case."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        from bench.contacts_sql import contacts_sql
        from visits.tracing import DEFAULT_DAYS, contacts_find
    except ImportError as exc:
        return {"available": False, "error": str(exc)}
    functions = {"contacts_find": contacts_find, "contacts_sql": contacts_sql}
    case = facts["case_iin"]
    # "Now" is the moment of seeding: the case's visits sit where the seed put them,
    # however old the seed is.
    now = datetime.datetime.fromisoformat(facts["seeded_at"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM visits_visit WHERE iin = %s AND admitted "
            "AND checked_in_at >= %s AND checked_in_at <= %s",
            [case, now - datetime.timedelta(days=DEFAULT_DAYS), now],
        )
        case_visits = cursor.fetchone()[0]
    times: dict[str, list[float]] = {name: [] for name in functions}
    answers, queries = {}, {}
    for name, function in functions.items():
        with CaptureQueriesContext(connection) as captured:
            answers[name] = function(case_iin=case, now=now)
        queries[name] = len(captured)
    for _ in range(runs):
        # Alternate, so that neither always runs on a cache the other warmed.
        for name, function in functions.items():
            started = time.perf_counter()
            function(case_iin=case, now=now)
            times[name].append(time.perf_counter() - started)

    def key(contacts: list) -> list:
        return sorted(
            (c.iin, tuple((o.venue_id, o.contact_start, o.case_start) for o in c.overlaps))
            for c in contacts
        )

    orm = statistics.median(times["contacts_find"]) * 1000
    sql = statistics.median(times["contacts_sql"]) * 1000
    return {
        "available": True,
        "case_visits": case_visits,
        "contacts": len(answers["contacts_find"]),
        "overlaps": sum(len(c.overlaps) for c in answers["contacts_find"]),
        "same_answer": key(answers["contacts_find"]) == key(answers["contacts_sql"]),
        "runs": runs,
        "orm_ms": round(orm, 2),
        "sql_ms": round(sql, 2),
        "ratio": round(orm / sql, 2),
        "orm_ms_all": [round(t * 1000, 2) for t in times["contacts_find"]],
        "sql_ms_all": [round(t * 1000, 2) for t in times["contacts_sql"]],
        "queries": queries,
    }


# 6. The report.


def environment_facts(args: argparse.Namespace, env: dict, wrk: str) -> dict:
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        pg = {}
        for name in (
            "server_version",
            "shared_buffers",
            "synchronous_commit",
            "max_connections",
            "work_mem",
        ):
            cursor.execute(f"SHOW {name}")
            pg[name] = cursor.fetchone()[0]
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split("\n")[0]  # noqa: S603
    return {
        "cores": os.cpu_count(),
        "gunicorn": {
            "workers": args.workers,
            "worker_class": "sync",
            "config": "gunicorn.conf.py",
            "overrides": ["--max-requests 0"],
        },
        "wrk": {
            "version": wrk_version,
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "round_chosen": "one round for all scenarios: the one in which other processes "
            "used the least CPU during its noisiest scenario",
            "quiet_wait_s": args.quiet_timeout,
            "reset": "visits written by earlier runs are deleted before every warm-up and run",
            "pinned_to_cpu": (os.cpu_count() or 1) - 1,
            "command": " ".join(
                str(part)
                for part in wrk_command(
                    args, "wrk", Path("<requests>"), args.duration, "<csrf>", "staff"
                )
            ),
        },
        "django": {
            "settings": env["DJANGO_SETTINGS_MODULE"],
            "debug": settings.DEBUG,
            "session_engine": settings.SESSION_ENGINE,
            "cache": settings.CACHES["default"]["BACKEND"],
            "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
            "conn_health_checks": settings.DATABASES["default"].get("CONN_HEALTH_CHECKS"),
        },
        "env": {k: v for k, v in env.items() if k != "SECRET_KEY"},
        "postgresql": pg,
        "python": sys.version.split()[0],
    }


def print_table(report: dict) -> None:
    r = report["scenarios"]
    q = report["queries_per_request"]
    floor, bare = r["floor"], r["bare"]
    seed = report["seed"]
    size = seed["size"]
    how = report["how"]
    print()
    print(
        f"Ashyq bench, size {report['size']}: {size['persons']:,} persons, "
        f"{size['venues']:,} venues, {seed['visits']:,} visits over {size['days']} days"
    )
    print(
        f"{how['cores']} cores; gunicorn {how['gunicorn']['workers']} sync workers; "
        f"wrk -c{how['wrk']['connections']} -d{how['wrk']['duration_s']}s pinned to CPU "
        f"{how['wrk']['pinned_to_cpu']}, warm-up {how['wrk']['warmup_s']} s; "
        f"load before: {report.get('uptime', '?')}"
    )
    print()
    header = (
        f"{'scenario':30} {'/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'x bare':>7} {'x floor':>7} "
        f"{'p99 xb':>7} {'SQL':>4} {'RDS':>4}  app/db CPU ms"
    )
    print(header)
    print("-" * len(header))
    for scenario in SCENARIOS:
        row = r[scenario]
        cpu = row["cpu_ms_per_request"]
        print(
            f"{TITLES[scenario]:30} {row['rps']:7.1f} {row['p50_ms']:7.1f} {row['p99_ms']:7.1f} "
            f"{row['rps'] / bare['rps']:7.2f} {row['rps'] / floor['rps']:7.2f} "
            f"{row['p99_ms'] / bare['p99_ms']:7.2f} "
            f"{q[scenario]['queries']:4d} {q[scenario]['redis_commands']:4d}  "
            f"{cpu.get('app', 0):.2f} / {cpu.get('db', 0) + cpu.get('db_shared', 0):.2f}"
        )
    print(
        "/s: interactions a second (a staff scan is one request, its page included; the "
        "citizen's GET and POST\n(its answer included) is one interaction of two requests); "
        "p50/p99 per request; x bare / x floor: against the floor\nwithout middleware and with "
        "the full middleware; "
        "SQL: statements per interaction (BEGIN/COMMIT\nnot counted); RDS: Redis commands; CPU: "
        "ms per interaction of the gunicorn workers / of PostgreSQL"
    )
    print()
    for line in report["verdicts"]:
        print(line)
    t = report["tracing"]
    print()
    if t.get("available"):
        print(
            f"tracing, case with {t['case_visits']} visits, {t['contacts']} contacts: "
            f"ORM {t['orm_ms']:.1f} ms ({t['queries']['contacts_find']} queries), "
            f"SQL {t['sql_ms']:.1f} ms ({t['queries']['contacts_sql']} query), "
            f"ratio {t['ratio']:.2f}; same answer: {t['same_answer']}"
        )
    else:
        print(f"tracing: not measured ({t.get('error')})")
    reused = " (reused)" if seed.get("reused") else ""
    print(
        f"seed{reused}: {seed['seconds']} s + migrations {seed.get('migrate_seconds')} s: "
        f"{seed['timings']}"
    )
    print(f"written to {report['output']}")


def verdicts(report: dict) -> list[str]:
    r = report["scenarios"]
    bare = r["bare"]
    t = report["tracing"]
    lines = []
    # Issue 15: what a door costs against a bare Django view, in the same run.
    cost = {
        name: sum(row["cpu_ms_per_request"].get(k, 0) for k in ("app", "db", "db_shared", "redis"))
        for name, row in r.items()
    }
    app = {name: row["cpu_ms_per_request"].get("app", 0) for name, row in r.items()}
    checks = {
        "staff_scan_vs_bare_rps": (r["staff"]["rps"] / bare["rps"], ">=", 0.35),
        "staff_post_vs_bare_rps": (r["staff"]["rps"] / bare["rps"], ">=", 0.5),
        "self_lived_vs_bare_rps": (r["self_lived"]["rps"] / bare["rps"], ">=", 0.25),
        "staff_p99_vs_bare_p99": (r["staff"]["p99_ms"] / bare["p99_ms"], "<=", 3.0),
        # "≤ 3 ms where the bare floor costs 1 ms": the worker CPU of a scan in
        # units of the bare floor's, so that a slower machine is not blamed.
        "staff_worker_cpu_vs_bare": (app["staff"] / app["bare"] if app["bare"] else 0, "<=", 3.0),
    }
    if t.get("available"):
        checks["tracing_orm_vs_sql"] = (t["ratio"], "<=", 1.5)
    targets = {}
    for name, (value, sense, bound) in checks.items():
        met = value >= bound if sense == ">=" else value <= bound
        targets[name] = {"value": round(value, 2), "target": f"{sense} {bound}", "met": met}
    report["cpu_cost_ratio"] = {
        f"{name}_vs_bare": round(cost["bare"] / value, 3) if value else None
        for name, value in cost.items()
    } | {"ms_per_interaction": {name: round(value, 2) for name, value in cost.items()}}
    lines.append(
        "worker CPU per interaction: "
        + ", ".join(f"{name} {value:.2f} ms" for name, value in app.items())
    )
    lines.append(
        "CPU per interaction (app+db+redis): "
        + ", ".join(f"{name} {value:.2f} ms" for name, value in cost.items())
        + "; the ratios to the bare floor they predict: "
        + ", ".join(f"{name} {cost['bare'] / value:.2f}" for name, value in cost.items() if value)
    )
    lines.append(
        "staff scan and staff check-in POST are one request now: the same measurement serves both"
    )
    for name, target in targets.items():
        verdict = "met" if target["met"] else "NOT met"
        lines.append(f"target {name}: {target['value']} (want {target['target']}): {verdict}")
    for scenario, row in r.items():
        if row["wrapped"]:
            lines.append(f"warning: {scenario} ran out of people ({row['pool']}) and started over")
        if row.get("over_capacity"):
            lines.append(f"warning: {scenario} had more people than free places at its venues")
        if row["not_302"] or any(row["errors"].values()):
            lines.append(
                f"warning: {scenario} had {row['not_302']} unexpected answers, {row['errors']}"
            )
        if scenario != "self_lived" and row["written"]["visits"] < row["requests"] * 0.95:
            lines.append(
                f"warning: {scenario} wrote {row['written']['visits']} visits "
                f"for {row['requests']} requests"
            )
        if scenario in ("staff", "self", "self_lived") and row["written"]["visits"]:
            share = row["written"]["admitted"] / row["written"]["visits"]
            lines.append(
                f"{scenario}: {share:.0%} of the check-ins admitted; denied: "
                f"{row['written']['denied']}"
            )
        if row["cpu_other_share"] > 0.05:
            lines.append(
                f"warning: other processes used {row['cpu_other_share']:.0%} of the machine's CPU "
                f"during {scenario}: the numbers are not clean, run again on a quiet machine"
            )
    report["targets"] = targets
    return lines


def main() -> None:
    # The machine's load when the run began: on a shared machine, part of the result.
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    args = parse_args()
    RESULTS.mkdir(exist_ok=True)
    env = bench_env(args)
    os.environ.update(env)
    wrk = ensure_wrk()
    facts = ensure_database(args, env)

    import django

    django.setup()
    log("preparing: sessions, people, request files")
    reset_state(facts)
    state = prepare(args, facts)
    run_manage(env, "collectstatic", "--noinput")
    log(
        f"gunicorn: {args.workers} workers on 127.0.0.1:{args.port}, and as many for the "
        f"bare floor on 127.0.0.1:{args.bare_port}"
    )
    with (
        Gunicorn(args, env) as portal,
        Gunicorn(
            args,
            bare_env(args, env),
            name="gunicorn-bare",
            ready_path="/bench/bare/-/",
            app="bench.bare_wsgi",
        ) as bare,
    ):
        servers = {"portal": portal, "bare": bare}
        workers = {name: server.workers() for name, server in servers.items()}
        preflight(args, state)
        log(f"measuring: {args.duration} s per scenario after {args.warmup} s of warm-up")
        scenarios, rounds = measure(args, wrk, workers, state, facts)
        profiles = profile(args, wrk, servers, state, facts) if args.profile else None
    from django.db import connection

    connection.close()
    log("queries per request (test client) and contact tracing")
    queries = count_queries(state, facts)
    tracing = time_tracing(facts, args.tracing_runs)
    report = {
        "size": args.size,
        "started": datetime.datetime.now(datetime.UTC).isoformat(),
        "scenarios": scenarios,
        "rounds": rounds,
        "ratios": {
            f"{scenario}_vs_{floor}_{measure}": round(
                scenarios[scenario][key] / scenarios[floor][key], 3
            )
            for scenario in SCENARIOS
            for floor in ("floor", "bare")
            for measure, key in (("rps", "rps"), ("p99", "p99_ms"))
        },
        "queries_per_request": queries,
        "tracing": tracing,
        "seed": {k: v for k, v in facts.items() if k != "case_iin"},
        "how": environment_facts(args, env, wrk),
        "output": str(args.output),
        "uptime": load_before,
    }
    if profiles is not None:
        report["profiles"] = profiles
    report["verdicts"] = verdicts(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print_table(report)


if __name__ == "__main__":
    main()
