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
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id, status, superseded_by FROM quarantine ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in found] == [
        (1, "superseded", 2),
        (2, "open", None),
        (3, "superseded", None),
        (4, "open", None),
    ]
