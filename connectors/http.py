"""The HTTP core every connector shares: auth, timeouts, throttling, retries, error translation.

Architecture rule 5 lives here: transient failures (429, 500/502/503/504, timeouts, dropped
connections, truncated or invalid JSON) are retried with exponential backoff and jitter,
waiting at least what `Retry-After` / `x-retry-after` asks; a pause longer than the cap
raises `DeferSync` so the pipeline checkpoints instead of hanging. Permanent failures never
reach the retry loop (connectors.errors.PERMANENT): 401/403 raise `AuthError`, other 4xx
`PlatformError` with the platform's own message, a token that cannot travel in a header
`ConfigError` before any request. Rule 8 too: the token lives only in the session headers
and is scrubbed from every message we build; requests' own exception text (which embeds
URLs) is never passed on.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from connectors.auth import Basic, Bearer, HeaderKey, QueryKey
from connectors.config import Secret, SourceConfig
from connectors.errors import AuthError, ConfigError, DeferSync, PlatformError, RetriesExhausted
from connectors.metrics import current as current_metrics
from connectors.ratelimit import RateLimit, TokenBucket, UsageHeader, bucket_for
from connectors.reply import Reply

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_HEADERS = ("Retry-After", "x-retry-after")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How persistent a client is. Defaults suit production; tests shrink the waits."""

    attempts: int = 8
    budget_seconds: float = 300.0
    initial_wait: float = 1.0
    max_wait: float = 30.0
    defer_over: float = 60.0
    """A requested pause longer than this raises DeferSync instead of sleeping."""


class Transient(Exception):
    """A failure worth another attempt; `retry_after` is the pause the platform asked for."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


BodyCheck = Callable[[Any], None]
"""Inspects a 2xx body and raises (Transient, AuthError, PlatformError) when it carries an error."""


class HttpClient:
    """One platform connection: a requests.Session with the credential, plus the retry loop."""

    def __init__(
        self,
        config: SourceConfig,
        secret: Secret,
        *,
        auth: Bearer | Basic | HeaderKey | QueryKey | None,
        policy: RetryPolicy | None = None,
        usage: UsageHeader | None = None,
    ) -> None:
        """`usage` is the header in which the platform reports the credential's budget: it steers the
        source's `rate_limit` bucket after every answer."""
        self.source = config.name
        self._config = config
        self._token = secret.token
        self._base_url = config.base_url.rstrip("/")
        self._timeout = config.timeout_seconds
        self._policy = policy or RetryPolicy()
        self._usage = usage
        self._bucket: TokenBucket | None = (
            bucket_for(config.name, secret.token, config.rate_limit) if config.rate_limit else None
        )
        if usage is not None and self._bucket is not None:
            self._bucket.expect_usage()
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        self._auth_params: dict[str, str] = {}
        if auth is not None:
            self._check_header_token(secret.login, needs_login=auth.needs_login)
            self._session.headers.update(auth.headers(secret.token, secret.login))
            self._auth_params = auth.params(secret.token, secret.login)

    def __repr__(self) -> str:
        return f"HttpClient(source={self.source!r}, base_url={self._base_url!r})"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        endpoint: str | None = None,
        check: BodyCheck | None = None,
        limit: RateLimit | None = None,
        landed: Callable[[], Reply | None] | None = None,
    ) -> Reply:
        """Send one logical request, retrying transient failures; `endpoint` labels it in messages and logs.

        `limit` is the endpoint's own rate limit, kept in a bucket per credential and endpoint label
        on top of the source's.

        `landed` guards a write that must not happen twice: a timeout or a 5xx may come after the
        platform acted, so before every re-send it is asked whether the earlier attempt took effect,
        and what it returns is then the answer instead of a second write.
        """
        label = endpoint or f"{method} {path}"
        if self._auth_params:
            params = {**(params or {}), **self._auth_params}
        bucket = bucket_for(self.source, self._token, limit, scope=label) if limit is not None else None
        policy = self._policy
        sent = 0

        def attempt() -> Reply:
            nonlocal sent
            if sent and landed is not None:
                found = landed()
                if found is not None:
                    return found
            sent += 1
            return self._attempt(method, path, params, json_body, label, check, bucket)

        retrying = Retrying(
            retry=retry_if_exception_type(Transient),
            stop=stop_after_attempt(policy.attempts) | stop_before_delay(policy.budget_seconds),
            wait=self._wait,
            before_sleep=lambda state: self._log_retry(label, state),
        )
        try:
            return retrying(attempt)
        except RetryError as exc:
            last = exc.last_attempt
            reason = self.scrub(str(last.exception()))
            raise RetriesExhausted(
                self.source,
                f"source {self.source!r}: {label} still failing after {last.attempt_number} "
                f"attempts; last error: {reason}. The platform may be down; run the sync again later, "
                "it resumes from its last checkpoint",
                endpoint=label,
                attempts=last.attempt_number,
                last_error=reason,
            ) from None

    def scrub(self, text: str) -> str:
        """Remove the token from text that may echo it (a platform message, say)."""
        return text.replace(self._token, "***") if self._token else text

    def auth_error(self, detail: str) -> AuthError:
        """The refusal, naming the source and where its credential comes from."""
        return AuthError(
            self.source,
            f"source {self.source!r}: the platform refused the credentials ({self.scrub(detail)}); "
            f"check the credentials of source {self.source!r} ({self._config.credential_origin()})",
        )

    def _check_header_token(self, login: str | None, *, needs_login: bool) -> None:
        """A token that cannot travel in a header is a configuration error, found before any request.

        Otherwise requests / http.client fail with the header value, the token, in their message.
        The login is checked too when the auth style sends it.
        """
        if needs_login and not (login and login.isascii() and login.isprintable() and ":" not in login):
            raise ConfigError(
                f"source {self.source!r} field login: the platform's auth needs the source's login (the key or "
                "user name paired with the secret) as printable ASCII without ':'; set 'login' in the source "
                "entry or the Airflow connection"
            )
        token = self._token
        if token.isascii() and token.isprintable() and token == token.strip():
            return
        raise ConfigError(
            f"source {self.source!r} field credentials: the token in {self._config.credential_origin()} has "
            "leading or trailing spaces, a line break or non-ASCII characters (a trailing newline, typographic "
            "quotes?); set it to the bare token"
        )

    def platform_error(self, label: str, status: int | None, message: str) -> PlatformError:
        """A final refusal carrying the platform's own words."""
        message = self.scrub(message)
        where = f"HTTP {status}" if status is not None else "error"
        return PlatformError(
            self.source,
            f"source {self.source!r}: {label} failed with {where}: {message}",
            status=status,
            platform_message=message,
        )

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json_body: Any,
        label: str,
        check: BodyCheck | None,
        bucket: TokenBucket | None,
    ) -> Reply:
        limiters = [limiter for limiter in (self._bucket, bucket) if limiter is not None]
        for limiter in limiters:
            limiter.acquire()
        metrics, started = current_metrics(), time.monotonic()
        response: requests.Response | None = None
        try:
            response = self._session.request(
                method,
                self._base_url + path,
                params=params,
                json=json_body,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            if metrics is not None:
                metrics.request(label, "timeout", time.monotonic() - started)
            raise Transient(f"no answer within {self._timeout:g} s") from None
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            if metrics is not None:
                metrics.request(label, "connection", time.monotonic() - started)
            if _unknown_host(exc):
                raise ConfigError(
                    f"source {self.source!r} field base_url: the host {urlsplit(self._base_url).hostname!r} does "
                    "not exist (DNS has no such name); correct base_url in the sources file"
                ) from None
            raise Transient(f"connection failed: {_describe(exc)}") from None
        finally:
            self._answered(limiters, response)
        status = response.status_code
        if metrics is not None:
            metrics.request(label, str(status), time.monotonic() - started)
        if status in RETRY_STATUSES:
            self._back_off(label, status, _retry_after(response.headers), bucket)
        if status in (401, 403):
            raise self.auth_error(f"HTTP {status}: {_platform_message(response)}")
        if not 200 <= status < 300:
            raise self.platform_error(label, status, _platform_message(response))
        try:
            body = response.json()
        except ValueError:
            raise Transient(
                f"HTTP {status} with a truncated or invalid JSON body ({len(response.content)} bytes)"
            ) from None
        if check is not None:
            check(body)
        return Reply(status, response.headers, body)

    def _answered(self, limiters: list[TokenBucket], response: requests.Response | None) -> None:
        """Tell the buckets the request ended; the source's learns the platform's own count."""
        usage = self._usage.read(response.headers) if self._usage and response is not None else None
        for limiter in limiters:
            limiter.answered(usage if limiter is self._bucket else None)

    def _back_off(self, label: str, status: int, retry_after: float | None, bucket: TokenBucket | None) -> None:
        """Turn a 429/5xx into a retry, or into DeferSync when the asked pause is too long."""
        if retry_after is not None and retry_after > self._policy.defer_over:
            raise DeferSync(
                self.source,
                f"source {self.source!r}: {label} answered HTTP {status} asking to wait {retry_after:g} s, "
                f"more than the {self._policy.defer_over:g} s cap; defer this sync and resume from "
                "its last checkpoint",
                retry_after=retry_after,
            )
        for limiter in (self._bucket, bucket):
            if retry_after and limiter is not None:
                limiter.hold(retry_after)
        raise Transient(f"HTTP {status}", retry_after)

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter, but never shorter than the platform asked for."""
        policy = self._policy
        backoff = wait_exponential_jitter(initial=policy.initial_wait, max=policy.max_wait, jitter=policy.initial_wait)(
            state
        )
        error = state.outcome.exception() if state.outcome else None
        asked = error.retry_after if isinstance(error, Transient) and error.retry_after else 0.0
        return max(backoff, asked)

    def _log_retry(self, label: str, state: RetryCallState) -> None:
        metrics = current_metrics()
        if metrics is not None:
            metrics.retry(label)
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "source %s: %s failed (%s), attempt %d of %d; retrying in %.2f s",
            self.source,
            label,
            self.scrub(str(error)),
            state.attempt_number,
            self._policy.attempts,
            wait,
        )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the platform asked us to wait (`Retry-After` as seconds or HTTP date, `x-retry-after`)."""
    for name in RETRY_AFTER_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                continue
    return None


def _platform_message(response: requests.Response) -> str:
    """The platform's own error words on one line: Shopify `errors`, ShipBob `message`, JSON-RPC
    `error.data.message`, Frappe `exc_type` with its `_server_messages` or `exception`."""
    try:
        body = response.json()
    except ValueError:
        return _one_line(response.text.strip()[:300] or response.reason or "no message")
    if isinstance(body, dict):
        frappe = _frappe_message(body)
        if frappe:
            return _one_line(frappe)
        error = body.get("error")
        if isinstance(error, dict):
            error = (error.get("data") or {}).get("message") or error.get("message")
        for value in (body.get("errors"), body.get("message"), error):
            if value:
                return _one_line(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return _one_line(json.dumps(body, ensure_ascii=False)[:300])


def _frappe_message(body: dict[str, Any]) -> str | None:
    """Frappe's error body: `_server_messages` is a JSON list of JSON objects with a `message`; `exception`
    is `module.ExcType: text`. The traceback in `exc` is never shown."""
    kind = body.get("exc_type")
    messages: list[str] = []
    try:
        for item in json.loads(body.get("_server_messages") or "[]"):
            message = json.loads(item).get("message") if isinstance(item, str) else None
            if message:
                messages.append(str(message))
    except (TypeError, ValueError, AttributeError):
        messages = []
    exception = body.get("exception")
    text = "; ".join(messages) or (str(exception).split(": ", 1)[-1] if exception else "")
    if not kind and not text:
        return None
    return f"{kind}: {text}" if kind and text else str(kind or text)


def _one_line(text: str) -> str:
    """Markup and line breaks out, so a platform's message fits one log and error line."""
    return " ".join(re.sub(r"<[^>]{0,200}>", "", text).split())[:500] or "no message"


def _unknown_host(exc: BaseException) -> bool:
    """DNS said the name does not exist (EAI_NONAME): a typo in the configuration, not an outage.

    A failing or unreachable resolver (EAI_AGAIN) stays transient.
    """
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, socket.gaierror) and current.errno == socket.EAI_NONAME:
            return True
        reason = getattr(current, "reason", None)
        stack += [current.__cause__, current.__context__, reason if isinstance(reason, BaseException) else None]
        stack += [arg for arg in current.args if isinstance(arg, BaseException)]
    return False


def _describe(exc: BaseException) -> str:
    """Name a requests failure by its exception types only: requests' text embeds the URL."""
    names: list[str] = []
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if type(current).__name__ not in names:
            names.append(type(current).__name__)
        pending.extend(
            inner
            for inner in (*current.args, current.__cause__, current.__context__)
            if isinstance(inner, BaseException)
        )
    return " / ".join(names)
