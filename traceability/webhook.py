"""Deliver new critical findings (and operational alerts) to a webhook: JSON POST, HMAC-signed, retried, once.

Configuration: env TRACEHUB_WEBHOOK_URL (unset: no delivery), optional TRACEHUB_WEBHOOK_SECRET and
TRACEHUB_WEBHOOK_ATTEMPTS (default 5);
with a secret every body is signed, header `X-Tracehub-Signature: sha256=<hex HMAC-SHA256 of the
body>`. Neither the secret nor the URL's credentials or query ever reach a log or an error.

A finding's `notified_at` is set only after the receiver answered 2xx, so a failed delivery is
retried at the next refresh. 5xx, 429, timeouts and connection errors are retried with
exponential backoff and jitter; other 4xx fail at once. Delivery is at-least-once: the body
carries each finding's stable `id` for the receiver to deduplicate (a crash between the 2xx and
the commit of `notified_at` sends the batch again). On PostgreSQL an advisory lock keeps two
notifiers from sending the same findings at the same time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
import tenacity

from data_dictionary.jsonable import canonical_json
from trace_store.sql import chunks
from trace_store.store import Store
from traceability.findings import mark_notified, unnotified_critical

URL_ENV = "TRACEHUB_WEBHOOK_URL"
SECRET_ENV = "TRACEHUB_WEBHOOK_SECRET"
ATTEMPTS_ENV = "TRACEHUB_WEBHOOK_ATTEMPTS"
SIGNATURE_HEADER = "X-Tracehub-Signature"
EVENT = "tracehub.findings.critical"
_LOCK = 0x7472_7768  # pg advisory lock id of the notifier
BATCH = 100


class WebhookError(RuntimeError):
    """The receiver refused or never answered; the findings stay un-notified for the next try."""


class _Transient(Exception):
    """A status worth retrying (5xx, 429)."""


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str
    secret: str | None = None
    attempts: int = 5
    timeout: float = 5.0
    max_wait: float = 10.0

    @classmethod
    def from_env(cls) -> Webhook | None:
        """From TRACEHUB_WEBHOOK_URL, _SECRET and _ATTEMPTS (default 5); None when no URL is set."""
        url = os.environ.get(URL_ENV)
        if not url:
            return None
        return cls(url, os.environ.get(SECRET_ENV) or None, attempts=int(os.environ.get(ATTEMPTS_ENV) or 5))

    def where(self) -> str:
        """The URL without credentials or query: safe to print."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify_critical(store: Store, hook: Webhook | None = None) -> int:
    """POST every un-notified critical finding; return how many were delivered (0 when unconfigured)."""
    hook = hook or Webhook.from_env()
    if hook is None:
        return 0
    postgres = store.engine.dialect.name == "postgresql"
    with store.engine.connect() as lock:
        if postgres and not lock.execute(sa.select(sa.func.pg_try_advisory_lock(_LOCK))).scalar_one():
            return 0  # another notifier is sending these right now
        try:
            with store.connect() as conn:
                pending = unnotified_critical(conn)
            sent = 0
            for batch in chunks(pending, BATCH):
                deliver(hook, EVENT, {"findings": list(batch)})
                with store.transaction() as conn:
                    mark_notified(conn, [f["id"] for f in batch], datetime.now(UTC))
                sent += len(batch)
            return sent
        finally:
            if postgres:
                lock.execute(sa.select(sa.func.pg_advisory_unlock(_LOCK)))
                lock.commit()


def deliver(hook: Webhook, event: str, payload: dict[str, Any]) -> None:
    """POST `{"event": event, **payload}`, signed, retried on 5xx/429/no answer; WebhookError when it gives up."""
    body = canonical_json({"event": event, **payload}).encode()
    headers = {"Content-Type": "application/json"}
    if hook.secret:
        headers[SIGNATURE_HEADER] = sign(hook.secret, body)
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type((_Transient, requests.Timeout, requests.ConnectionError)),
        stop=tenacity.stop_after_attempt(hook.attempts),
        wait=tenacity.wait_exponential_jitter(initial=0.2, max=hook.max_wait),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                response = requests.post(hook.url, data=body, headers=headers, timeout=hook.timeout)
                if response.status_code >= 500 or response.status_code == 429:
                    raise _Transient(f"HTTP {response.status_code}")
                if not 200 <= response.status_code < 300:
                    raise WebhookError(
                        f"webhook {hook.where()} refused {event}: HTTP {response.status_code} "
                        f"{response.text[:200]!r}; fix the receiver, it is sent again at the next refresh"
                    )
    except (_Transient, requests.RequestException) as exc:
        raise WebhookError(
            f"webhook {hook.where()} failed after {hook.attempts} attempts ({type(exc).__name__}: "
            f"{exc if isinstance(exc, _Transient) else 'no answer'}); {event} is sent again at the next refresh"
        ) from None
