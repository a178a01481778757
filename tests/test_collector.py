"""Bulk reads hold the garbage collector off and syncs set their warm objects aside; both hand it back as found."""

from __future__ import annotations

import gc
import threading
import weakref

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


@pytest.fixture()
def _thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("_thawed")
def test_a_settled_block_sets_what_is_held_aside_and_hands_it_back_at_its_end():
    held = [object() for _ in range(10)]
    with collector.steady() as settle:
        assert gc.get_freeze_count() == 0, "nothing is set aside before the holder says it is warm"
        settle()
        frozen = gc.get_freeze_count()
        assert frozen >= len(held)
        settle()  # only the first call freezes: later batches' objects stay collectable
        assert gc.get_freeze_count() <= frozen  # (another thread may free a frozen object meanwhile)
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("_thawed")
def test_a_block_that_never_settled_leaves_an_earlier_freeze_alone():
    gc.freeze()
    before = gc.get_freeze_count()
    with collector.steady():
        pass
    assert 0 < gc.get_freeze_count() <= before  # still frozen (another thread may free a frozen object meanwhile)


@pytest.mark.usefixtures("_thawed")
def test_frozen_objects_go_back_only_when_the_last_holder_leaves():
    both_in, first_left = threading.Barrier(2), threading.Event()
    seen: dict[str, int] = {}

    def first():
        with collector.steady() as settle:
            both_in.wait(timeout=10)
            settle()
        first_left.set()

    def second():
        with collector.steady():
            both_in.wait(timeout=10)
            first_left.wait(timeout=10)
            seen["after_first"] = gc.get_freeze_count()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert seen["after_first"] > 0, "the other holder is still running"
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("_thawed")
def test_cycles_set_aside_are_freed_once_handed_back():
    class Node:
        pass

    with collector.steady() as settle:
        node = Node()
        node.me = node
        ref = weakref.ref(node)
        settle()
        del node
        gc.collect()
        assert ref() is not None, "a frozen cycle is out of the collector's reach"
    gc.collect()
    assert ref() is None


def test_a_steady_block_collects_the_young_generation_less_often_and_puts_the_thresholds_back():
    before = gc.get_threshold()
    with collector.steady() as settle:
        assert gc.get_threshold() == (collector.SETTLED_YOUNG, *before[1:])
        with collector.steady():
            pass
        assert gc.get_threshold()[0] == collector.SETTLED_YOUNG, "the outer holder is still running"
        settle()
    assert gc.get_threshold() == before


@pytest.mark.usefixtures("_thawed")
def test_cycles_a_steady_block_drops_are_still_collected_without_being_asked():
    class Node:
        pass

    gc.enable()
    with collector.steady() as settle:
        settle()
        node = Node()
        node.me = node
        ref = weakref.ref(node)
        del node
        keep = [[] for _ in range(3 * collector.SETTLED_YOUNG)]  # new tracked objects trigger young collections
        assert ref() is None
        del keep
