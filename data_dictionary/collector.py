"""How Python's cyclic garbage collector runs while bulk work builds many objects.

Left as it is, the collector looks at young objects every 700 allocations and, as a batch's
records and a report's rows live long enough to grow the old generation, rescans the whole heap
again and again: a third of the widest recall, and a sixth of a sync, went to it. Bulk work holds
one of two settings for its duration, process-wide and thread safe:

- `paused()`: no collection at all, for work that builds no reference cycles (a recall report);
- `spaced()`: young collections every `SPACED_YOUNG` allocations, for work that makes some cyclic
  garbage (GX's per-batch context) but mostly long-lived acyclic records (a sync).

The collector's own setting is taken when the first holder arrives and put back when the last
one, of any thread, leaves; while any holder pauses it, it stays paused.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SPACED_YOUNG = 50_000
"""Allocations between young collections while spaced: cyclic garbage stays bounded (tens of MB)
while a batch's records stop triggering collection after collection."""

_lock = threading.Lock()
_holders = {"paused": 0, "spaced": 0}
_saved: tuple[bool, tuple[int, int, int]] | None = None


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while the block runs (reference counting still frees what it can)."""
    with _holding("paused"):
        yield


@contextmanager
def spaced() -> Iterator[None]:
    """Young collections every `SPACED_YOUNG` allocations while the block runs."""
    with _holding("spaced"):
        yield


@contextmanager
def _holding(kind: str) -> Iterator[None]:
    global _saved
    with _lock:
        if _saved is None:
            _saved = (gc.isenabled(), gc.get_threshold())
        saved = _saved
        _holders[kind] += 1
        _apply(saved)
    try:
        yield
    finally:
        with _lock:
            _holders[kind] -= 1
            _apply(saved)
            if not any(_holders.values()):
                _saved = None


def _apply(saved: tuple[bool, tuple[int, int, int]]) -> None:
    """The setting the holders ask for; the saved one when none is left."""
    enabled, (young, middle, old) = saved
    gc.set_threshold(SPACED_YOUNG if _holders["spaced"] else young, middle, old)
    if enabled and not _holders["paused"]:
        gc.enable()
    else:
        gc.disable()
