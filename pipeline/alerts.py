"""Operational alerts: one per incident when a source entity goes wrong, and one when it recovers.

Three kinds, per source and entity:

- `sync_failed`: a sync failed after its retries (the sync tasks' Airflow failure notifier opens
  it); resolved by the next successful run.
- `source_stale`: no successful run for longer than `stale_factor` times the source's schedule
  interval; resolved by a successful run.
- `quarantine_spike`: the latest run quarantined at least `spike_rate` of what it checked and at
  least `spike_factor` times the rate of the runs before it; resolved by a run back under it.

An incident is a row of the `alert` table while it is open, so it is announced once however often
it is evaluated; announcements go to the findings webhook (event `tracehub.alert`, signed like
findings) and, when TRACEHUB_ALERT_EMAIL_TO is set, by e-mail through TRACEHUB_SMTP_URL
(`smtp://[user:password@]host[:port]`, `smtps://` for TLS, `?starttls=1` to upgrade). What could
not be delivered is sent again at the next evaluation. `evaluate` runs on the `tracehub_health`
DAG's schedule.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from connectors.config import ConfigError, SourcesFile
from data_dictionary.jsonable import json_scalar, to_jsonable
from trace_store.schema import alert, sync_run
from trace_store.store import Store
from traceability.webhook import Webhook, WebhookError, deliver

log = logging.getLogger(__name__)

EVENT = "tracehub.alert"
KINDS = ("sync_failed", "source_stale", "quarantine_spike")
DEFAULT_SENDER = "tracehub@localhost"


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """Thresholds; `from_env` reads TRACEHUB_ALERT_STALE_FACTOR, _QUARANTINE_RATE and _SPIKE_FACTOR."""

    stale_factor: float = 3.0
    spike_rate: float = 0.2
    spike_factor: float = 3.0
    baseline_runs: int = 10

    @classmethod
    def from_env(cls) -> AlertConfig:
        names = {
            "stale_factor": "TRACEHUB_ALERT_STALE_FACTOR",
            "spike_rate": "TRACEHUB_ALERT_QUARANTINE_RATE",
            "spike_factor": "TRACEHUB_ALERT_SPIKE_FACTOR",
        }
        values: dict[str, Any] = {}
        for field, env in names.items():
            raw = os.environ.get(env)
            if not raw:
                continue
            try:
                values[field] = float(raw)
            except ValueError:
                raise ConfigError(f"{env}={raw!r}: expected a number, e.g. {getattr(cls, field)}") from None
            if values[field] <= 0:
                raise ConfigError(f"{env}={raw!r}: expected a number above zero")
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one evaluation did: incidents opened and resolved, announcements delivered."""

    opened: list[dict[str, Any]]
    resolved: list[dict[str, Any]]
    sent: int
    send_error: str | None = None


def sync_failed(
    store: Store, source: str, entity: str, error: str, hook: Webhook | None = None, now: datetime | None = None
) -> bool:
    """Open a `sync_failed` incident (if none is open) and announce it; True when it is new."""
    with store.transaction() as conn:
        opened = _open(conn, "sync_failed", source, entity, {"error": error[:2000]}, now or datetime.now(UTC))
    _announce(store, hook)
    return opened


def evaluate(
    store: Store,
    sources: SourcesFile,
    config: AlertConfig | None = None,
    now: datetime | None = None,
    hook: Webhook | None = None,
) -> Evaluation:
    """Open and resolve incidents from the run ledger, then announce what is new."""
    config = config or AlertConfig.from_env()
    now = now or datetime.now(UTC)
    opened: list[dict[str, Any]] = []
    resolved: list[dict[str, Any]] = []
    with store.transaction() as conn:
        for source in sources.sources:
            interval = _interval(source.schedule, now)
            for entity in source.entities:
                found = _entity_incidents(conn, source.name, entity, interval, config, now)
                for kind, details in found.items():
                    if details is None:
                        resolved += _resolve(conn, kind, source.name, entity, now)
                    elif _open(conn, kind, source.name, entity, details, now):
                        opened.append({"kind": kind, "source": source.name, "entity": entity})
                last_success = _last_success(conn, source.name, entity)
                if last_success is not None:
                    resolved += _resolve(conn, "sync_failed", source.name, entity, now, after=last_success)
    sent, error = _announce(store, hook)
    return Evaluation(opened, resolved, sent, error)


def open_alerts(store: Store) -> list[dict[str, Any]]:
    """Incidents not resolved yet, oldest first."""
    with store.connect() as conn:
        rows = conn.execute(sa.select(alert).where(alert.c.resolved_at.is_(None)).order_by(alert.c.id))
        return [to_jsonable(dict(r._mapping)) for r in rows]


def _open(conn: Connection, kind: str, source: str, entity: str, details: dict[str, Any], now: datetime) -> bool:
    a = alert.c
    existing = conn.execute(
        sa.select(a.id).where(a.kind == kind, a.source == source, a.entity == entity, a.resolved_at.is_(None))
    ).first()
    if existing is not None:
        return False
    conn.execute(
        alert.insert().values(kind=kind, source=source, entity=entity, details=to_jsonable(details), opened_at=now)
    )
    return True


def _resolve(
    conn: Connection, kind: str, source: str, entity: str, now: datetime, after: datetime | None = None
) -> list[dict[str, Any]]:
    a = alert.c
    where = [a.kind == kind, a.source == source, a.entity == entity, a.resolved_at.is_(None)]
    if after is not None:
        where.append(a.opened_at <= after)
    done = conn.execute(alert.update().where(*where).values(resolved_at=now).returning(a.id))
    return [{"kind": kind, "source": source, "entity": entity, "id": row.id} for row in done]


def _entity_incidents(
    conn: Connection, source: str, entity: str, interval: timedelta | None, config: AlertConfig, now: datetime
) -> dict[str, dict[str, Any] | None]:
    """Per evaluated kind: the details of an incident that holds now, or None when it does not hold."""
    found: dict[str, dict[str, Any] | None] = {}
    last_success = _last_success(conn, source, entity)
    if interval is not None:
        since = last_success or _first_run(conn, source, entity) or now
        late = since < now - config.stale_factor * interval
        found["source_stale"] = {"last_success": last_success, "factor": config.stale_factor} if late else None
    runs = _recent_runs(conn, source, entity, config.baseline_runs + 1)
    if runs and _checked(runs[0]):
        found["quarantine_spike"] = _spike(runs, config)
    return found


def _recent_runs(conn: Connection, source: str, entity: str, limit: int) -> list[Any]:
    r = sync_run.c
    query = (
        sa.select(r.run_id, r.loaded, r.quarantined, r.finished_at)
        .where(r.source == source, r.entity == entity, r.status == "success")
        .order_by(r.run_id.desc())
        .limit(limit)
    )
    return list(conn.execute(query))


def _last_success(conn: Connection, source: str, entity: str) -> datetime | None:
    r = sync_run.c
    query = sa.select(sa.func.max(r.finished_at)).where(r.source == source, r.entity == entity, r.status == "success")
    return conn.execute(query).scalar_one()


def _first_run(conn: Connection, source: str, entity: str) -> datetime | None:
    r = sync_run.c
    return conn.execute(sa.select(sa.func.min(r.started_at)).where(r.source == source, r.entity == entity)).scalar_one()


def _checked(run: Any) -> int:
    return int(run.loaded) + int(run.quarantined)


def _spike(runs: list[Any], config: AlertConfig) -> dict[str, Any] | None:
    """The latest run's quarantine rate when it is a spike against the runs before it, else None."""
    latest = runs[0].quarantined / _checked(runs[0])
    before = [run.quarantined / _checked(run) for run in runs[1:] if _checked(run)]
    baseline = sum(before) / len(before) if before else 0.0
    if latest < config.spike_rate or (before and latest < config.spike_factor * baseline):
        return None
    return {"run_id": runs[0].run_id, "rate": round(latest, 4), "baseline": round(baseline, 4), "runs": len(before)}


def _interval(schedule: str | None, now: datetime) -> timedelta | None:
    """How often a schedule runs (cron or preset); None for a source synced by hand."""
    if not schedule or schedule in ("@once", "@continuous"):
        return None
    from croniter import croniter

    cron = croniter(schedule, now)
    first = cron.get_next(datetime)
    return cron.get_next(datetime) - first


@dataclass(frozen=True, slots=True)
class Mailer:
    """E-mail delivery of alerts: recipients, and the SMTP server as a URL (never logged with its password)."""

    to: tuple[str, ...]
    url: str
    sender: str = DEFAULT_SENDER
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> Mailer | None:
        recipients = tuple(a.strip() for a in os.environ.get("TRACEHUB_ALERT_EMAIL_TO", "").split(",") if a.strip())
        if not recipients:
            return None
        url = os.environ.get("TRACEHUB_SMTP_URL")
        if not url or urlsplit(url).scheme not in ("smtp", "smtps") or not urlsplit(url).hostname:
            raise ConfigError(
                "TRACEHUB_ALERT_EMAIL_TO is set but TRACEHUB_SMTP_URL is not an smtp:// or smtps:// URL with a host"
            )
        sender = os.environ.get("TRACEHUB_ALERT_EMAIL_FROM") or DEFAULT_SENDER
        return cls(recipients, url, sender)

    def send(self, status: str, row: dict[str, Any]) -> None:
        """One message per announcement; MailError (with the server's reason, no password) when it fails."""
        parts = urlsplit(self.url)
        message = EmailMessage()
        message["From"], message["To"] = self.sender, ", ".join(self.to)
        message["Subject"] = f"[tracehub] {row['kind']} {status}: {row['source']}/{row['entity']}"
        message.set_content(json.dumps(row, indent=2, ensure_ascii=False, default=json_scalar))
        smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        try:
            with smtp_class(parts.hostname or "", parts.port or 0, timeout=self.timeout) as smtp:
                if "starttls=1" in parts.query:
                    smtp.starttls()
                if parts.username:
                    smtp.login(unquote(parts.username), unquote(parts.password or ""))
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"e-mail to {', '.join(self.to)} via {parts.hostname} failed: {exc}") from None


class MailError(RuntimeError):
    """The SMTP server refused or never answered; the announcement stays pending."""


def _announce(store: Store, hook: Webhook | None = None, mailer: Mailer | None = None) -> tuple[int, str | None]:
    """Send every unannounced opening and resolution; (how many were sent, the delivery error if any)."""
    hook = hook or Webhook.from_env()
    mailer = mailer or Mailer.from_env()
    if hook is None and mailer is None:
        return 0, None
    a = alert.c
    sent = 0
    with store.connect() as conn:
        pending = list(
            conn.execute(
                sa.select(alert)
                .where(
                    sa.or_(
                        a.opened_sent_at.is_(None), sa.and_(a.resolved_at.is_not(None), a.resolved_sent_at.is_(None))
                    )
                )
                .order_by(a.id)
            )
        )
    for row in pending:
        steps = [("opened", "opened_sent_at")] if row.opened_sent_at is None else []
        if row.resolved_at is not None and row.resolved_sent_at is None:
            steps.append(("resolved", "resolved_sent_at"))
        for status, column in steps:
            data = to_jsonable(dict(row._mapping))
            try:
                if hook is not None:
                    deliver(hook, EVENT, {"status": status, "alert": data})
                if mailer is not None:
                    mailer.send(status, data)
            except (WebhookError, MailError) as exc:
                log.warning("%s", exc)
                return sent, str(exc)
            with store.transaction() as conn:
                conn.execute(alert.update().where(a.id == row.id).values(**{column: datetime.now(UTC)}))
            sent += 1
    return sent, None
