"""Walk through the rehearsal `make cluster` started: sign in, check in, see it on the replica.

    .venv/bin/python ops/cluster/smoke.py      (make cluster-smoke)

Talks HTTP to both gunicorn servers as a phone would: a new number asks for a
code (the worker sends it through the broker Redis to the fake SMS gateway,
which records it in var/cluster/gateway.jsonl),
signs in on the other server, gives an IIN, and checks in at the demo grocery.
Then it reads the visit from the streaming replica and the primary. Standard
library and psycopg only; exits non-zero on the first step that fails.
"""

import datetime
import html
import json
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / "var" / "cluster"
GATEWAY_LOG = STATE / "gateway.jsonl"
VENUE_CODE = "demo-grocery"


def cluster_env() -> dict[str, str]:
    path = STATE / "env"
    if not path.exists():
        sys.exit("no var/cluster/env: start the rehearsal first (make cluster)")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def iin_check_digit(first11: str) -> int | None:
    """docs/rules.md §1: weights 1..11, then 3..11,1,2 if the sum mod 11 is 10."""
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        digit = sum(int(d) * w for d, w in zip(first11, weights, strict=True)) % 11
        if digit != 10:
            return digit
    return None


def new_iin() -> str:
    while True:
        # Born 1960-1999 (century digit 3 or 4); random only to be new, not secret.
        born = datetime.date(1960, 1, 1) + datetime.timedelta(days=random.randrange(14_600))  # noqa: S311
        first11 = f"{born:%y%m%d}{random.choice('34')}{random.randrange(10_000):04d}"  # noqa: S311
        digit = iin_check_digit(first11)
        if digit is not None:
            return first11 + str(digit)


def primary_database(env: dict[str, str]) -> psycopg.Connection:
    """The primary through PgBouncer, as the app reaches it (no prepared statements)."""
    return psycopg.connect(env["DATABASE_URL"], autocommit=True, prepare_threshold=None)


def new_phone() -> str:
    return f"+7701{random.randrange(10**7):07d}"  # noqa: S311 (a new number, not a secret)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """Cookies by hand: the portal's cookies are Secure (DEBUG=0), and this is plain HTTP."""

    def __init__(self, forwarded_for: str = "", timeout: float = 30) -> None:
        self.cookies: dict[str, str] = {"django_language": "ru"}
        self.opener = urllib.request.build_opener(NoRedirect)
        # The client's own address, as a proxy in front would pass it on
        # (TRUSTED_PROXY_COUNT=1 in var/cluster/env): sign-in limits are per client.
        self.forwarded_for = forwarded_for
        self.timeout = timeout

    def request(self, url: str, data: dict | None = None) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        # Only the cluster's own http:// addresses, from var/cluster/env.
        request = urllib.request.Request(url, data=body)  # noqa: S310
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if data is not None:
            request.add_header("Referer", url)
        if self.forwarded_for:
            request.add_header("X-Forwarded-For", self.forwarded_for)
        try:
            response = self.opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        text = response.read().decode("utf-8", "replace")
        return response.status, text, dict(response.headers)

    def form(self, url: str, fields: dict) -> tuple[int, str, dict]:
        status, page, _ = self.request(url)
        if status != 200:
            fail(f"GET {url} answered {status}")
        token = csrf_token(page)
        if not token:
            fail(f"no CSRF token on {url}")
        return self.request(url, {"csrfmiddlewaretoken": token, **fields})


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else ""


def fail(message: str) -> None:
    print(f"FAILED: {message}")
    sys.exit(1)


def ok(message: str) -> None:
    print(f"ok  {message}")


def gateway_lines() -> list[str]:
    """What the fake gateway (ops/cluster/gateway.py) received, one JSON line each."""
    return GATEWAY_LOG.read_text(encoding="utf-8").splitlines() if GATEWAY_LOG.exists() else []


def wait_for_code(phone: str, after: int) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in gateway_lines()[after:]:
            record = json.loads(line)
            found = re.search(r"\b(\d{6})\b", record["text"])
            if record["to"] == phone and found:
                return found.group(1)
        time.sleep(0.2)
    fail(f"no SMS to {phone} within 60 s (worker log: var/cluster/log/worker.log)")
    return ""


def servers(env: dict[str, str]) -> tuple[str, str]:
    """The two gunicorn servers: SITE_URL's port and the next."""
    site = env["SITE_URL"]
    return site, re.sub(r":(\d+)$", lambda m: f":{int(m.group(1)) + 1}", site)


def sign_in(browser: Browser, site: str, second: str, phone: str) -> str:
    """Ask `site` for a code, read it at the gateway, confirm it on `second`; the code."""
    sent_before = len(gateway_lines())
    status, _, _ = browser.form(f"{site}/accounts/login/code/", {"phone": phone})
    if status != 302:
        fail(f"code request answered {status}")
    code = wait_for_code(phone, sent_before)
    status, _, _ = browser.form(f"{second}/accounts/login/code/confirm/", {"code": code})
    if status != 302:
        fail(f"code confirmation answered {status}")
    return code


def claim_iin(browser: Browser, site: str, name: str) -> str:
    iin = new_iin()
    status, page, _ = browser.form(f"{site}/profile/", {"full_name": name, "iin": iin})
    if status != 302:
        fail(f"profile answered {status}: {re.findall(r'errorlist[^<]*<li>([^<]+)', page)}")
    return iin


def main() -> None:
    env = cluster_env()
    site, second = servers(env)
    for server in (site, second):
        status, body, _ = Browser().request(f"{server}/healthz")
        checks = json.loads(body)["checks"]
        if status != 200:
            fail(f"{server}/healthz: {status} {checks}")
        ok(f"{server}/healthz {checks}")

    phone = new_phone()
    browser = Browser()
    # Confirmed on the other server: the session lives in the cache Redis and the database.
    code = sign_in(browser, site, second, phone)
    ok(f"code for {phone} sent by the worker through the broker and the gateway: {code}")
    ok(f"signed in on {second}")
    iin = claim_iin(browser, second, "Smoke Test")
    ok(f"IIN {iin[:2]}********{iin[-2:]} claimed")

    # "Enter" answers with the answer page, naming its address for a reload.
    status, _, headers = browser.form(f"{site}/v/{VENUE_CODE}/", {})
    location = headers.get("Content-Location", "")
    visit = re.search(r"/visits/(\d+)/", location)
    if status != 200 or not visit:
        fail(f"check-in answered {status} -> {location!r}")
    visit_id = int(visit.group(1))
    status, _, _ = browser.request(f"{site}{location}")
    if status != 200:
        fail(f"answer page answered {status}")
    ok(f"checked in at {VENUE_CODE} on {site}: visit {visit_id}")

    replica_url = env["DATABASE_REPLICA_URL"]
    deadline = time.monotonic() + 10
    with psycopg.connect(replica_url, autocommit=True) as replica:
        in_recovery = replica.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        if not in_recovery:
            fail("the replica is not a standby")
        while time.monotonic() < deadline:
            row = replica.execute(
                "SELECT venue_id, admitted, checked_in_at FROM visits_visit WHERE id = %s",
                [visit_id],
            ).fetchone()
            if row:
                break
            time.sleep(0.1)
        else:
            fail(f"visit {visit_id} never reached the replica")
        lag = replica.execute(
            "SELECT coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)"
        ).fetchone()[0]
    ok(f"visit {visit_id} on the replica (standby, admitted={row[1]}, replay lag {lag:.3f} s)")
    with primary_database(env) as primary:
        sent = primary.execute(
            'SELECT count(*) FROM accounts_outgoingsms WHERE "to" = %s AND sent_at IS NOT NULL',
            [phone],
        ).fetchone()[0]
    ok(f"through PgBouncer: the outbox has the code marked sent ({sent})")
    print("the rehearsal works")


if __name__ == "__main__":
    main()
