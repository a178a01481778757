"""Bulk work holds the garbage collector paused or spaced out, and hands it back exactly as found."""

from __future__ import annotations

import gc
import threading

import pytest

from data_dictionary import collector


@pytest.fixture(autouse=True)
def _restore_collector():
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


@pytest.mark.parametrize("enabled", [True, False])
def test_a_spaced_run_collects_less_often_and_restores_the_setting(enabled):
    gc.set_threshold(700, 10, 10)
    (gc.enable if enabled else gc.disable)()
    with collector.spaced():
        assert gc.get_threshold() == (collector.SPACED_YOUNG, 10, 10)
        assert gc.isenabled() is enabled, "spacing never turns on a collector someone turned off"
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.isenabled() is enabled


def test_a_pause_wins_over_spacing_until_it_ends():
    gc.set_threshold(700, 10, 10)
    gc.enable()
    with collector.spaced():
        with collector.paused():
            assert not gc.isenabled()
        assert gc.isenabled() and gc.get_threshold()[0] == collector.SPACED_YOUNG
    assert gc.isenabled() and gc.get_threshold() == (700, 10, 10)


def test_threads_hand_the_collector_back_once_the_last_one_leaves():
    gc.set_threshold(700, 10, 10)
    gc.enable()
    entered, leave_first = threading.Barrier(3), threading.Event()
    seen: dict[str, object] = {}

    def sync_run():
        with collector.spaced():
            entered.wait(timeout=10)
            leave_first.wait(timeout=10)

    def report():
        with collector.paused():
            entered.wait(timeout=10)
            leave_first.set()
        seen["after_report"] = (gc.isenabled(), gc.get_threshold()[0])

    threads = [threading.Thread(target=sync_run), threading.Thread(target=report)]
    for t in threads:
        t.start()
    entered.wait(timeout=10)
    seen["inside"] = gc.isenabled()
    for t in threads:
        t.join(timeout=10)
    assert seen["inside"] is False, "a report was building: paused"
    assert seen["after_report"] in ((True, collector.SPACED_YOUNG), (True, 700)), "the pause ended with the report"
    assert gc.isenabled() and gc.get_threshold() == (700, 10, 10)


def test_an_error_inside_still_hands_the_collector_back():
    gc.set_threshold(700, 10, 10)
    gc.enable()
    with pytest.raises(RuntimeError), collector.spaced(), collector.paused():
        raise RuntimeError("boom")
    assert gc.isenabled() and gc.get_threshold() == (700, 10, 10)
