"""Shared HTTP plumbing of the simulated platforms: threading server, request log, faults.

A platform module only turns a parsed `Request` into a `Response`; everything a test wants to
check about a client's behaviour (what it sent, when, and what it got back, including
injected faults and the retry-after it was told) is recorded here.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from simulators.world import World

FAULT_KINDS = ("429", "500", "503", "slow", "drop", "truncate", "odoo_error")
SECRET_HEADERS = frozenset({"authorization", "x-shopify-access-token", "cookie", "x-api-key"})
SECRET_PARAMS = frozenset({"consumer_secret"})
"""Query parameters that carry a secret (WooCommerce's query-string authentication)."""


@dataclass(frozen=True)
class Faults:
    """Fault injection: each request is faulted with probability `rate`, its kind drawn from `kinds`."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    slow_seconds: float = 3.0

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}")


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request as a platform sees it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received: float


@dataclass
class Response:
    """What a platform answers; `retry_after` is the wait it told the client, for the log."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    content_type: str = "application/json; charset=utf-8"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


@dataclass(frozen=True)
class RequestLogEntry:
    """One request served. `at` is time.monotonic() on receipt; status 0 means dropped unanswered."""

    at: float
    method: str
    path: str
    query: dict[str, str]
    status: int
    retry_after: float | None
    fault: str | None
    headers: dict[str, str]
    rpc: str | None = None


class Platform(Protocol):
    """What a platform module provides (see shopify.py, shipbob.py, odoo.py)."""

    def handle(self, request: Request) -> Response:
        """Answer a request normally: auth, rate limits, the API itself."""

    def fault(self, kind: str, retry_after: str) -> Response:
        """The platform's own answer for an injected 429/500/503/odoo_error."""

    def describe(self, request: Request) -> str | None:
        """A short label of what was called (Odoo: service, model and method), for the log."""


class _FaultDice:
    """The seeded draw of faults, shared by the server's threads."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)
        self.lock = threading.Lock()

    def roll(self) -> tuple[str | None, str]:
        """(fault kind or None, retry-after value to send if it is a 429)."""
        with self.lock:
            if self.faults.rate <= 0 or self.rng.random() >= self.faults.rate:
                return None, ""
            kind = self.rng.choice(self.faults.kinds)
            wait = "0" if self.rng.random() < 0.25 else f"{self.rng.uniform(0.1, 1.5):.1f}"
            return kind, wait


class SimServer:
    """A running simulated platform; stop it with `stop()` or use it as a context manager."""

    def __init__(self, kind: str, platform: Platform, faults: Faults, host: str = "127.0.0.1", port: int = 0) -> None:
        self.kind = kind
        self.platform = platform
        self.faults = faults
        self.requests: list[RequestLogEntry] = []
        self._dice = _FaultDice(faults)
        self._log_lock = threading.Lock()
        self._open = 0
        self._closed = threading.Condition()
        self._httpd = _Httpd((host, port), _handler_for(self))
        port = self._httpd.server_address[1]
        self.base_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"sim-{kind}-{port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connected(self, change: int) -> None:
        """Count client connections, so a test can wait for a killed client's last requests."""
        with self._closed:
            self._open += change
            self._closed.notify_all()

    def wait_closed(self, timeout: float = 30) -> bool:
        """Wait until every client connection is closed and its requests are served and logged."""
        with self._closed:
            return self._closed.wait_for(lambda: self._open == 0, timeout)

    def log(self, request: Request, status: int, retry_after: float | None, fault: str | None) -> None:
        headers = {k: ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in request.headers.items()}
        entry = RequestLogEntry(
            request.received,
            request.method,
            request.path,
            {k: ("<redacted>" if k in SECRET_PARAMS else v) for k, v in request.query.items()},
            status,
            retry_after,
            fault,
            headers,
            self.platform.describe(request),
        )
        with self._log_lock:
            self.requests.append(entry)

    def serve(self, request: Request) -> tuple[Response | None, str | None]:
        """The response to send (None: drop the connection) and the fault applied, logged."""
        fault, wait = self._dice.roll()
        if fault == "drop":
            self.log(request, 0, None, fault)
            return None, fault
        if fault in ("429", "500", "503", "odoo_error"):
            response = self.platform.fault(fault, wait)
        else:
            response = self.platform.handle(request)
        self.log(request, response.status, response.retry_after, fault)
        return response, fault


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out or hang up mid-answer are expected here; stay quiet."""


def _handler_for(server: SimServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"sim-{server.kind}"

        def setup(self) -> None:
            """Headers and body go out in separate writes; without NODELAY keep-alive stalls 40 ms."""
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            server.connected(1)

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                server.connected(-1)

        def parse_request(self) -> bool:
            """Stamp receipt as soon as the request line is in, before headers and body are read."""
            self.received = time.monotonic()
            return super().parse_request()

        def _serve(self) -> None:
            received = self.received
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Request(
                self.command,
                parts.path,
                dict(parse_qsl(parts.query, keep_blank_values=True)),
                dict(self.headers.items()),
                body,
                received,
            )
            response, fault = server.serve(request)
            if response is None:
                self.close_connection = True
                return
            if fault == "slow":
                time.sleep(server.faults.slow_seconds)
            payload = response.encoded()
            if fault == "truncate":
                payload = payload[: len(payload) // 2]
                self.close_connection = True
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """The request log replaces stderr access logs."""

    return Handler


def start(
    kind: str, world: World, token: str = "secret", faults: Faults | None = None, host: str = "127.0.0.1", port: int = 0
) -> SimServer:
    """Serve `world` as platform `kind` on `host`:`port` (default: a free loopback port).

    `token` is the Shopify access token, the ShipBob bearer token, the Odoo password or the ERPNext API
    secret; WooCommerce's consumer key and secret are `ck_<token>` and `cs_<token>`.
    """
    if kind not in ("shopify", "shipbob", "odoo", "woocommerce", "erpnext"):
        raise ValueError(f"unknown platform kind {kind!r}; expected shopify, shipbob, odoo, woocommerce or erpnext")
    platform = import_module(f"simulators.{kind}").make_platform(world, token)
    return SimServer(kind, platform, faults or Faults(), host, port)
