"""What can go wrong talking to a platform, worded so the reader knows what to do next.

Every message names the source; none ever contains a credential (architecture rule 8).

Failures fall into three groups; `PERMANENT` is the one place that says which is which.

- Permanent: the same request gets the same answer until a person changes something, so the
  caller fails at once. `ConfigError`: the sources file, a secret that is missing or unusable, an
  Odoo database, model or field that does not exist. `AuthError`: credentials refused (HTTP
  401/403, Odoo login `false` or `AccessDenied`). `PlatformError`: the platform states a final
  error (a 4xx other than 429, a final Odoo error such as `UserError`).
- Wait: `DeferSync`, a platform asking for a longer pause than the cap; reschedule after
  `retry_after` seconds, keeping the checkpoint.
- Transient: `RetriesExhausted`. The connector already retried 429, 5xx, timeouts, dropped
  connections and truncated JSON within its budget; a later run may succeed.

Connectors raise a permanent error before any retry: it costs one request at most. This module
imports nothing, so anything may import it without a cycle; `connectors.config` re-exports
`ConfigError` from here.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration problem, worded for the integration engineer who must fix it.

    Not a `ConnectorError`: it may concern no source at all (a sources file that does not exist).
    When it concerns one, the message names the source and the setting to change.
    """


class ConnectorError(Exception):
    """Base of every connector failure, so callers can catch them all in one place."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source


class AuthError(ConnectorError):
    """The platform refused the credentials: retrying cannot help, a person must fix them."""


class PlatformError(ConnectorError):
    """The platform rejected the request for a reason it states; retrying would get the same answer."""

    def __init__(self, source: str, message: str, *, status: int | None, platform_message: str) -> None:
        super().__init__(source, message)
        self.status = status
        self.platform_message = platform_message


class DeferSync(ConnectorError):
    """The platform asked for a pause longer than we are willing to block a worker for.

    The pipeline keeps the last committed checkpoint and reschedules the sync after
    `retry_after` seconds instead of hanging.
    """

    def __init__(self, source: str, message: str, *, retry_after: float) -> None:
        super().__init__(source, message)
        self.retry_after = retry_after


class RetriesExhausted(ConnectorError):
    """A transient failure kept happening until the attempt count or time budget ran out."""

    def __init__(self, source: str, message: str, *, endpoint: str, attempts: int, last_error: str) -> None:
        super().__init__(source, message)
        self.endpoint = endpoint
        self.attempts = attempts
        self.last_error = last_error


PERMANENT: tuple[type[Exception], ...] = (ConfigError, AuthError, PlatformError)
"""Errors that retrying cannot cure: `isinstance(error, PERMANENT)` means fail now, never retry.

`DeferSync` is not among them (reschedule after `retry_after`), nor `RetriesExhausted` (transient
failures that outlasted the connector's budget: a later run may succeed).
"""
