"""The rehearsal's traffic: citizens check in, staff scan at the door, new numbers ask for codes.

Used by the fault drills (ops/cluster/drill.py) and the soak (ops/cluster/soak.py)
against the servers `make cluster` runs. Python threads over plain HTTP, as
phones would talk, spread over both gunicorn servers:

- citizens, each signed in with an IIN: open a venue's page, press "Enter"
  (GET and POST /v/<code>/), at one of the demo venues in turn;
- the demo grocery's owner and staff member: scan a new IIN in and out at
  the door (two POSTs to /staff/<id>/, at most 120 lookups a minute each,
  the portal's limit);
- the owner again, signed in on another phone that only reads: the venue's
  dashboard every REPORT_SECONDS, a page read from the replica (a browser
  that has just sent a form reads the primary for a while, so the door's
  browser would never reach the replica);
- new numbers asking for a sign-in code (an SMS each), each from its own
  address (X-Forwarded-For).

`Traffic.record` keeps what every answer said: its status, the visit it named,
the number a code was promised to, and its latency.
"""

import os
import random
import re
import subprocess
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from smoke import (
    Browser,
    claim_iin,
    cluster_env,
    csrf_token,
    new_iin,
    new_phone,
    primary_database,
    servers,
    sign_in,
)

PIN_COOKIE = "ashyq_primary"
CLUSTER = Path(__file__).resolve().parent / "cluster.sh"
VENUE_CODES = ("demo-grocery", "demo-cafe", "demo-mall")
# demo_data: the grocery's organisation admin (owner) and its staff member.
OWNER_PHONE, STAFF_PHONE = "+77010000010", "+77010000002"
DOOR_VENUE = "demo-grocery"
# Two lookups per round (in, out) under the portal's 120 a minute per staff account.
DOOR_ROUND_SECONDS = 1.1
REPORT_SECONDS = 2.0
# The 503 page the portal shows in Russian (the drivers' language cookie).
TRY_AGAIN_RU = "Повторите через минуту"
VISIT_IN_LOCATION = re.compile(r"/visits/(\d+)/")
VISIT_IN_QUERY = re.compile(r"[?&]visit=(\d+)")


@dataclass
class Record:
    """Everything the traffic's answers said, safe to add to from many threads."""

    statuses: Counter = field(default_factory=Counter)
    visits: set[int] = field(default_factory=set)
    codes: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, status: int | str, page: str, started: float) -> None:
        now = time.monotonic()
        if status == 503 and TRY_AGAIN_RU not in page:
            status = "503 without the try-again page"
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append((now, now - started))

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


class Pacer:
    """At most `rate` requests a second over all threads; None for as fast as answered."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1 / rate if rate else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            self.next_at = max(self.next_at, now) + self.interval
            delay = self.next_at - self.interval - now
        if delay > 0:
            time.sleep(delay)


class Traffic:
    """Sign the actors in once (`prepare`), then `run` them until `stop`."""

    def __init__(self, citizens: int = 6, doors: int = 2, code_askers: int = 2) -> None:
        self.env = cluster_env()
        self.sites = servers(self.env)
        self.citizen_count, self.door_count, self.asker_count = citizens, doors, code_askers
        self.citizens: list[Browser] = []
        self.doors: list[tuple[Browser, str]] = []
        self.reader = Browser(forwarded_for=fake_address(), timeout=20)
        self.venue_id = 0
        self.record = Record()
        self.pacer = Pacer(None)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def site(self) -> str:
        return random.choice(self.sites)  # noqa: S311 (load spread, not a secret)

    def prepare(self) -> None:
        with primary_database(self.env) as db:
            self.venue_id = db.execute(
                "SELECT id FROM venues_venue WHERE code = %s", [DOOR_VENUE]
            ).fetchone()[0]
        first, second = self.sites
        for number in range(self.citizen_count):
            browser = Browser(forwarded_for=fake_address(), timeout=20)
            sign_in(browser, first, second, new_phone())
            claim_iin(browser, first, f"Drill Citizen {number}")
            self.citizens.append(browser)
        for phone in (OWNER_PHONE, STAFF_PHONE)[: self.door_count]:
            browser = Browser(forwarded_for=fake_address(), timeout=20)
            sign_in(browser, first, second, phone)
            _, page, _ = browser.request(f"{first}/staff/{self.venue_id}/")
            self.doors.append((browser, csrf_token(page)))
        sign_in(self.reader, first, second, OWNER_PHONE)
        # The sign-in's forms pinned this browser to the primary (ashyq/db.py); a
        # real one forgets the pin after DATABASE_REPLICA_PIN_SECONDS, this one
        # keeps every cookie, so it forgets it now.
        self.reader.cookies.pop(PIN_COOKIE, None)

    def fetch(self, browser: Browser, url: str, data: dict | None = None) -> tuple:
        self.pacer.wait()
        started = time.monotonic()
        try:
            status, page, headers = browser.request(url, data)
        except Exception as exc:
            # A connection reset by a killed worker, a timeout: no answer at all.
            self.record.answer(type(exc).__name__, "", started)
            return type(exc).__name__, "", {}
        self.record.answer(status, page, started)
        return status, page, headers

    def citizen(self, browser: Browser) -> None:
        while not self.stopping.is_set():
            url = f"{self.site()}/v/{random.choice(VENUE_CODES)}/"  # noqa: S311
            status, page, _ = self.fetch(browser, url)
            token = csrf_token(page) if status == 200 else ""
            if not token:
                continue
            status, _, headers = self.fetch(
                browser, url, {"csrfmiddlewaretoken": token, "nonce": uuid.uuid4().hex}
            )
            # The POST answers with the answer page and names its address
            # (Content-Location); a redirect to it would name it in Location.
            header = {200: "Content-Location", 302: "Location"}.get(status, "")
            visit = VISIT_IN_LOCATION.search(headers.get(header, "")) if header else None
            if visit:
                with self.record.lock:
                    self.record.visits.add(int(visit.group(1)))

    def door(self, browser: Browser, token: str) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            # A new person each round, scanned in and out.
            iin = new_iin()
            for mode in ("entry", "exit"):
                fields = {"csrfmiddlewaretoken": token, "q": iin, "mode": mode, "source": ""}
                status, _, headers = self.fetch(
                    browser,
                    f"{self.site()}/staff/{self.venue_id}/",
                    {**fields, "nonce": uuid.uuid4().hex},
                )
                visit = VISIT_IN_QUERY.search(headers.get("Content-Location", ""))
                if status == 200 and visit:
                    with self.record.lock:
                        self.record.visits.add(int(visit.group(1)))
            self.stopping.wait(max(0.0, DOOR_ROUND_SECONDS - (time.monotonic() - started)))

    def report_reader(self) -> None:
        while not self.stopping.is_set():
            self.fetch(self.reader, f"{self.site()}/dashboard/{self.venue_id}/")
            self.stopping.wait(REPORT_SECONDS)

    def code_asker(self) -> None:
        while not self.stopping.is_set():
            browser = Browser(forwarded_for=fake_address(), timeout=20)
            url = f"{self.site()}/accounts/login/code/"
            status, page, _ = self.fetch(browser, url)
            token = csrf_token(page) if status == 200 else ""
            if not token:
                continue
            phone = new_phone()
            status, _, _ = self.fetch(browser, url, {"csrfmiddlewaretoken": token, "phone": phone})
            if status == 302:
                with self.record.lock:
                    self.record.codes.append(phone)

    def run(self, rate: float | None = None) -> Record:
        """Start every actor with a fresh record; requests capped at `rate` a second."""
        self.record, self.pacer = Record(), Pacer(rate)
        self.stopping.clear()
        targets = [(self.citizen, (browser,)) for browser in self.citizens]
        targets += [(self.door, door) for door in self.doors]
        targets.append((self.report_reader, ()))
        targets += [(self.code_asker, ())] * self.asker_count
        self.threads = [threading.Thread(target=t, args=a, daemon=True) for t, a in targets]
        for thread in self.threads:
            thread.start()
        return self.record

    def stop(self) -> Record:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
        return self.record


def fake_address() -> str:
    # A private (RFC 1918) address for each phone, as a proxy would pass it on.
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"  # noqa: S311


def cluster(*args: str) -> None:
    subprocess.run([str(CLUSTER), *args], check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def running() -> bool:
    try:
        port = os.environ.get("CLUSTER_WEB1_PORT", "28001")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


@contextmanager
def rehearsal_traffic() -> Iterator[Traffic]:
    """The traffic, signed in, on the rehearsal: started here (and stopped after) if it is down."""
    started_here = not running()
    traffic = None
    try:
        if started_here:
            print("== starting the rehearsal (make cluster)", flush=True)
            cluster("start")
        traffic = Traffic()
        traffic.prepare()
        yield traffic
    finally:
        # Also after a failed start: what it did start stops.
        if traffic is not None:
            traffic.stop()
        if started_here:
            cluster("stop")
