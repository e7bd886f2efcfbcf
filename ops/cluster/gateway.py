"""A fake SMS gateway for the rehearsal: records every delivery, honours Idempotency-Key.

    .venv/bin/python ops/cluster/gateway.py PORT LOG     (started by ops/cluster/cluster.sh)

It answers the portal's HTTP SMS backend (accounts/sms.py) as a real gateway
would: 200 for a message, and 200 again without a second delivery for a key it
has seen. Each request becomes one JSON line in LOG: `{"key", "to", "text",
"at", "repeat"}`; `repeat` marks a key seen before (a retry the gateway
dropped). The drills (ops/cluster/drill.py) and the smoke test read LOG.
Standard library only.
"""

import json
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, log: Path) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.log = log
        self.lock = threading.Lock()
        self.seen: set[str] = set()
        if log.exists():
            # A restarted gateway still knows the keys it delivered.
            for line in log.read_text(encoding="utf-8").splitlines():
                self.seen.add(json.loads(line)["key"])

    def record(self, key: str, to: str, text: str) -> bool:
        """Log one request; True when it is a new delivery."""
        with self.lock:
            repeat = key in self.seen
            self.seen.add(key)
            entry = {
                "key": key,
                "to": to,
                "text": text,
                "at": datetime.now(UTC).isoformat(),
                "repeat": repeat,
            }
            with self.log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return not repeat


class Handler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length))
            to, text = str(body["to"]), str(body["text"])
        except (ValueError, KeyError, TypeError):
            self.answer(400, {"error": "expected JSON with to and text"})
            return
        key = self.headers.get("Idempotency-Key") or ""
        if not key:
            self.answer(400, {"error": "Idempotency-Key is required"})
            return
        delivered = self.server.record(key, to, text)
        self.answer(200, {"id": key, "status": "accepted" if delivered else "duplicate"})

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        # LOG is the record; one stderr line per SMS would only fill the log file.
        pass


def main() -> None:
    port, log = int(sys.argv[1]), Path(sys.argv[2])
    log.parent.mkdir(parents=True, exist_ok=True)
    Gateway(port, log).serve_forever()


if __name__ == "__main__":
    main()
