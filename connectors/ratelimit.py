"""Client-side throttling: one token bucket per credential, shared by every client in the process.

Platforms count requests per credential, not per client object, so two syncs of the same
shop in one worker must share one budget. The registry key is a hash of source name and
token: the token itself is never stored as a key or shown anywhere.
"""

from __future__ import annotations

import hashlib
import threading
import time

from pydantic import BaseModel, ConfigDict, Field


class RateLimit(BaseModel):
    """`requests` per `per_seconds` on average, `burst` at once: a source's or one endpoint's budget."""

    model_config = ConfigDict(extra="forbid")

    requests: float = Field(gt=0)
    per_seconds: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)


class TokenBucket:
    """Allows `burst` requests at once, then `requests` per `per_seconds` on average."""

    def __init__(self, limit: RateLimit) -> None:
        self._rate = limit.requests / limit.per_seconds
        self._capacity = float(limit.burst)
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._hold_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until a request may be sent."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                wait = self._hold_until - now
                if wait <= 0:
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    wait = (1 - self._tokens) / self._rate
            time.sleep(wait)

    def hold(self, seconds: float) -> None:
        """Stop everyone using this credential for `seconds`, after the platform said to back off."""
        with self._lock:
            self._hold_until = max(self._hold_until, time.monotonic() + seconds)


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
