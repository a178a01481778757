"""Python's cyclic garbage collector, kept off work that cannot give it anything back.

Left on, the collector rescans a growing report again and again: the widest recall builds some
45,000 deliveries, none of them in a reference cycle, and the collector took a third of its
time. `paused()` holds it off such a build.

A sync is the other case: every full collection walked the objects GX, pandas, SQLAlchemy and
the compiled mappings keep for the whole run, some 150,000 of them, to free a few thousand of the
batch's, and took a fifth of the sync. `steady()` lets the sync set what it holds once warm aside
(`gc.freeze`), so collections walk only what the batches make. Meanwhile it collects the young
generation every 50,000 new objects instead of every 700: a batch makes a few million objects that
live as long as the batch and die by reference counting, and at 700 the collector ran 2,400 times
per 100,000 lines, moved each batch into the old generation and rescanned it there in full
collections, 13% of the sync. Cycles are still found: young ones at the next pass, older ones by
the middle and full passes, whose thresholds stay as they were.

Both are process-wide and thread safe: the collector's state is taken when the first holder
arrives and put back when the last one, of any thread, leaves.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False
_steady = 0
_froze = False
_thresholds: list[int] = []
"""The thresholds found when the first steady holder arrived; filled in place, as rebinding would free
an object that a freeze made before may hold."""
SETTLED_YOUNG = 50_000
"""Young-generation threshold while a settled block runs (Python's default is 700)."""


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while the block runs (reference counting still frees what it can)."""
    global _holders, _was_enabled
    with _lock:
        if not _holders:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if not _holders and _was_enabled:
                gc.enable()


@contextmanager
def steady() -> Iterator[Callable[[], None]]:
    """Yields `settle`: call it once the long-lived objects are built; the block's end hands them back.

    While the block runs, the young generation is collected every `SETTLED_YOUNG` new objects.
    The first `settle` moves every object the process holds at that moment out of the collector's
    reach (`gc.freeze`); newer objects are collected as usual. When the last holder leaves, the
    thresholds are put back and the frozen objects go back to the collector (`gc.unfreeze`, which
    also undoes a freeze made before the block), so cycles among them are still freed and a long
    process piles nothing up.
    """
    global _steady, _froze
    with _lock:
        if not _steady:
            _thresholds[:] = gc.get_threshold()
            gc.set_threshold(SETTLED_YOUNG, *_thresholds[1:])
        _steady += 1
    settled = False

    def settle() -> None:
        global _froze
        nonlocal settled
        if not settled:
            settled = True
            with _lock:
                _froze = True
                gc.freeze()

    try:
        yield settle
    finally:
        with _lock:
            _steady -= 1
            if not _steady:
                gc.set_threshold(*_thresholds)
                if _froze:
                    _froze = False
                    gc.unfreeze()
