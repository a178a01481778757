"""Migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from data_dictionary.models import ENTITY_MODELS
from trace_store.engine import make_engine
from trace_store.migrate import upgrade
from trace_store.rows import ENTITY_TABLES
from trace_store.schema import metadata


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrated_schema_equals_metadata(backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    upgrade(url)
    upgrade(url)  # a second upgrade is a no-op
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == []


def test_every_dictionary_field_has_a_column() -> None:
    for entity, model in ENTITY_MODELS.items():
        tables = ENTITY_TABLES[entity]
        header_fields = set(model.model_fields) - {tables.lines_field}
        assert header_fields <= set(tables.header.c.keys()), entity
        if tables.lines is not None:
            line_model = model.model_fields[tables.lines_field].annotation.__args__[0]
            assert set(line_model.model_fields) <= set(tables.lines.c.keys()), entity


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0014_closes_open_rows_a_newer_version_replaced(backend: str, request: pytest.FixtureRequest) -> None:
    """Rows left open before superseding was automatic: closed, linked to the current version's row."""
    import sqlalchemy as sa

    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    upgrade(url, "0013_user_language")
    engine = make_engine(url)
    at = "2026-01-05 10:00:00+00:00"
    q = sa.table(
        "quarantine",
        *(sa.column(c) for c in ("id", "source", "entity", "external_id", "content_hash", "payload", "failures")),
        *(sa.column(c) for c in ("rules", "status", "first_seen_at", "last_seen_at", "run_id")),
    )
    rc = sa.table(
        "raw_current",
        *(sa.column(c) for c in ("source", "entity", "external_id", "content_hash", "source_updated_at", "status")),
    )

    def row(qid: int, ext: str, digest: str) -> dict:
        return {
            "id": qid, "source": "shop", "entity": "order", "external_id": ext, "content_hash": digest,
            "payload": "{}", "failures": "[]", "rules": "qty_positive", "status": "open",
            "first_seen_at": at, "last_seen_at": at, "run_id": 1,
        }  # fmt: skip

    with engine.begin() as conn:
        conn.execute(q.insert(), [row(1, "A", "a1"), row(2, "A", "a2"), row(3, "B", "b1"), row(4, "C", "c1")])
        conn.execute(
            rc.insert(),
            [
                {
                    "source": "shop",
                    "entity": "order",
                    "external_id": e,
                    "content_hash": h,
                    "source_updated_at": at,
                    "status": s,
                }
                for e, h, s in (("A", "a2", "quarantined"), ("B", "b2", "loaded"), ("C", "c1", "quarantined"))
            ],
        )
    engine.dispose()
    assert _rows_after_upgrade(url, "SELECT id, status, superseded_by FROM quarantine ORDER BY id") == [
        (1, "superseded", 2),
        (2, "open", None),
        (3, "superseded", None),
        (4, "open", None),
    ]


def test_migration_0019_gives_sqlite_times_written_without_a_fraction_the_spelling_statements_use(
    sqlite_url: str,
) -> None:
    """A whole second a bulk write stored as `10:00:00` reads, compares and sorts as `10:00:00.000000`."""
    import sqlalchemy as sa

    upgrade(sqlite_url, "0018_edge_moves_index")
    engine = make_engine(sqlite_url)
    state = sa.table("sync_state", *(sa.column(c) for c in ("source", "entity", "cursor", "updated_at")))
    at = "2026-03-02 10:00:00.250000"
    with engine.begin() as conn:
        conn.execute(
            state.insert(),
            [
                {"source": "shop", "entity": "order", "cursor": "2026-03-02 10:00:00", "updated_at": at},
                {"source": "erp", "entity": "lot", "cursor": None, "updated_at": "2026-03-02 11:00:00"},
            ],
        )
    engine.dispose()
    assert _rows_after_upgrade(sqlite_url, "SELECT source, cursor, updated_at FROM sync_state ORDER BY source") == [
        ("erp", None, "2026-03-02 11:00:00.000000"),
        ("shop", "2026-03-02 10:00:00.000000", at),
    ]


def test_migration_0021_stores_raw_payloads_lz4_compressed_on_postgresql(pg_url: str) -> None:
    """The server compresses the payload column with lz4, which costs it less CPU than its default pglz."""
    import sqlalchemy as sa

    from data_dictionary.jsonable import canonical_bytes

    upgrade(pg_url)
    engine = make_engine(pg_url)
    payload = canonical_bytes({"lines": [{"sku": f"SKU-{n}", "lot": "L1", "qty": n} for n in range(200)]}).decode()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO raw_version (source, entity, external_id, content_hash, source_updated_at, payload,"
                " run_id, landed_at) VALUES ('shop', 'order', '1001', 'h', now(), :payload, 1, now())"
            ),
            {"payload": payload},
        )
        method = conn.execute(sa.text("SELECT pg_column_compression(payload), payload FROM raw_version")).one()
    engine.dispose()
    assert len(payload) > 4000 and method == ("lz4", payload)


def _rows_after_upgrade(url: str, query: str) -> list[tuple]:
    """The rows `query` reads once the store at `url` is upgraded to the newest revision."""
    import sqlalchemy as sa

    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        found = [tuple(row) for row in conn.execute(sa.text(query))]
    engine.dispose()
    return found
