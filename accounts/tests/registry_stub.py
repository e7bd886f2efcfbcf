"""A local stand-in for a state registry (identity, organisations), for tests."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Registry:
    """A local stand-in for the state registry: answers what the test tells it to."""

    url: str = ""
    status: int = 200
    body: bytes = b'{"match": true}'
    # Announce more bytes than are sent: the connection drops mid-answer.
    truncate: bool = False
    requests: list[dict] = field(default_factory=list)

    def reply(self, status: int = 200, body: bytes | dict = b"", truncate: bool = False) -> None:
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, dict) else body
        self.truncate = truncate


@contextmanager
def serve_registry(path: str) -> Iterator[Registry]:
    """A registry on a free local port, answering every POST as the stub is told."""
    stub = Registry()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            stub.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            self.send_response(stub.status)
            self.send_header("Content-Type", "application/json")
            announced = len(stub.body) + (100 if stub.truncate else 0)
            self.send_header("Content-Length", str(announced))
            self.end_headers()
            self.wfile.write(stub.body)

        def log_message(self, format: str, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll keeps shutdown() from waiting half a second per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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
    with serve_registry(path) as stub:
        setattr(settings, backend_setting, backend)
        setattr(settings, f"{registry}_REGISTRY_URL", stub.url)
        setattr(settings, f"{registry}_REGISTRY_TOKEN", token)
        yield stub


def closed_port_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/match"
