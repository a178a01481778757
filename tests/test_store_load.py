"""The loader's promises (architecture rules 1-3): land once, newer wins, all or nothing, counts add up."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from data_dictionary.models import Record
from trace_store import schema, sql
from trace_store.coltypes import UtcDateTime
from trace_store.errors import ConservationError, StaleRunError
from trace_store.queries import dump, export
from trace_store.store import Store


def _count(store: Store, table: sa.Table) -> int:
    with store.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _run(store: Store, run_id: int) -> sa.Row:
    with store.connect() as conn:
        return conn.execute(sa.select(schema.sync_run).where(schema.sync_run.c.run_id == run_id)).one()


def test_a_batch_lands(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    ships = [make.shipment("S1", [make.line(1), make.line(2, qty=3)]), make.shipment("S2", [make.line(1)])]
    batch = make.batch(run, ships, cursor=make.T0, unchanged=4)
    counts = store.commit_batch(batch)
    store.finish_run(run)

    assert counts["written"] == 2
    assert _count(store, schema.raw_version) == 2
    assert _count(store, schema.shipment_line) == 3
    assert _count(store, schema.trace_edge) == 3
    assert store.cursor("shipbob", "shipment") == make.T0
    landed = {r.external_id: r for r in batch.landed}
    pulled = {"S1": "a key", "S2": "another key", "nope": "never stored"}
    same, hashes = store.stored_versions("shipbob", "shipment", pulled)  # landed with no key: by content only
    assert same == set() and hashes == {"S1": landed["S1"].content_hash, "S2": landed["S2"].content_hash}
    assert store.held_times("shipbob", "shipment", ["S2", "nope"]) == {"S2": landed["S2"].updated_at}
    s1 = next(export(store, "shipment"))
    assert s1["raw_external_id"] == "S1" and s1["raw_content_hash"] == landed["S1"].content_hash
    assert [line["qty"] for line in s1["lines"]] == ["1", "3"]
    finished = _run(store, run)
    assert (finished.status, finished.pulled, finished.unchanged, finished.loaded) == ("success", 6, 4, 2)


def test_relanding_the_same_batch_changes_nothing(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    batch = make.batch(
        run,
        [make.shipment("S1", [make.line(1), make.line(2)])],
        quarantined=[("S9", make.T0, [])],
        cursor=make.T0,
    )
    store.commit_batch(batch)
    before = dump(store)
    store.commit_batch(batch)
    assert dump(store) == before
    assert _count(store, schema.raw_version) == 2


def test_newer_wins_and_older_never_overwrites(store: Store, make) -> None:
    t1, t2 = make.T0, make.T0 + timedelta(hours=1)
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(make.batch(run, [make.shipment("S1", [make.line(1, lot="NEW")], updated=t2, to="New")]))
    store.commit_batch(
        make.batch(run, [make.shipment("S1", [make.line(1, lot="OLD"), make.line(2)], updated=t1, to="Old")])
    )

    (s1,) = export(store, "shipment")
    assert s1["ship_to_name"] == "New"
    assert [line["lot"] for line in s1["lines"]] == ["NEW"]
    with store.connect() as conn:
        assert conn.execute(sa.select(schema.trace_edge.c.lot)).scalars().all() == ["NEW"]
        current = conn.execute(sa.select(schema.raw_current.c.source_updated_at)).scalar_one()
    assert current == t2
    assert _count(store, schema.raw_version) == 2, "the older version is still history"


def test_newest_of_one_key_within_a_batch_wins(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    late = make.shipment("S1", [make.line(1)], updated=make.T0 + timedelta(minutes=5), to="Late")
    early = make.shipment("S1", [make.line(1)], to="Early")
    store.commit_batch(make.batch(run, [late, early]))
    assert [s["ship_to_name"] for s in export(store, "shipment")] == ["Late"]


def test_lines_are_replaced_on_update(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(
        make.batch(
            run,
            [
                make.shipment("S1", [make.line(1), make.line(2), make.line(3)]),
                make.shipment("S2", [make.line(1), make.line(2)]),
            ],
        )
    )
    newer = make.shipment("S1", [make.line(1, qty=7)], updated=make.T0 + timedelta(days=1))
    store.commit_batch(make.batch(run, [newer]))

    by_id = {s["shipment_id"]: s for s in export(store, "shipment")}
    assert [(line["line_no"], line["qty"]) for line in by_id["S1"]["lines"]] == [(1, "7")]
    assert len(by_id["S2"]["lines"]) == 2, "lines of headers not written are untouched"
    assert _count(store, schema.trace_edge) == 3


def test_cursor_never_goes_backwards(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    later = make.T0 + timedelta(days=2)
    store.commit_batch(make.batch(run, [], cursor=later))
    store.commit_batch(make.batch(run, [], cursor=make.T0))
    assert store.cursor("shipbob", "shipment") == later
    store.commit_batch(make.batch(run, []))
    assert store.cursor("shipbob", "shipment") == later
    assert store.cursor("shipbob", "order") is None


def test_a_new_run_abandons_running_ones(store: Store, make) -> None:
    killed = store.begin_run("shipbob", "shipment")
    other = store.begin_run("shopify", "order")
    current = store.begin_run("shipbob", "shipment")
    assert _run(store, killed).status == "abandoned"
    assert _run(store, other).status == "running"
    assert _run(store, current).status == "running"
    with pytest.raises(StaleRunError, match=f"run {killed}"):
        store.commit_batch(make.batch(killed, [make.shipment("S1", [make.line(1)])]))
    assert _count(store, schema.shipment) == 0


def test_counts_that_do_not_add_up_fail_the_run(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    batch = make.batch(run, [make.shipment("S1", [make.line(1)])], unchanged=2)
    batch.pulled += 1  # one record pulled and then lost
    store.commit_batch(batch)
    with pytest.raises(ConservationError, match=r"pulled=4 .* unchanged=2 \+ loaded=1 \+ quarantined=0 = 3"):
        store.finish_run(run)
    failed = _run(store, run)
    assert failed.status == "failed" and "does not add up" in failed.error


def test_finish_run_with_error_marks_failed(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    store.finish_run(run, error="HTTP 401 from ShipBob")
    assert (_run(store, run).status, _run(store, run).error) == ("failed", "HTTP 401 from ShipBob")


def test_a_failure_mid_batch_rolls_back_everything(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(make.batch(run, [make.shipment("S1", [make.line(1)])], cursor=make.T0))
    before, run_before = dump(store), _run(store, run)
    later = make.T0 + timedelta(days=1)
    good = make.shipment("S2", [make.line(1)], updated=later)
    bad = make.shipment("S3", [make.line(1), make.line(1)], updated=later)  # duplicate line number
    with pytest.raises(sa.exc.IntegrityError):
        store.commit_batch(make.batch(run, [good, bad], quarantined=[("S4", later, [])], cursor=later))
    assert dump(store) == before
    assert store.cursor("shipbob", "shipment") == make.T0
    assert _run(store, run) == run_before
    assert _count(store, schema.audit_log) == 1


def test_stored_versions_in_chunks(store: Store, make) -> None:
    run = store.begin_run("erp", "device")
    batch = make.batch(run, [], source="erp", entity="device")
    batch.landed = [dataclasses.replace(make.raw(f"D{i}", make.T0, {"i": i}), pulled_key=f"k{i}") for i in range(2500)]
    batch.pulled = batch.loaded = 2500
    store.commit_batch(batch)
    pulled = {f"D{i}": f"k{i}" if i % 4 else "changed" for i in range(0, 3000, 2)}
    same, hashes = store.stored_versions("erp", "device", pulled)
    assert len(same) == 625 and "D2" in same and "D2500" not in same
    assert len(hashes) == 625 and hashes["D4"] == batch.landed[4].content_hash
    held = store.held_times("erp", "device", sorted(hashes))
    assert len(held) == 625 and held["D4"] == make.T0


def test_record_raw_ids_link_records_to_their_raw_record(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    raw = make.raw("ORDER-77", make.T0, {"id": "ORDER-77", "shipments": [1, 2]})
    batch = make.batch(run, [make.shipment("S1", [make.line(1)]), make.shipment("S2", [make.line(1)])])
    batch.landed, batch.pulled, batch.loaded = [raw], 1, 1
    batch.record_raw_ids = ["ORDER-77", "ORDER-77"]
    store.commit_batch(batch)
    rows = list(export(store, "shipment"))
    assert {(r["raw_external_id"], r["raw_content_hash"]) for r in rows} == {("ORDER-77", raw.content_hash)}


def test_batch_records_give_produced_from_edges(store: Store, make) -> None:
    from data_dictionary.models import BatchInput, BatchRecord

    record = BatchRecord(
        source="erpnext",
        source_updated_at=make.T0,
        record_id="B-1",
        production_order="MO-1",
        output_gtin="09506000134352",
        output_lot="L1",
        output_qty=Decimal("100"),
        inputs=(
            BatchInput(gtin="09506000134369", lot="RAW-9", qty=Decimal("2.5")),
            BatchInput(gtin="09506000134376", qty=Decimal("1")),
        ),
    )
    run = store.begin_run("erpnext", "batch_record")
    store.commit_batch(make.batch(run, [record], source="erpnext", entity="batch_record"))
    e = schema.trace_edge.c
    with store.connect() as conn:
        edges = conn.execute(sa.select(e.gtin, e.lot, e.qty, e.output_lot, e.confidence).order_by(e.line_no)).all()
    assert [tuple(x) for x in edges] == [
        ("09506000134369", "RAW-9", Decimal("2.5"), "L1", "recorded"),
        ("09506000134376", None, Decimal("1"), "L1", "inferred"),
    ]
    (exported,) = export(store, "batch_record")
    assert [i["line_no"] for i in exported["inputs"]] == [1, 2]


def test_later_batches_compile_no_new_sql(store: Store, make, caplog: pytest.LogCaptureFixture) -> None:
    """Every batch of one shape runs the statements the first compiled: the engine's compiled cache
    neither misses nor grows batch after batch (a staged upsert once made a new statement each time)."""
    run = store.begin_run("shipbob", "shipment")

    def ships(n: int) -> list[Record]:  # new shipments, and from the second batch on a newer S1-0
        again = [make.shipment("S1-0", [make.line(1)], updated=make.T0 + timedelta(minutes=n))] if n > 1 else []
        return [make.shipment(f"S{n}-{i}", [make.line(1), make.line(2, lot=f"L{i}")]) for i in range(3)] + again

    for n in range(1, 3):
        store.commit_batch(make.batch(run, ships(n), cursor=make.T0))
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine.Engine"):
        store.commit_batch(make.batch(run, ships(3), cursor=make.T0))
    compiled = [r.getMessage() for r in caplog.records if "[generated in" in r.getMessage()]
    assert [r for r in caplog.records if "[cached since" in r.getMessage()], "the engine logged its statements"
    assert compiled == []


def test_a_key_another_transaction_inserts_meanwhile_is_upserted(store: Store, make) -> None:
    """Rows with keys the table does not hold are inserted straight in; when another transaction inserts
    one of those keys after the check, the insert is undone and the row takes the upsert's way."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write transactions begin IMMEDIATE: no other writer can come in between")
    from trace_store.sql import upsert

    def row(external_id: str, content_hash: str, minutes: int) -> dict[str, object]:
        updated = make.T0 + timedelta(minutes=minutes)
        return {
            "source": "shop",
            "entity": "order",
            "external_id": external_id,
            "content_hash": content_hash,
            "source_updated_at": updated,
            "status": "loaded",
        }

    key, update = ("source", "entity", "external_id"), ("content_hash", "source_updated_at", "status")
    written: list[set[tuple[object, ...]]] = []
    with store.engine.connect() as first:
        first.begin()
        upsert(first, schema.raw_current, [row("A", "first", 1)], key, update, newer_only=True)

        def second() -> None:
            with store.engine.begin() as conn:
                rows = [row("A", "second", 2), row("B", "second", 2)]
                written.append(upsert(conn, schema.raw_current, rows, key, update, newer_only=True, returning=True))

        loader = threading.Thread(target=second)
        loader.start()
        waiting = sa.text("select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = :db")
        with store.engine.connect() as watch:
            for _ in range(600):  # until the second COPY waits on the first's uncommitted key
                if watch.execute(waiting, {"db": store.engine.url.database}).scalar_one() or not loader.is_alive():
                    break
                time.sleep(0.05)
        first.commit()
        loader.join()

    assert written == [{("shop", "order", "A"), ("shop", "order", "B")}]
    with store.connect() as conn:
        stored = conn.execute(sa.select(schema.raw_current.c.external_id, schema.raw_current.c.content_hash)).all()
    assert sorted(stored) == [("A", "second"), ("B", "second")]


def test_lots_of_few_devices_upsert_newer_wins_whether_held_or_new(store: Store, make) -> None:
    """Many lots of few GTINs: the held ones are asked by (gtin, lot) pairs, the new ones copied in."""
    from trace_store.sql import upsert

    def lot(gtin: str, number: str, minutes: int, status: str) -> dict[str, object]:
        at = make.T0 + timedelta(minutes=minutes)
        return {"gtin": gtin, "lot": number, "source": "erp", "qc_status": status, "source_updated_at": at}

    gtins, update = ("09506000134352", "00614141000012"), ("source", "qc_status", "source_updated_at")
    first = [lot(g, f"L{n}", 0, "released") for g in gtins for n in range(1, 4)]
    second = [lot(g, f"L{n}", 5, "blocked") for g in gtins for n in range(2, 6)]
    second.append(lot(gtins[0], "L1", -5, "older"))  # older than what is held: not written
    with store.engine.begin() as conn:
        upsert(conn, schema.lot, first, ("gtin", "lot"), update, newer_only=True, returning=True)
    with store.engine.begin() as conn:
        written = upsert(conn, schema.lot, second, ("gtin", "lot"), update, newer_only=True, returning=True)
    assert written == {(g, f"L{n}") for g in gtins for n in range(2, 6)}
    with store.connect() as conn:
        stored = set(conn.execute(sa.select(schema.lot.c.gtin, schema.lot.c.lot, schema.lot.c.qc_status)).all())
    blocked = {(g, f"L{n}", "blocked") for g in gtins for n in range(2, 6)}
    assert stored == {(g, "L1", "released") for g in gtins} | blocked


def test_a_time_written_in_bulk_is_stored_as_every_other_statement_stores_it(store: Store, make) -> None:
    """SQLite keeps times as text, compared as text: a whole second written in bulk without its
    fraction would sort before the same second written by any other statement."""
    probe = sa.Table(
        "time_probe", sa.MetaData(), sa.Column("id", sa.String, primary_key=True), sa.Column("at", UtcDateTime())
    )
    moment = make.T0.replace(microsecond=0)
    with store.transaction() as conn:
        probe.create(conn)
        conn.execute(probe.insert(), [{"id": "statement", "at": moment}])
        sql.bulk_insert(conn, probe, [{"id": "bulk", "at": moment}])
        sql.upsert(conn, probe, [{"id": "upsert", "at": moment}], key=["id"])
        sql.upsert(conn, probe, [{"id": "upsert returning", "at": moment}], key=["id"], returning=True)
    with store.connect() as conn:
        same = conn.execute(sa.select(probe.c.id).where(probe.c.at == moment).order_by(probe.c.id)).scalars().all()
        spellings = conn.execute(sa.select(sa.func.count(sa.distinct(sa.cast(probe.c.at, sa.Text))))).scalar_one()
    assert same == ["bulk", "statement", "upsert", "upsert returning"]
    assert spellings == 1


def test_every_column_the_store_has_is_copied_in_binary() -> None:
    """A column type binary COPY does not know sends its whole table back to text COPY, unseen."""
    from sqlalchemy.dialects import postgresql

    for table in schema.metadata.sorted_tables:
        assert sql.binary_copy_types(postgresql.dialect(), table.columns) is not None, table.name


def test_bulk_insert_stores_every_column_type_as_a_statement_does(store: Store, make) -> None:
    probe = sa.Table(
        "type_probe",
        sa.MetaData(),
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("n", sa.Integer),
        sa.Column("big", sa.BigInteger),
        sa.Column("flag", sa.Boolean),
        sa.Column("day", sa.Date),
        sa.Column("ratio", sa.Float),
        sa.Column("qty", sa.Numeric(18, 6)),
        sa.Column("note", sa.Text),
        sa.Column("doc", sa.JSON),
        sa.Column("at", UtcDateTime()),
    )
    values = {
        "n": 7,
        "big": 2**40,
        "flag": True,
        "day": make.T0.date(),
        "ratio": 0.25,
        "qty": Decimal("1.500001"),
        "note": "批号 L-1\t\\N",
        "doc": {"lot": "L-1", "名": ["é", 1.5, None]},
        "at": make.T0,
    }
    empty = dict.fromkeys(values)
    with store.transaction() as conn:
        probe.create(conn)
        conn.execute(probe.insert(), [{"id": "statement", **values}, {"id": "statement null", **empty}])
        sql.bulk_insert(conn, probe, [{"id": "bulk", **values}, {"id": "bulk null", **empty}])
    with store.connect() as conn:
        stored = {row.id: row._asdict() | {"id": None} for row in conn.execute(sa.select(probe))}
    assert stored["bulk"] == stored["statement"] == {"id": None, **values}
    assert stored["bulk null"] == stored["statement null"] == {"id": None, **empty}


TRICKY = ["plain", 'say "hi"', "back\\slash", "a,b", "{braces}", " padded ", "NULL", "", "批号", "tab\there", "e\u0301"]


def test_lists_of_any_text_find_exactly_their_rows(store: Store) -> None:
    """Platform ids go into one array parameter: quotes, commas, braces, NULL or control characters
    in them must neither break the statement nor match another row."""
    probe = sa.Table("list_probe", sa.MetaData(), sa.Column("a", sa.String), sa.Column("b", sa.String))
    rows = [{"a": a, "b": b} for a in TRICKY for b in TRICKY[:3]]
    with store.transaction() as conn:
        probe.create(conn)
        conn.execute(probe.insert(), [*rows, {"a": "other", "b": "other"}])
    with store.connect() as conn:
        for wanted in ([value] for value in TRICKY):
            found = conn.execute(sa.select(probe.c.a).where(sql.in_list(conn, probe.c.a, wanted))).scalars().all()
            assert found == wanted * 3, wanted
        listed = sql.values_table(conn, TRICKY)
        assert sorted(conn.execute(sa.select(listed.c.value)).scalars()) == sorted(TRICKY)
        pairs = [(a, b) for a in TRICKY[:4] for b in TRICKY[1:3]] + [("other", "plain")]
        found_pairs = conn.execute(
            sa.select(probe.c.a, probe.c.b).where(sql.pairs_in(conn, probe.c.a, probe.c.b, pairs))
        )
        assert sorted(found_pairs) == sorted(pairs[:-1])
        assert conn.execute(sa.select(probe.c.a).where(sql.in_list(conn, probe.c.a, []))).all() == []


def test_postgresql_sessions_run_in_utc_whatever_the_database_zone_keeping_the_url_options(pg_url: str) -> None:
    """Times come back in the zone they are stored in, as SQLite gives them, not in the server's."""
    url = sa.make_url(pg_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)  # sessions started after
    with admin.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE \"{url.database}\" SET timezone = 'Asia/Shanghai'")
    store = Store.open(url.update_query_dict({"options": "-c statement_timeout=12345"}))
    try:
        with store.connect() as conn:
            zone = conn.exec_driver_sql("SHOW timezone").scalar_one()
            timeout = conn.exec_driver_sql("SHOW statement_timeout").scalar_one()
            moment = conn.execute(sa.select(sa.cast(sa.literal("2024-05-01 16:00:00+08"), UtcDateTime()))).scalar_one()
        with admin.connect() as conn:
            elsewhere = conn.exec_driver_sql("SELECT now()").scalar_one().tzinfo
    finally:
        store.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{url.database}" RESET timezone')
        admin.dispose()
    assert (zone, timeout) == ("UTC", "12345ms")
    assert moment == datetime(2024, 5, 1, 8, 0, tzinfo=UTC) and moment.tzinfo is UTC
    assert str(elsewhere) == "Asia/Shanghai"  # the database's own zone, which the store's sessions do not take
