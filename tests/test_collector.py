"""Bulk reads hold the garbage collector off, and hand it back exactly as found."""

from __future__ import annotations

import gc
import threading

import pytest

from data_dictionary import collector


@pytest.fixture(autouse=True)
def _restore_collector():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


@pytest.mark.parametrize("enabled", [True, False])
def test_a_pause_hands_the_collector_back_as_found(enabled):
    (gc.enable if enabled else gc.disable)()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled


def test_threads_hand_the_collector_back_once_the_last_one_leaves():
    gc.enable()
    entered, first_done = threading.Barrier(3), threading.Event()
    seen: dict[str, bool] = {}

    def first():
        with collector.paused():
            entered.wait(timeout=10)
        first_done.set()

    def second():
        with collector.paused():
            entered.wait(timeout=10)
            first_done.wait(timeout=10)
            seen["after_first"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    entered.wait(timeout=10)
    for t in threads:
        t.join(timeout=10)
    assert seen["after_first"] is False, "the other holder still builds"
    assert gc.isenabled()


def test_an_error_inside_still_hands_the_collector_back():
    gc.enable()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
