"""Operational alerts reach a real receiver: one per incident, one on recovery, none on a healthy cycle."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from test_findings_webhook import hook, receiving

from connectors.config import ConfigError, SourcesFile
from pipeline.alerts import AlertConfig, evaluate, open_alerts, sync_failed
from trace_store.schema import sync_run

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SOURCES = SourcesFile.model_validate(
    {
        "sources": [
            {
                "name": "shop",
                "kind": "shopify",
                "base_url": "https://shop.example.com",
                "entities": ["order"],
                "credentials": {"env": "SHOP_TOKEN"},
                "schedule": "@hourly",
            }
        ]
    }
)
CONFIG = AlertConfig(stale_factor=3, spike_rate=0.2, spike_factor=3)


def run(store, finished: datetime, loaded: int = 98, quarantined: int = 2, status: str = "success") -> None:
    """One run of shop/order in the ledger, as a sync leaves it."""
    with store.transaction() as conn:
        conn.execute(
            sync_run.insert().values(
                source="shop",
                entity="order",
                started_at=finished - timedelta(minutes=1),
                finished_at=finished,
                status=status,
                pulled=loaded + quarantined,
                unchanged=0,
                loaded=loaded,
                quarantined=quarantined,
            )
        )


def announcements(receiver) -> list[tuple[str, str]]:
    bodies = [json.loads(r["body"]) for r in receiver.requests[receiver.failures :]]
    assert all(b["event"] == "tracehub.alert" for b in bodies)
    return [(b["status"], b["alert"]["kind"]) for b in bodies]


def test_a_healthy_cycle_sends_nothing(store):
    for hours in (3, 2, 1):
        run(store, NOW - timedelta(hours=hours))
    with receiving() as receiver:
        result = evaluate(store, SOURCES, CONFIG, NOW, hook(receiver.url))
        assert (result.opened, result.resolved, result.sent) == ([], [], 0)
        assert receiver.requests == []


def test_a_failed_sync_is_one_alert_until_a_run_succeeds(store):
    run(store, NOW - timedelta(hours=1))
    with receiving() as receiver:
        assert sync_failed(store, "shop", "order", "AuthError: refused", hook(receiver.url), NOW) is True
        assert sync_failed(store, "shop", "order", "AuthError: refused again", hook(receiver.url), NOW) is False
        assert evaluate(store, SOURCES, CONFIG, NOW, hook(receiver.url)).resolved == []
        assert announcements(receiver) == [("opened", "sync_failed")]
        [incident] = open_alerts(store)
        assert incident["details"] == {"error": "AuthError: refused"}

        run(store, NOW + timedelta(minutes=5))
        later = NOW + timedelta(minutes=6)
        assert [r["kind"] for r in evaluate(store, SOURCES, CONFIG, later, hook(receiver.url)).resolved] == [
            "sync_failed"
        ]
        evaluate(store, SOURCES, CONFIG, later, hook(receiver.url))
        assert announcements(receiver) == [("opened", "sync_failed"), ("resolved", "sync_failed")]
    assert open_alerts(store) == []


def test_a_source_without_a_success_for_three_intervals_is_stale_until_it_succeeds(store):
    run(store, NOW - timedelta(hours=4))
    with receiving() as receiver:
        first = evaluate(store, SOURCES, CONFIG, NOW, hook(receiver.url))
        assert first.opened == [{"kind": "source_stale", "source": "shop", "entity": "order"}]
        assert evaluate(store, SOURCES, CONFIG, NOW + timedelta(minutes=10), hook(receiver.url)).opened == []
        run(store, NOW + timedelta(minutes=20))
        evaluate(store, SOURCES, CONFIG, NOW + timedelta(minutes=21), hook(receiver.url))
        assert announcements(receiver) == [("opened", "source_stale"), ("resolved", "source_stale")]
    assert evaluate(store, SOURCES, CONFIG, NOW + timedelta(hours=2, minutes=59)).opened == []


def test_a_quarantine_spike_opens_once_and_resolves_when_the_rate_drops(store):
    for minutes in range(60, 10, -10):
        run(store, NOW - timedelta(minutes=minutes))  # 2% quarantined
    run(store, NOW - timedelta(minutes=5), loaded=60, quarantined=40)
    with receiving() as receiver:
        [spike] = evaluate(store, SOURCES, CONFIG, NOW, hook(receiver.url)).opened
        assert spike["kind"] == "quarantine_spike"
        [incident] = open_alerts(store)
        assert incident["details"]["rate"] == 0.4 and incident["details"]["baseline"] == 0.02
        assert evaluate(store, SOURCES, CONFIG, NOW + timedelta(minutes=1), hook(receiver.url)).opened == []
        run(store, NOW + timedelta(minutes=10), loaded=97, quarantined=3)
        evaluate(store, SOURCES, CONFIG, NOW + timedelta(minutes=11), hook(receiver.url))
        assert announcements(receiver) == [("opened", "quarantine_spike"), ("resolved", "quarantine_spike")]


def test_an_announcement_the_receiver_refused_is_sent_at_the_next_evaluation(store):
    run(store, NOW - timedelta(hours=4))
    with receiving(failures=8) as receiver:
        failed = evaluate(store, SOURCES, CONFIG, NOW, hook(receiver.url, attempts=2))
        assert failed.sent == 0 and "failed after 2 attempts" in (failed.send_error or "")
        receiver.failures = 0
        receiver.requests.clear()
        again = evaluate(store, SOURCES, CONFIG, NOW + timedelta(minutes=10), hook(receiver.url))
        assert (again.opened, again.sent) == ([], 1)
        assert announcements(receiver) == [("opened", "source_stale")]


def test_thresholds_from_the_environment_are_checked(monkeypatch):
    monkeypatch.setenv("TRACEHUB_ALERT_QUARANTINE_RATE", "0.5")
    assert AlertConfig.from_env().spike_rate == 0.5
    monkeypatch.setenv("TRACEHUB_ALERT_STALE_FACTOR", "often")
    with pytest.raises(ConfigError, match="TRACEHUB_ALERT_STALE_FACTOR='often': expected a number"):
        AlertConfig.from_env()


def test_alerts_go_by_e_mail_too_when_asked(store, monkeypatch):
    """A local SMTP server receives one message per announcement, subject naming kind, status and source."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list = []

    class Inbox(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(Inbox(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        monkeypatch.setenv("TRACEHUB_ALERT_EMAIL_TO", "quality@example.com, ops@example.com")
        monkeypatch.setenv("TRACEHUB_SMTP_URL", f"smtp://127.0.0.1:{port}")
        run(store, NOW - timedelta(hours=4))
        opened = evaluate(store, SOURCES, CONFIG, NOW, hook=None)
        assert opened.sent == 1 and opened.send_error is None
        run(store, NOW + timedelta(minutes=20))
        evaluate(store, SOURCES, CONFIG, NOW + timedelta(minutes=21), hook=None)
    finally:
        server.stop()
    subjects = [m["Subject"] for m in received]
    assert subjects == [
        "[tracehub] source_stale opened: shop/order",
        "[tracehub] source_stale resolved: shop/order",
    ]
    assert received[0]["To"] == "quality@example.com, ops@example.com"
    assert json.loads(received[0].get_payload())["kind"] == "source_stale"


def test_e_mail_without_a_server_is_a_configuration_error(store, monkeypatch):
    monkeypatch.setenv("TRACEHUB_ALERT_EMAIL_TO", "quality@example.com")
    monkeypatch.setenv("TRACEHUB_SMTP_URL", "mail.example.com")
    with pytest.raises(ConfigError, match="TRACEHUB_SMTP_URL is not an smtp:// or smtps:// URL"):
        evaluate(store, SOURCES, CONFIG, NOW)
