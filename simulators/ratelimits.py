"""The two rate-limit shapes our platforms use, thread safe and driven by time.monotonic()."""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class LeakyBucket:
    """Shopify REST: a bucket of `size` calls that leaks `leak_per_second`; a full bucket refuses."""

    def __init__(self, size: int = 40, leak_per_second: float = 2.0) -> None:
        self.size = size
        self.leak = leak_per_second
        self.level = 0.0
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def admit(self, now: float) -> tuple[bool, int]:
        """Add one call if there is room; (admitted, calls now in the bucket)."""
        with self.lock:
            self.level = max(0.0, self.level - (now - self.updated) * self.leak)
            self.updated = now
            if self.level + 1 > self.size:
                return False, math.ceil(self.level)
            self.level += 1
            return True, math.ceil(self.level)


class SlidingWindow:
    """ShipBob: at most `limit` requests in any `window` seconds."""

    def __init__(self, limit: int = 150, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self.times: deque[float] = deque()
        self.lock = threading.Lock()

    def admit(self, now: float) -> tuple[bool, int]:
        """(admitted, whole seconds until the next request would be admitted)."""
        with self.lock:
            while self.times and self.times[0] <= now - self.window:
                self.times.popleft()
            if len(self.times) >= self.limit:
                return False, max(1, math.ceil(self.times[0] + self.window - now))
            self.times.append(now)
            return True, 0
