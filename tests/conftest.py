"""Shared fixtures: a migrated `store` on SQLite and on PostgreSQL, plus empty database URLs.

PostgreSQL tests run against the server named by TRACEHUB_TEST_PG_URL, in a throwaway database
created for this session and dropped at its end. Without that variable they skip, except on CI
(env CI set), where a missing PostgreSQL is a failure: both backends are the product.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browsing import browser  # noqa: F401 - the browser tests' Chromium, one per test module
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from data_dictionary.failures import RuleFailure
from data_dictionary.models import Record, Shipment, ShipmentLine
from trace_store.batch import LandedRaw, LoadBatch, Quarantined
from trace_store.schema import metadata
from trace_store.store import Store
from tracehub.demo import airflow_environment

# Airflow reads its configuration once, at first import: point it at a throwaway home first.
os.environ.update(airflow_environment(Path(tempfile.mkdtemp(prefix="tracehub-test-"))))
# One Fernet key for this process and every `airflow`/`tracehub` process it starts, whichever reads
# the metadata DB first: connections one of them encrypts, the others can read.
os.environ["AIRFLOW__CORE__FERNET_KEY"] = Fernet.generate_key().decode()

GTIN = "09506000134352"
PG_ENV = "TRACEHUB_TEST_PG_URL"
PG_SKIP = (
    "PostgreSQL tests skipped: set TRACEHUB_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test to run them"
)


def _pg_server_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(
                f"{PG_ENV} is not set, and on CI the PostgreSQL tests must run: "
                f"set {PG_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test"
            )
        pytest.skip(PG_SKIP)
    return url


class _PgDatabases:
    """Creates throwaway databases on the test server and drops them all at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url)
        self.admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self) -> str:
        name = f"tracehub_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[_PgDatabases]:
    dbs = _PgDatabases(_pg_server_url())
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def _pg_store_url(_pg_databases: _PgDatabases) -> str:
    """A session database migrated once; tests get it emptied (see `_truncate`)."""
    url = _pg_databases.create()
    store = Store.open(url)
    store.upgrade()
    store.close()
    return url


@pytest.fixture(scope="session")
def _pg_scratch_url(_pg_databases: _PgDatabases) -> str:
    return _pg_databases.create()


@pytest.fixture
def pg_url(_pg_scratch_url: str) -> str:
    """URL of an empty PostgreSQL database (no tables), reset for each test."""
    engine = sa.create_engine(_pg_scratch_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    return _pg_scratch_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of an empty SQLite database file in the test's tmp dir."""
    return f"sqlite:///{tmp_path / 'tracehub.db'}"


def _truncate(store: Store) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with store.transaction() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path / 'tracehub.db'}")
        s.upgrade()
    else:
        s = Store.open(request.getfixturevalue("_pg_store_url"))
        _truncate(s)
    yield s
    s.close()


class Make:
    """Builders for canonical records and load batches, with defaults that tests override."""

    T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)

    @staticmethod
    def line(
        no: int, gtin: str = GTIN, lot: str | None = "L1", serial: str | None = None, qty: int = 1
    ) -> ShipmentLine:
        return ShipmentLine(
            line_no=no,
            gtin=gtin,
            lot=lot,
            serial=serial,
            qty=Decimal(qty),
            tracking="serial" if serial else "lot",
        )

    @staticmethod
    def shipment(
        shipment_id: str,
        lines: list[ShipmentLine],
        updated: datetime = T0,
        to: str = "St. Mary Hospital",
        region: str = "CN-31",
        order: str = "SO-1",
        shipped: datetime = T0,
        source: str = "shipbob",
    ) -> Shipment:
        return Shipment(
            source=source,
            source_updated_at=updated,
            shipment_id=shipment_id,
            order_number=order,
            ship_date=shipped,
            ship_to_name=to,
            ship_to_region=region,
            from_location="WH-1",
            lines=tuple(lines),
        )

    @staticmethod
    def raw(external_id: str, updated: datetime, payload: dict[str, Any]) -> LandedRaw:
        return LandedRaw.of(external_id, updated, payload)

    @classmethod
    def batch(
        cls,
        run_id: int,
        records: list[Record],
        quarantined: Sequence[tuple[str, datetime, list[RuleFailure]]] = (),
        cursor: datetime | None = None,
        unchanged: int = 0,
        source: str = "shipbob",
        entity: str = "shipment",
    ) -> LoadBatch:
        """Each record's raw record is its own JSON, keyed by its id; quarantined ones get their own."""
        landed = [cls.raw(_record_id(r), r.source_updated_at, r.model_dump(mode="json")) for r in records]
        bad = []
        for external_id, updated, failures in quarantined:
            payload = {"id": external_id, "broken": True}
            raw = cls.raw(external_id, updated, payload)
            landed.append(raw)
            bad.append(Quarantined(external_id, raw.content_hash, payload, [{"id": external_id}], failures))
        return LoadBatch(
            run_id=run_id,
            source=source,
            entity=entity,
            pulled=unchanged + len(landed),
            unchanged=unchanged,
            landed=landed,
            records=list(records),
            loaded=len(records),
            quarantined=bad,
            cursor=cursor,
        )


def _record_id(record: Record) -> str:
    for name in ("external_id", "shipment_id", "record_id", "invoice_number", "order_number", "serial", "gtin"):
        if hasattr(record, name):
            return str(getattr(record, name))
    raise AssertionError(f"no id field on {type(record).__name__}")


@pytest.fixture
def make() -> type[Make]:
    return Make
