"""`make bench`: the check-in benchmark of issue 8, end to end.

    .venv/bin/python -m bench.run --size quick              # under a minute on 2 cores
    .venv/bin/python -m bench.run --size quick --rounds 3   # 2.5 minutes, steadier when shared
    .venv/bin/python -m bench.run --size default            # 1 M persons, 10 M visits

1. PostgreSQL: a database of its own (ashyq_bench for the default size,
   ashyq_bench_quick for the quick one; BENCH_DATABASE_URL overrides), migrated
   and seeded by bench.seed with COPY unless it already holds a seed of that
   size (--reseed forces a new one). Visits written by earlier runs are deleted
   before every warm-up and every measured run, so each starts from the seed.
2. Gunicorn with gunicorn.conf.py and one sync worker per core (WEB_CONCURRENCY),
   DEBUG=0, Redis (BENCH_REDIS_URL, default db 13, emptied by the run) for the
   cache, the rate limits and the sessions (cached_db, as in production), and
   DJANGO_SETTINGS_MODULE=bench.settings with BENCH_FLOOR=1 for the floor URL.
3. wrk, pinned with taskset to the last core, 8 connections, 1 thread, a fixed
   duration per scenario after a warm-up; before each run it waits (up to 30 s)
   for other processes to leave the CPU. Every request is a different person
   (bench/wrk/checkin.lua sends one pre-built request per line):
     staff  POST /staff/<venue>/ q=<IIN>: a venue's staff member checks a person in
     self   POST /v/<code>/: a signed-in citizen checks in (a session each)
     floor  POST /bench/floor/<code>/: one indexed SELECT, one INSERT (bench.views)
   With --rounds N every scenario runs N times, interleaved; the quietest,
   fastest round counts and all of them go to the JSON.
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
BIN = Path(sys.executable).parent
SCENARIOS = ("staff", "self", "floor")
TITLES = {
    "staff": "1 staff check-in by IIN",
    "self": "2 self check-in POST",
    "floor": "3 floor: SELECT + INSERT",
}
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
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    return args


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
        cursor.execute("DELETE FROM visits_visit WHERE id > %s", [facts["max_visit_id"]])
        deleted = cursor.rowcount
        cursor.execute("DELETE FROM django_session")
        if deleted:
            cursor.execute("VACUUM (ANALYZE) visits_visit")
    for alias in caches:
        caches[alias].clear()
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
            "SELECT code, capacity FROM venues_venue WHERE NOT kiosk_only AND NOT suspended"
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
    # Each staff member at one door, and as many doors as there are staff (up to
    # 2000), so that no account goes over the per-user lookup limit (120/min).
    doors, seen = [], set()
    for venue_id, user_id, password in staff_rows:
        if user_id not in seen:
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
    codes = [code for code, _capacity in venues]
    # Bigger places draw more people: venues are picked by capacity, so that the
    # small ones are not all full after a few seconds of load.
    capacity = [c for _code, c in venues]

    def self_line(row: tuple) -> str:
        code = rng.choices(codes, weights=capacity)[0]
        session = f"{settings.SESSION_COOKIE_NAME}={sessions[row[1]]}"
        return f"/v/{code}/\tnonce={uuid.uuid4().hex}\t{session}; {cookies}\n"

    def staff_line(row: tuple, number: int) -> str:
        venue_id, user_id, _password = doors[number % len(doors)]
        session = f"{settings.SESSION_COOKIE_NAME}={sessions[user_id]}"
        body = f"q={row[0]}&mode=entry&nonce={uuid.uuid4().hex}&source="
        return f"/staff/{venue_id}/\t{body}\t{session}; {cookies}\n"

    def floor_line(row: tuple) -> str:
        code = rng.choices(codes, weights=capacity)[0]
        return f"/bench/floor/{code}/\tiin={row[0]}&nonce={uuid.uuid4().hex}\t{cookies}\n"

    lines = {
        "self": [self_line(row) for row in citizens],
        "staff": [staff_line(row, n) for n, row in enumerate(others)],
        # The floor writes blindly, so its people may repeat; only the nonce may not.
        "floor": [
            floor_line(rng.choice(people))
            for _ in range(max(args.pool, 1500 * (args.duration + args.warmup)))
        ],
    }
    files = {}
    folder = RESULTS / "wrk"
    folder.mkdir(parents=True, exist_ok=True)
    warm = min(args.pool // 5, max(500, args.warmup * 400))
    for scenario, scenario_lines in lines.items():
        files[scenario] = {
            "warmup": folder / f"{scenario}-warmup.txt",
            "measure": folder / f"{scenario}.txt",
            "pool": len(scenario_lines) - warm,
        }
        files[scenario]["warmup"].write_text("".join(scenario_lines[:warm]))
        files[scenario]["measure"].write_text("".join(scenario_lines[warm:]))
    return {
        "files": files,
        "token": token,
        "cookies": cookies,
        "sessions": sessions,
        "doors": doors,
        "probes": probes,
        "codes": codes,
    }


# 3. The server and the load.


class Gunicorn:
    def __init__(self, args: argparse.Namespace, env: dict[str, str]) -> None:
        self.args = args
        self.env = {**os.environ, **env}
        self.log_path = RESULTS / "gunicorn.log"
        # A worker restart mid-scenario (max_requests) costs a Django import of
        # a second or more on a 2-core machine and would land in one scenario's
        # p99 by chance: switched off here, everything else is gunicorn.conf.py.
        self.command = [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--max-requests",
            "0",
            "ashyq.wsgi",
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
                status, _headers, _body = http_request(self.args.port, "GET", "/healthz")
                if status == 200 and len(self.workers()) >= self.args.workers:
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


def wrk_command(args: argparse.Namespace, wrk: str, path: Path, seconds: int, token: str) -> list:
    cpu = str((os.cpu_count() or 1) - 1)
    host = f"127.0.0.1:{args.port}"
    return [
        "taskset",
        "-c",
        cpu,
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        f"http://{host}",
        "--",
        str(path),
        str(args.threads),
        host,
        f"https://{host}",
        token,
    ]


def run_wrk(command: list) -> tuple[dict, str]:
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    match = re.search(r"^BENCH_JSON (.*)$", output, re.MULTILINE)
    if not match:
        raise SystemExit(f"bench: wrk printed no result:\n{output}")
    return json.loads(match.group(1)), output


def preflight(args: argparse.Namespace, state: dict) -> None:
    """One request of each kind before any load: a 302, or a clear reason why not."""
    for scenario in SCENARIOS:
        line = state["files"][scenario]["warmup"].read_text().splitlines()[0]
        target, body, cookie = line.split("\t")
        status, headers, content = http_request(
            args.port,
            "POST",
            target,
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Origin": f"https://127.0.0.1:{args.port}",
                "X-CSRFToken": state["token"],
            },
        )
        if scenario == "floor" and status == 404:
            raise SystemExit(
                "bench: the floor URL /bench/floor/<code>/ answers 404. It exists only with "
                "DJANGO_SETTINGS_MODULE=bench.settings and BENCH_FLOOR=1 (bench.run sets both); "
                "check that nothing in the environment overrides them."
            )
        if status != 302:
            raise SystemExit(
                f"bench: {scenario} check-in answered {status}, not 302:\n"
                f"{content.decode(errors='replace')[:2000]}"
            )
        log(f"  preflight {scenario}: 302 -> {headers.get('Location')}")


def forget_run_visits(facts: dict) -> None:
    """Every measured run starts from the seeded state: earlier runs' visits go."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM visits_visit WHERE id > %s", [facts["max_visit_id"]])


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
    args: argparse.Namespace, wrk: str, workers: list[int], state: dict, facts: dict, scenario: str
) -> dict:
    files = state["files"][scenario]
    forget_run_visits(facts)
    if args.warmup:
        run_wrk(wrk_command(args, wrk, files["warmup"], args.warmup, state["token"]))
    forget_run_visits(facts)
    database = conninfo_to_dict(os.environ["DATABASE_URL"])["dbname"]
    waited, quiet_before = wait_for_quiet(workers, database, args.quiet_timeout)
    before_id = max_visit_id()
    wal_before = wal_position()
    sampler = CpuSampler(workers, database)
    sampler.start()
    command = wrk_command(args, wrk, files["measure"], args.duration, state["token"])
    result, output = run_wrk(command)
    cpu = sampler.stop()
    wal = wal_position() - wal_before
    requests = result["requests"]
    seconds = result["duration_us"] / 1e6
    busy = cpu.pop("busy")
    total = cpu.pop("all")
    other = max(0.0, busy - sum(cpu.values()))
    return {
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1),
        "p50_ms": result["latency_us"]["p50"] / 1000,
        "p99_ms": result["latency_us"]["p99"] / 1000,
        "latency_us": result["latency_us"],
        "errors": result["errors"],
        "not_302": result["not_302"],
        "pool": files["pool"],
        "wrapped": result["wraps"] > 0,
        "written": written_since(before_id),
        "waited_for_quiet_s": waited,
        "cpu_other_share_before": quiet_before,
        "cpu_busy_share": round(busy / total, 3) if total else None,
        # Busy CPU not spent by the workers, PostgreSQL, Redis or wrk: other
        # people's work on a shared machine, the kernel's softirqs, the gunicorn master.
        "cpu_other_share": round(other / total, 3) if total else 0.0,
        "cpu_ms_per_request": {
            key: round(1000 * value / requests, 3) for key, value in cpu.items() if requests
        },
        "cpu_ms_per_request_other": round(1000 * other / requests, 3) if requests else None,
        # The whole cluster's WAL: other databases' writes count too, so a noisy
        # machine inflates it.
        "wal_bytes_per_request": round(wal / requests) if requests else None,
        "wrk_output": output,
    }


def measure(
    args: argparse.Namespace, wrk: str, server: Gunicorn, state: dict, facts: dict
) -> tuple[dict, dict]:
    """Every scenario, `--rounds` times, interleaved. Per scenario the round that
    other processes disturbed least is the result; all rounds go to the JSON."""
    workers = server.workers()
    rounds: dict[str, list[dict]] = {scenario: [] for scenario in SCENARIOS}
    for number in range(args.rounds):
        for scenario in SCENARIOS:
            row = measure_once(args, wrk, workers, state, facts, scenario)
            rounds[scenario].append(row)
            log(
                f"  round {number + 1} {scenario:6} {row['rps']:8.1f} req/s  "
                f"p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms  "
                f"(visits written {row['written']['visits']}, not 302: {row['not_302']}, "
                f"other CPU {row['cpu_other_share']:.0%})"
            )
    results = {}
    for scenario, rows in rounds.items():
        best = min(rows, key=lambda row: (row["cpu_other_share"] > 0.05, -row["rps"]))
        (RESULTS / f"wrk-{scenario}.txt").write_text(best["wrk_output"])
        results[scenario] = {**best, "round": rows.index(best) + 1}
        for row in rows:
            row.pop("wrk_output")
        results[scenario].pop("wrk_output", None)
    return results, rounds


def profile(args: argparse.Namespace, wrk: str, server: Gunicorn, state: dict, facts: dict) -> dict:
    """py-spy on the running workers under the same load: where the time goes."""
    py_spy = shutil.which("py-spy") or (BIN / "py-spy" if (BIN / "py-spy").exists() else None)
    if not py_spy:
        log("  --profile: py-spy not found (pip install py-spy into any environment on PATH)")
        return {"error": "py-spy not found"}
    summaries = {}
    for scenario in SCENARIOS:
        out = RESULTS / f"profile-{scenario}.txt"
        forget_run_visits(facts)
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
        run_wrk(wrk_command(args, wrk, files["measure"], args.profile, state["token"]))
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
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

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
                elif scenario == "self":
                    _iin, user_id, _password = probes["self"][attempt]
                    client.cookies[settings.SESSION_COOKIE_NAME] = state["sessions"][user_id]
                    path, data = f"/v/{state['codes'][attempt]}/", {"nonce": nonce}
                else:
                    path = f"/bench/floor/{state['codes'][attempt]}/"
                    data = {"iin": probes["staff"][20 + attempt][0], "nonce": nonce}
                commands.clear()
                with CaptureQueriesContext(connection) as captured:
                    response = client.post(path, data, secure=True)
                if response.status_code != 302:
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
            "round_chosen": "per scenario, the fastest round in which other processes used "
            "under 5% of the CPU (the fastest of all when none was that quiet)",
            "quiet_wait_s": args.quiet_timeout,
            "reset": "visits written by earlier runs are deleted before every warm-up and run",
            "pinned_to_cpu": (os.cpu_count() or 1) - 1,
            "command": " ".join(
                str(part)
                for part in wrk_command(args, "wrk", Path("<requests>"), args.duration, "<csrf>")
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
    floor = r["floor"]
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
        f"wrk -t{how['wrk']['threads']} -c{how['wrk']['connections']} "
        f"-d{how['wrk']['duration_s']}s pinned to CPU {how['wrk']['pinned_to_cpu']}, "
        f"warm-up {how['wrk']['warmup_s']} s"
    )
    print()
    header = (
        f"{'scenario':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'x floor':>8} "
        f"{'p99 x':>7} {'SQL':>4} {'PG':>3} {'RDS':>3}  app/db CPU ms/req"
    )
    print(header)
    print("-" * len(header))
    for scenario in SCENARIOS:
        row = r[scenario]
        cpu = row["cpu_ms_per_request"]
        print(
            f"{TITLES[scenario]:28} {row['rps']:8.1f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
            f"{row['rps'] / floor['rps']:8.2f} {row['p99_ms'] / floor['p99_ms']:7.2f} "
            f"{q[scenario]['queries']:4d} {q[scenario]['pg_round_trips']:3d} "
            f"{q[scenario]['redis_commands']:3d}  {cpu.get('app', 0):.2f} / "
            f"{cpu.get('db', 0) + cpu.get('db_shared', 0):.2f}"
        )
    print(
        "SQL: queries per request (Django's test client, BEGIN/COMMIT not counted); PG: round "
        "trips to PostgreSQL\nwith BEGIN, COMMIT and the CONN_HEALTH_CHECKS SELECT 1; RDS: Redis "
        "commands; CPU: ms per request\nof the gunicorn workers / of PostgreSQL (this database's "
        "backends and its WAL writer, checkpointer…)"
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
    floor = r["floor"]
    staff = r["staff"]
    t = report["tracing"]
    lines = []
    targets = {}
    ratio = staff["rps"] / floor["rps"]
    targets["staff_rps_vs_floor"] = {
        "value": round(ratio, 2),
        "target": ">= 0.6",
        "met": ratio >= 0.6,
    }
    p99 = staff["p99_ms"] / floor["p99_ms"]
    targets["staff_p99_vs_floor"] = {"value": round(p99, 2), "target": "<= 2.0", "met": p99 <= 2.0}
    if t.get("available"):
        targets["tracing_orm_vs_sql"] = {
            "value": t["ratio"],
            "target": "<= 1.5",
            "met": t["ratio"] <= 1.5,
        }
    # On a shared or noisy machine req/s swing with the neighbours; CPU per
    # request does not, and on a dedicated machine it bounds req/s.
    cost = {
        name: sum(row["cpu_ms_per_request"].get(k, 0) for k in ("app", "db", "db_shared", "redis"))
        for name, row in r.items()
    }
    report["cpu_cost_ratio"] = {
        "staff_vs_floor": round(cost["floor"] / cost["staff"], 3),
        "self_vs_floor": round(cost["floor"] / cost["self"], 3),
        "ms_per_request": {name: round(value, 2) for name, value in cost.items()},
    }
    lines.append(
        f"CPU per request (app+db+redis): staff {cost['staff']:.2f} ms, "
        f"self {cost['self']:.2f} ms, floor {cost['floor']:.2f} ms: the req/s ratios they predict "
        f"are staff "
        f"{cost['floor'] / cost['staff']:.2f} and self {cost['floor'] / cost['self']:.2f}"
    )
    for name, target in targets.items():
        verdict = "met" if target["met"] else "NOT met"
        lines.append(f"target {name}: {target['value']} (want {target['target']}): {verdict}")
    for scenario, row in r.items():
        if row["wrapped"]:
            lines.append(f"warning: {scenario} ran out of people ({row['pool']}) and started over")
        if row["not_302"] or any(row["errors"].values()):
            lines.append(
                f"warning: {scenario} had {row['not_302']} non-302 answers, {row['errors']}"
            )
        if row["written"]["visits"] < row["requests"] * 0.95:
            lines.append(
                f"warning: {scenario} wrote {row['written']['visits']} visits "
                f"for {row['requests']} requests"
            )
        if row["cpu_other_share"] > 0.05:
            lines.append(
                f"warning: other processes used {row['cpu_other_share']:.0%} of the machine's CPU "
                f"during {scenario}: the numbers are not clean, run again on a quiet machine"
            )
    report["targets"] = targets
    return lines


def main() -> None:
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
    log(f"gunicorn: {args.workers} workers on 127.0.0.1:{args.port}")
    with Gunicorn(args, env) as server:
        preflight(args, state)
        log(f"measuring: {args.duration} s per scenario after {args.warmup} s of warm-up")
        scenarios, rounds = measure(args, wrk, server, state, facts)
        profiles = profile(args, wrk, server, state, facts) if args.profile else None
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
            "staff_vs_floor_rps": round(scenarios["staff"]["rps"] / scenarios["floor"]["rps"], 3),
            "self_vs_floor_rps": round(scenarios["self"]["rps"] / scenarios["floor"]["rps"], 3),
            "staff_vs_floor_p99": round(
                scenarios["staff"]["p99_ms"] / scenarios["floor"]["p99_ms"], 3
            ),
            "self_vs_floor_p99": round(
                scenarios["self"]["p99_ms"] / scenarios["floor"]["p99_ms"], 3
            ),
        },
        "queries_per_request": queries,
        "tracing": tracing,
        "seed": {k: v for k, v in facts.items() if k != "case_iin"},
        "how": environment_facts(args, env, wrk),
        "output": str(args.output),
    }
    if profiles is not None:
        report["profiles"] = profiles
    report["verdicts"] = verdicts(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print_table(report)


if __name__ == "__main__":
    main()
