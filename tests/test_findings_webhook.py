"""Critical findings reach a real HTTP receiver on loopback: signed, retried, each finding once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from plant import GTIN, device, load, lot, order, shipment

from pipeline.maintenance import refresh_after_load
from traceability.findings import FindingConfig, list_findings, refresh_findings
from traceability.webhook import SIGNATURE_HEADER, Webhook, WebhookError, notify_critical

SECRET = "s3cr3t-hook-key"
NOW = datetime(2025, 1, 1, tzinfo=UTC)


class Receiver:
    """A webhook receiver that answers `fail_status` to the first `failures` requests, then 204."""

    def __init__(self, failures: int = 0, fail_status: int = 503) -> None:
        self.failures = failures
        self.fail_status = fail_status
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                failing = len(receiver.requests) <= receiver.failures
                self.send_response(receiver.fail_status if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/findings?token=abc123"

    def delivered(self) -> list[dict[str, Any]]:
        return [f for r in self.requests[self.failures :] for f in json.loads(r["body"])["findings"]]


@contextmanager
def receiving(failures: int = 0, fail_status: int = 503) -> Iterator[Receiver]:
    receiver = Receiver(failures, fail_status)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def hook(url: str, attempts: int = 4) -> Webhook:
    return Webhook(url, SECRET, attempts=attempts, timeout=2.0, max_wait=0.3)


def plant_one_critical_one_warning(store) -> None:
    load(store, device(list_price="100"), lot("L1", expiry=date(2024, 1, 1)))
    load(store, order("SO-1", [("TH-A-1", 1, "300")]))  # price finding: a warning
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 1)]))  # expired lot shipped: critical
    refresh_findings(store, FindingConfig(), now=NOW)


def test_new_critical_findings_are_posted_signed_after_retries_and_only_once(store):
    plant_one_critical_one_warning(store)
    with receiving(failures=2) as receiver:
        assert notify_critical(store, hook(receiver.url)) == 1
        assert len(receiver.requests) == 3  # two 503s, then delivered
        last = receiver.requests[-1]
        expected = "sha256=" + hmac.new(SECRET.encode(), last["body"], hashlib.sha256).hexdigest()
        assert last["headers"][SIGNATURE_HEADER] == expected
        body = json.loads(last["body"])
        assert body["event"] == "tracehub.findings.critical"
        assert [f["rule"] for f in body["findings"]] == ["expired_lot_shipped"]

        assert notify_critical(store, hook(receiver.url)) == 0  # notified once
        assert len(receiver.requests) == 3
    [critical] = [f for f in list_findings(store) if f["severity"] == "critical"]
    assert critical["notified_at"] is not None
    [warning] = [f for f in list_findings(store) if f["severity"] == "warning"]
    assert warning["notified_at"] is None


def test_a_receiver_that_keeps_failing_leaves_findings_unnotified_and_the_secret_unsaid(store):
    plant_one_critical_one_warning(store)
    with receiving(failures=100) as receiver:
        with pytest.raises(WebhookError) as failed:
            notify_critical(store, hook(receiver.url, attempts=3))
        assert len(receiver.requests) == 3
    message = str(failed.value)
    assert "HTTP 503" in message and "/hooks/findings" in message
    assert SECRET not in message and "abc123" not in message
    assert all(f["notified_at"] is None for f in list_findings(store))

    with receiving() as receiver:  # the next refresh delivers what failed before
        assert notify_critical(store, hook(receiver.url)) == 1
        assert [f["rule"] for f in receiver.delivered()] == ["expired_lot_shipped"]


def test_a_4xx_fails_at_once_and_a_dead_receiver_is_retried(store):
    plant_one_critical_one_warning(store)
    with receiving(failures=100, fail_status=400) as receiver:
        with pytest.raises(WebhookError, match="HTTP 400"):
            notify_critical(store, hook(receiver.url))
        assert len(receiver.requests) == 1
    closed = Receiver()
    url = closed.url
    closed.server.server_close()  # nothing listens there any more: connection refused
    with pytest.raises(WebhookError, match="failed after 2 attempts"):
        notify_critical(store, hook(url, attempts=2))


def test_after_a_load_a_webhook_failure_is_reported_not_raised(store, monkeypatch, caplog):
    plant_one_critical_one_warning(store)
    with receiving(failures=100) as receiver:
        monkeypatch.setenv("TRACEHUB_WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("TRACEHUB_WEBHOOK_SECRET", SECRET)
        monkeypatch.setenv("TRACEHUB_WEBHOOK_ATTEMPTS", "2")
        with caplog.at_level(logging.WARNING):
            out = refresh_after_load(store)
        assert out["notified"] == 0 and "HTTP 503" in out["webhook_error"]
        assert len(receiver.requests) == 2
        assert SECRET not in caplog.text and "abc123" not in caplog.text
        with pytest.raises(WebhookError):
            refresh_after_load(store, strict=True)


def test_no_url_means_no_delivery(store, monkeypatch):
    monkeypatch.delenv("TRACEHUB_WEBHOOK_URL", raising=False)
    plant_one_critical_one_warning(store)
    assert notify_critical(store) == 0
    assert all(f["notified_at"] is None for f in list_findings(store))
