"""Local stand-ins for the HTTP services the portal calls (the SMS gateway, the state
registries), for tests: each answers what the test tells it to and keeps what it was sent."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar


@dataclass
class Received:
    method: str
    path: str
    # As sent, looked up by name in any case ("Idempotency-Key", "idempotency-key").
    headers: Message
    body: Any


@dataclass
class Stub:
    """A service on a free local port; `answer` says what it answers the request just
    received: the status, the body and the length the answer announces."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)

    def answer(self) -> tuple[int, bytes, int]:
        raise NotImplementedError


S = TypeVar("S", bound=Stub)


@contextmanager
def serve(stub: S, path: str) -> Iterator[S]:
    """`stub` answering every POST at http://127.0.0.1:<a free port>`path`."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            received = Received(
                method=self.command,
                path=self.path,
                headers=self.headers,
                body=json.loads(self.rfile.read(length) or b"null"),
            )
            # Requests arrive on threads of their own: each answer follows its record.
            with lock:
                stub.requests.append(received)
                status, body, announced = stub.answer()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(announced))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # A short poll keeps shutdown() from waiting half a second per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Registry(Stub):
    """A state registry: answers every request alike, as `reply` last said."""

    status: int = 200
    body: bytes = b'{"match": true}'
    # Announce more bytes than are sent: the connection drops mid-answer.
    truncate: bool = False

    def reply(self, status: int = 200, body: bytes | dict = b"", truncate: bool = False) -> None:
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, dict) else body
        self.truncate = truncate

    def answer(self) -> tuple[int, bytes, int]:
        return self.status, self.body, len(self.body) + (100 if self.truncate else 0)


# Which path each registry is asked on, and the setting and class that switch it on.
BACKENDS = {
    "IDENTITY": ("/v1/match", "IDENTITY_CHECK_BACKEND", "accounts.identity.StateRegistry"),
    "ORGANISATION": (
        "/v1/head",
        "ORGANISATION_VERIFICATION_BACKEND",
        "venues.verification.StateRegistry",
    ),
}


@contextmanager
def registry_backend(settings, registry: str, token: str = "") -> Iterator[Registry]:
    """The `registry` ("IDENTITY" or "ORGANISATION") backend switched on in `settings`,
    its `<registry>_REGISTRY_URL` pointing at a stub that is asked with `token`."""
    path, backend_setting, backend = BACKENDS[registry]
    with serve(Registry(), path) as stub:
        setattr(settings, backend_setting, backend)
        setattr(settings, f"{registry}_REGISTRY_URL", stub.url)
        setattr(settings, f"{registry}_REGISTRY_TOKEN", token)
        yield stub


@contextmanager
def refusing_port() -> Iterator[int]:
    """A local port that refuses connections: bound while in use, so that nothing
    else takes it, and never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
