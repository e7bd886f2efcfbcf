"""`make soak`: the rehearsal at 80 % of its measured maximum for 10 minutes; no errors, no growth.

    .venv/bin/python ops/cluster/soak.py        (SOAK_SECONDS=120 to shorten)

Starts the rehearsal (make cluster) unless it is running, and stops it again
afterwards if it started it. First the traffic of ops/cluster/load.py runs as
fast as it is answered for MEASURE_SECONDS: its rate is the maximum. Then it
runs capped at 80 % of that for SOAK_SECONDS (default 600), and prints, each
minute, the requests, the errors (any answer but 200 and 302, or none at all)
and the 99th percentile of the latency; at the start and the end, the
resident memory (RSS) of the gunicorn workers and of the Celery worker.

It fails (exit 1) on any error or when the workers' RSS at the end is more
than 10 % above the start. The figures go to stdout and var/cluster/soak.json.
"""

import json
import os
import sys
import time
from pathlib import Path

from drill import children, pid_of
from load import Record, Traffic, rehearsal_traffic
from smoke import STATE

MEASURE_SECONDS, WARM_SECONDS = 30, 5
SHARE = 0.8
SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
GROWTH_ALLOWED = 0.10
OK_STATUSES = {200, 302}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_rss() -> dict[str, int]:
    """KiB resident in the gunicorn workers (both servers) and the Celery worker with its pool."""
    web = [pid for name in ("web1", "web2") for pid in children(pid_of(name))]
    celery = [pid_of("worker"), *children(pid_of("worker"))]
    return {
        "gunicorn_workers": sum(rss_kib(pid) for pid in web),
        "celery_worker": sum(rss_kib(pid) for pid in celery),
    }


def p99(latencies: list[float]) -> float:
    if not latencies:
        return 0.0
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def errors_in(record: Record) -> int:
    with record.lock:
        return sum(count for status, count in record.statuses.items() if status not in OK_STATUSES)


def measure_maximum(traffic: Traffic) -> float:
    record = traffic.run()
    time.sleep(WARM_SECONDS)
    with record.lock:
        before = len(record.latencies)
    time.sleep(MEASURE_SECONDS)
    with record.lock:
        after = len(record.latencies)
    traffic.stop()
    return (after - before) / MEASURE_SECONDS


def soak(traffic: Traffic, rate: float) -> dict:
    start_rss = worker_rss()
    began = time.monotonic()
    record = traffic.run(rate)
    minutes = []
    seen = 0
    while time.monotonic() - began < SOAK_SECONDS:
        time.sleep(min(60, SOAK_SECONDS - (time.monotonic() - began)))
        with record.lock:
            window = record.latencies[seen:]
            seen = len(record.latencies)
        minute = {
            "minute": len(minutes) + 1,
            "requests": len(window),
            "rate": round(len(window) / 60, 1),
            "p99_ms": round(p99([seconds for _, seconds in window]) * 1000, 1),
            "errors_so_far": errors_in(record),
        }
        minutes.append(minute)
        print(f"   {json.dumps(minute)}", flush=True)
    traffic.stop()
    end_rss = worker_rss()
    return {
        "seconds": round(time.monotonic() - began),
        "target_rate": round(rate, 1),
        "achieved_rate": round(record.requests / (time.monotonic() - began), 1),
        "requests": record.requests,
        "errors": errors_in(record),
        "answers": {str(status): count for status, count in record.statuses.items()},
        "p99_ms_per_minute": [minute["p99_ms"] for minute in minutes],
        "minutes": minutes,
        "rss_kib_start": start_rss,
        "rss_kib_end": end_rss,
    }


def main() -> None:
    with rehearsal_traffic() as traffic:
        load_start = os.getloadavg()
        print(f"== the maximum: as fast as answered for {MEASURE_SECONDS} s", flush=True)
        maximum = measure_maximum(traffic)
        print(f"   {maximum:.1f} requests/s; soaking at {SHARE:.0%}: {SHARE * maximum:.1f}/s")
        print(f"== soak for {SOAK_SECONDS} s", flush=True)
        result = soak(traffic, SHARE * maximum)
        load_end = os.getloadavg()
    result.update(maximum_rate=round(maximum, 1), load_average_start=load_start)
    result["load_average_end"] = load_end
    (STATE / "soak.json").write_text(json.dumps(result, indent=2))
    failures = []
    if result["errors"]:
        failures.append(f"{result['errors']} errors: {result['answers']}")
    for role, start in result["rss_kib_start"].items():
        end = result["rss_kib_end"][role]
        print(f"RSS {role}: {start / 1024:.1f} MiB at the start, {end / 1024:.1f} MiB at the end")
        if end > start * (1 + GROWTH_ALLOWED):
            failures.append(f"{role} grew from {start} to {end} KiB")
    print(f"maximum {result['maximum_rate']}/s, target {result['target_rate']}/s, ", end="")
    print(f"achieved {result['achieved_rate']}/s over {result['seconds']} s")
    print(f"requests {result['requests']}, errors {result['errors']}")
    print(f"p99 per minute (ms): {result['p99_ms_per_minute']}")
    print(f"load average at the start {load_start}, at the end {load_end}")
    if failures:
        print("FAILED: " + "; ".join(failures))
        sys.exit(1)
    print("the soak held: no errors, worker memory flat")


if __name__ == "__main__":
    main()
