"""`make drill`: faults applied one by one to the rehearsal under load; nothing may be lost.

    .venv/bin/python ops/cluster/drill.py [--only NAME ...]

Starts the rehearsal (make cluster) unless it is running, and stops it again
afterwards if it started it. For each drill the traffic of ops/cluster/load.py
runs for WARM seconds, the fault is applied and cleared, the traffic runs
AFTER seconds more and stops; then the drill waits (up to DRILL_GRACE_SECONDS,
default 420: the outbox relay hands a lost task over again after five
minutes) for every SMS it caused to reach the fake gateway, and counts:

- requests sent, and the answers by status (a connection cut by a killed
  process is named by its error);
- check-ins answered (each answer naming a visit) and recorded in the
  database since the drill began; a lost check-in is an answered visit that
  is not in the database;
- codes asked (a 302 from the code request), SMS requested (outbox rows since
  the drill began), SMS delivered (keys the gateway took), repeats the gateway
  dropped by their Idempotency-Key, and duplicates delivered (one text to one
  number under two keys); a lost SMS is a promised code without an outbox
  row, or a row never delivered.

It fails (exit 1) on any lost check-in, lost or duplicated SMS, or any 5xx
answer other than the translated 503 "try again" page. The table goes to
stdout and var/cluster/drill.json.
"""

import argparse
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from load import Record, Traffic, cluster, rehearsal_traffic
from smoke import STATE, gateway_lines, primary_database

WARM, AFTER, OUTAGE = 8, 12, 30
GRACE = int(os.environ.get("DRILL_GRACE_SECONDS", "420"))


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def pid_of(name: str) -> int:
    return int((STATE / "run" / f"{name}.pid").read_text().strip())


def kill_gunicorn_worker() -> str:
    worker = min(children(pid_of("web1")))
    os.kill(worker, signal.SIGKILL)
    return f"SIGKILL gunicorn 1's worker {worker}; the master starts another"


def kill_celery_worker() -> str:
    # Its supervisor first, or it would start the worker again at once: the
    # drill is a worker host gone for OUTAGE seconds.
    os.kill(pid_of("worker-supervisor"), signal.SIGKILL)
    main = pid_of("worker")
    pool = children(main)
    for pid in [main, *pool]:
        os.kill(pid, signal.SIGKILL)
    time.sleep(OUTAGE)
    cluster("up", "worker")
    return f"SIGKILL the Celery worker {main} and its pool {pool}; {OUTAGE} s later started again"


def stop_broker() -> str:
    cluster("down", "broker")
    time.sleep(OUTAGE)
    cluster("up", "broker")
    return f"broker Redis stopped for {OUTAGE} s"


def restart_primary() -> str:
    cluster("down", "primary")
    time.sleep(10)
    cluster("up", "primary")
    return "PostgreSQL primary stopped in immediate mode (a crash), 10 s later started (recovery)"


def stop_replica() -> str:
    cluster("down", "replica")
    time.sleep(OUTAGE)
    cluster("up", "replica")
    return f"replica stopped for {OUTAGE} s"


FAULTS: dict[str, Callable[[], str]] = {
    "gunicorn-worker": kill_gunicorn_worker,
    "celery-worker": kill_celery_worker,
    "broker": stop_broker,
    "primary": restart_primary,
    "replica": stop_replica,
}


@dataclass
class Outcome:
    visits_recorded: int
    lost_visits: list[int]
    sms_requested: int
    delivered: int
    repeats_dropped: int
    duplicates: int
    codes_without_row: list[str]
    undelivered: list[str]
    grace_seconds: float


def wait_for_database(env: dict[str, str], deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with primary_database(env) as db:
                db.execute("SELECT 1")
            return
        except Exception:
            time.sleep(1)
    raise SystemExit("drill: the primary did not come back")


def outcome(env: dict[str, str], record: Record, since: datetime) -> Outcome:
    started = time.monotonic()
    wait_for_database(env, started + 120)
    with primary_database(env) as db:
        recorded = db.execute(
            "SELECT count(*) FROM visits_visit WHERE checked_in_at >= %s", [since]
        ).fetchone()[0]
        answered = sorted(record.visits)
        found = {
            row[0]
            for row in db.execute("SELECT id FROM visits_visit WHERE id = ANY(%s)", [answered])
        }
        while True:
            rows = db.execute(
                'SELECT id, "to" FROM accounts_outgoingsms WHERE created_at >= %s', [since]
            ).fetchall()
            keys = {row[0].hex for row in rows}
            entries = [json.loads(line) for line in gateway_lines()]
            entries = [entry for entry in entries if entry["key"] in keys]
            delivered = {entry["key"] for entry in entries if not entry["repeat"]}
            undelivered = sorted(keys - delivered)
            if not undelivered or time.monotonic() - started > GRACE:
                break
            time.sleep(2)
    texts = Counter((entry["to"], entry["text"]) for entry in entries if not entry["repeat"])
    asked_of = {str(row[1]) for row in rows}
    return Outcome(
        visits_recorded=recorded,
        lost_visits=[visit for visit in answered if visit not in found],
        sms_requested=len(rows),
        delivered=len(delivered),
        repeats_dropped=sum(1 for entry in entries if entry["repeat"]),
        duplicates=sum(count - 1 for count in texts.values() if count > 1),
        codes_without_row=[phone for phone in record.codes if phone not in asked_of],
        undelivered=undelivered,
        grace_seconds=round(time.monotonic() - started, 1),
    )


def drill(traffic: Traffic, name: str) -> dict:
    print(f"\n== drill {name}", flush=True)
    since = datetime.now(UTC)
    began = time.monotonic()
    record = traffic.run()
    time.sleep(WARM)
    what = FAULTS[name]()
    print(f"   {what}", flush=True)
    time.sleep(AFTER)
    traffic.stop()
    seconds = round(time.monotonic() - began, 1)
    result = outcome(traffic.env, record, since)
    bad_answers = sum(count for status, count in record.statuses.items() if is_error_page(status))
    failures = []
    if result.lost_visits:
        failures.append(f"{len(result.lost_visits)} check-ins answered but not recorded")
    if len(record.visits) < result.visits_recorded / 2:
        # Every recorded check-in but those cut off by the fault was answered:
        # fewer named means the load no longer finds the visit in the answers,
        # and "none lost" would hold for want of looking.
        failures.append(
            f"only {len(record.visits)} of {result.visits_recorded} check-ins recorded were "
            "named in an answer"
        )
    if result.codes_without_row or result.undelivered:
        lost = len(result.codes_without_row) + len(result.undelivered)
        failures.append(f"{lost} SMS lost")
    if result.duplicates:
        failures.append(f"{result.duplicates} SMS delivered twice")
    if bad_answers:
        failures.append(f"{bad_answers} answers were errors other than the 503 page")
    row = {
        "drill": name,
        "fault": what,
        "seconds": seconds,
        "requests": record.requests,
        "answers": {
            str(status): count for status, count in sorted(record.statuses.items(), key=str)
        },
        "checkins_answered": len(record.visits),
        "checkins_recorded": result.visits_recorded,
        "checkins_lost": len(result.lost_visits),
        "codes_asked": len(record.codes),
        "sms_requested": result.sms_requested,
        "sms_delivered": result.delivered,
        "sms_repeats_dropped_by_key": result.repeats_dropped,
        "sms_duplicates_delivered": result.duplicates,
        "sms_lost": len(result.codes_without_row) + len(result.undelivered),
        "sms_wait_seconds": result.grace_seconds,
        "failures": failures,
    }
    print(f"   {json.dumps(row, ensure_ascii=False)}", flush=True)
    return row


def is_error_page(status: int | str) -> bool:
    """A 5xx other than the translated 503 "try again" page (load.Record names those)."""
    if isinstance(status, str):
        return status.startswith("503 without")
    return status >= 500 and status != 503


def table(rows: list[dict]) -> str:
    lines = [
        "| drill | requests | answers | check-ins answered / recorded / lost "
        "| codes asked | SMS requested / delivered / lost | repeats dropped | duplicates "
        "| SMS waited | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        answers = ", ".join(f"{status}: {count}" for status, count in row["answers"].items())
        lines.append(
            f"| {row['drill']} | {row['requests']} | {answers} "
            f"| {row['checkins_answered']} / {row['checkins_recorded']} / {row['checkins_lost']} "
            f"| {row['codes_asked']} "
            f"| {row['sms_requested']} / {row['sms_delivered']} / {row['sms_lost']} "
            f"| {row['sms_repeats_dropped_by_key']} | {row['sms_duplicates_delivered']} "
            f"| {row['sms_wait_seconds']} s | {'; '.join(row['failures']) or 'ok'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=list(FAULTS), default=list(FAULTS))
    args = parser.parse_args()
    with rehearsal_traffic() as traffic:
        load = os.getloadavg()
        rows = [drill(traffic, name) for name in args.only]
    print(f"\nload average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(table(rows))
    (STATE / "drill.json").write_text(
        json.dumps({"load_average": load, "drills": rows}, indent=2, ensure_ascii=False)
    )
    if any(row["failures"] for row in rows):
        sys.exit(1)
    print("every drill: nothing lost, nothing sent twice, no error page but the 503")


if __name__ == "__main__":
    main()
