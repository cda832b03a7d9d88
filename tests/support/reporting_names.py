"""A real HTTP stand-in for matching's ``GET /internal/v1/organisations`` (organisations' display names), for
reporting's tests: answers the names it holds with the internal token, 401 without it, 503 while ``down``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: The demo region's organisations, as matching names them.
DEMO_NAMES = {
    "mee-plus": "MEE Plus",
    "ouderplatform-zhz": "Ouderplatform ZHZ",
    "humanitas-drechtsteden": "Humanitas Drechtsteden",
    "wijkteam-dordrecht": "Sociaal Wijkteam Dordrecht",
}


class NamesServer:
    def __init__(self, token: str, names: dict[str, str] | None = None) -> None:
        self.token = token
        self.names = dict(DEMO_NAMES if names is None else names)
        self.down = False
        self.calls = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.calls += 1
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    return self._reply(401, {"detail": "no valid token"})
                if self.path != "/internal/v1/organisations":
                    return self._reply(404, {"detail": "not found"})
                if server.down:
                    return self._reply(503, {"detail": "restarting"})
                return self._reply(200, [{"id": k, "name": v} for k, v in server.names.items()])

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def names_server(token: str, names: dict[str, str] | None = None) -> Iterator[NamesServer]:
    server = NamesServer(token, names)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
