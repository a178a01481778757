"""Client-side throttling: one token bucket per credential, shared by every client in the process.

Platforms count requests per credential, not per client object, so two syncs of the same
shop in one worker must share one budget. The registry key is a hash of source name and
token: the token itself is never stored as a key or shown anywhere.

Where the platform reports its own count (Shopify's `X-Shopify-Shop-Api-Call-Limit: 32/40`), every
answer caps the local bucket at what the platform has left, so calls made elsewhere with the same
credential, or a burst that outran the platform's leak, never end in a 429.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RateLimit(BaseModel):
    """`requests` per `per_seconds` on average, `burst` at once: a source's or one endpoint's budget."""

    model_config = ConfigDict(extra="forbid")

    requests: float = Field(gt=0)
    per_seconds: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)


class UsageHeader(BaseModel):
    """A response header in which the platform reports how much of the credential's budget is used."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    format: Literal["used/size"] = "used/size"
    """`used/size`: calls in the platform's bucket and its size (Shopify `32/40`)."""

    def read(self, headers: Mapping[str, str]) -> tuple[int, int] | None:
        """(used, size) from a response's headers; None when absent or not in the declared format."""
        used, slash, size = (headers.get(self.name) or "").partition("/")
        try:
            return (int(used), int(size)) if slash else None
        except ValueError:
            return None


class TokenBucket:
    """Allows `burst` requests at once, then `requests` per `per_seconds` on average."""

    def __init__(self, limit: RateLimit) -> None:
        self._rate = limit.requests / limit.per_seconds
        self._capacity = float(limit.burst)
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._hold_until = 0.0
        self._in_flight = 0
        self._probing = False
        self._heard = False
        self._changed = threading.Condition(threading.Lock())

    def expect_usage(self) -> None:
        """The platform reports its own count: until the first answer, one request at a time.

        Another process may have spent the budget already; only the first answer says how much.
        """
        with self._changed:
            self._probing = not self._heard

    def acquire(self) -> None:
        """Block until a request may be sent; every acquire is followed by one `answered`."""
        with self._changed:
            while True:
                now = time.monotonic()
                self._refill(now)
                wait: float | None
                if self._hold_until > now:
                    wait = self._hold_until - now
                elif self._probing and self._in_flight:
                    wait = None  # until the probe's answer
                elif self._tokens >= 1:
                    self._tokens -= 1
                    self._in_flight += 1
                    return
                else:
                    wait = (1 - self._tokens) / self._rate
                self._changed.wait(wait)

    def answered(self, usage: tuple[int, int] | None = None) -> None:
        """A request let go has ended; `usage` is the platform's (used, size) from its answer, if any.

        The bucket then takes the platform's size and holds no more than the platform has left,
        counting requests still in flight as already used (some may be: a safe overestimate).
        A count only ever lowers the bucket, so a stale answer arriving late cannot cause a burst.
        """
        with self._changed:
            self._in_flight = max(0, self._in_flight - 1)
            self._heard, self._probing = True, False
            if usage is not None and usage[1] > 0:
                used, size = usage
                self._refill(time.monotonic())
                if size != self._capacity:
                    self._tokens += size - self._capacity
                    self._capacity = float(size)
                self._tokens = min(self._tokens, float(size - used - self._in_flight))
            self._changed.notify_all()

    def hold(self, seconds: float) -> None:
        """Stop everyone using this credential for `seconds`, after the platform said to back off."""
        with self._changed:
            self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def _refill(self, now: float) -> None:
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now


_buckets: dict[str, TokenBucket] = {}
_registry_lock = threading.Lock()


def bucket_for(source: str, token: str, limit: RateLimit, scope: str = "") -> TokenBucket:
    """The process-wide bucket of this credential (of one endpoint, `scope`, when given), created on first use."""
    scoped = f"{source}\0{token}" + (f"\0{scope}" if scope else "")
    key = hashlib.sha256(scoped.encode()).hexdigest()
    with _registry_lock:
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = _buckets[key] = TokenBucket(limit)
        return bucket
