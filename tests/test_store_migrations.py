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
