"""SQL that works the same on SQLite and PostgreSQL: IN lists, bulk inserts, upserts, advisory locks.

Every write of many rows goes through here, so there is one place that knows how each backend
does it fast (COPY and a staged INSERT ... SELECT on PostgreSQL, executemany on SQLite).
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler

Row = dict[str, Any]
T = TypeVar("T")

CHUNK = 1000
"""Values per IN list: well under SQLite's and PostgreSQL's bind-parameter limits."""


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def parts(conn: Connection, items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in as few `in_list`/`pairs_in` lists as the backend takes: one array parameter on
    PostgreSQL (no parameter limit), lists of CHUNK elsewhere."""
    if conn.dialect.name == "postgresql":
        if items:
            yield items
        return
    yield from chunks(items)


def pairs_in(
    conn: Connection, first: sa.ColumnElement[Any], second: sa.ColumnElement[Any], pairs: Sequence[tuple[str, str]]
) -> sa.ColumnElement[bool]:
    """`(first, second) IN pairs`, index-backed on an index of (first, second) in both backends.

    PostgreSQL: two array parameters unnested side by side (one probe per pair, and a statement
    text that does not grow with the pairs). SQLite: one branch per `first` value with its
    `second` values as one IN list (its planner scans the table for a row-value IN).
    """
    if conn.dialect.name == "postgresql":
        rows = (
            sa.func.unnest(text_array([a for a, _ in pairs]), text_array([b for _, b in pairs]))
            .table_valued("first", "second")
            .render_derived(name="pairs")
        )
        return sa.tuple_(first, second).in_(sa.select(rows.c.first, rows.c.second))
    grouped: dict[str, list[str]] = {}
    for a, b in pairs:
        grouped.setdefault(a, []).append(b)
    return sa.or_(*(sa.and_(first == a, second.in_(bs)) for a, bs in sorted(grouped.items())))


def text_array(values: Iterable[str | None]) -> sa.ColumnElement[Any]:
    """`values` as one PostgreSQL text array parameter, spelled in C wherever it can be.

    psycopg dumps a list element by element in Python (2.3 ms for 5,000 ids). JSON quotes a string
    as an array literal does, so where orjson's text of the list holds no backslash (no quote,
    backslash or control character in any value) it is the literal between its brackets (`null`
    included); the other lists still go psycopg's way. The literal goes untyped, so the server reads
    it as the array itself: typed as text, its cast to an array was worked out again for each row
    a prepared statement looked at (a re-sync took minutes instead of half a second).
    """
    listed = list(values)
    try:
        text = orjson.dumps(listed)
    except TypeError:
        text = b"\\"
    if b"\\" in text:
        return sa.bindparam(None, listed, type_=postgresql.ARRAY(sa.String()))
    literal = sa.bindparam(None, "{" + text[1:-1].decode() + "}", type_=sa.types.NullType())
    return sa.cast(literal, postgresql.ARRAY(sa.String()))


def in_list(conn: Connection, column: sa.ColumnElement[Any], values: Sequence[str]) -> sa.ColumnElement[bool]:
    """`column IN values` as one parameter: a PostgreSQL array (`= ANY`), which psycopg need not parse;
    on SQLite a JSON array read by `json_each`, so the statement is compiled once, not per list length."""
    if conn.dialect.name == "postgresql":
        return column == sa.any_(text_array(values))
    return column.in_(sa.select(values_table(conn, values).c.value))


def values_table(conn: Connection, values: Sequence[str]) -> Any:
    """`values` as a one-column table (`.c.value`) bound as one parameter: an unnested PostgreSQL
    array, on SQLite a JSON array read by `json_each`; for per-value lookups driven by a list."""
    if conn.dialect.name == "postgresql":
        return sa.func.unnest(text_array(values)).table_valued("value").render_derived(name="listed")
    return sa.func.json_each(sa.bindparam(None, json.dumps(list(values)))).table_valued("value")


def advisory_key(namespace: bytes, key: str) -> int:
    """The 64-bit PostgreSQL advisory lock id of `key` within `namespace`."""
    return int.from_bytes(hashlib.sha256(namespace + key.encode()).digest()[:8], "big", signed=True)


def advisory_locks(conn: Connection, namespace: bytes, keys: Iterable[str]) -> None:
    """PostgreSQL: take a transaction-scoped advisory lock per key, in key order (no deadlock between loaders)."""
    if conn.dialect.name != "postgresql":
        return
    for lock_id in sorted({advisory_key(namespace, key) for key in keys}):
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_id)))


def dialect_insert(conn: Connection, table: sa.Table) -> Any:
    """INSERT with ON CONFLICT support for the connection's backend."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def bulk_insert(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    """Plain INSERT of many rows: binary COPY on PostgreSQL, executemany elsewhere.

    psycopg re-parses every long multi-row statement in Python; COPY sends rows with no SQL to
    parse, which is what keeps line and edge loading above 10k rows/s. Binary COPY packs times and
    numbers as they are stored, where text COPY spells each out for the server to parse back: a
    third of the client's work per row (text COPY remains for a column type not listed below).
    """
    if conn.dialect.name != "postgresql":
        _executemany(conn, table, table.insert(), rows)
        return
    names = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    types = binary_copy_types(conn.dialect, [table.c[name] for name in names])
    binary = " (FORMAT BINARY)" if types else ""
    sql = f"COPY {quote(table.name)} ({', '.join(quote(name) for name in names)}) FROM STDIN{binary}"
    dbapi = conn.dialect.loaded_dbapi
    try:
        with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
            if types:
                copy.set_types(types)
            for values in _row_values(rows, names, [_copy_processor(conn, table.c[name]) for name in names]):
                copy.write_row(values)
    except dbapi.Error as err:  # same exception types as every other statement
        raise sa.exc.DBAPIError.instance(sql, None, err, dbapi.Error) from err


_BINARY_COPY_TYPES = {
    "BIGINT": "int8",
    "INTEGER": "int4",
    "BOOLEAN": "bool",
    "DATE": "date",
    "FLOAT": "float8",
    "NUMERIC": "numeric",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "VARCHAR": "text",
    "TEXT": "text",
    "JSON": "text",
}
"""PostgreSQL column type (as SQLAlchemy spells it, without modifiers) -> the psycopg type a binary
COPY writes it as. Text, varchar and json columns all receive UTF-8 text (JSON as its text, see
`_copy_processor`)."""


def binary_copy_types(dialect: sa.Dialect, columns: Iterable[sa.Column[Any]]) -> list[str] | None:
    """The psycopg type a binary COPY writes each column as; None when one has none (text COPY then)."""
    types = []
    for column in columns:
        compiled = column.type.compile(dialect=dialect).split("(")[0].strip()
        if compiled not in _BINARY_COPY_TYPES:
            return None
        types.append(_BINARY_COPY_TYPES[compiled])
    return types


def _executemany(conn: Connection, table: sa.Table, stmt: Any, rows: list[Row]) -> None:
    """Run `stmt` once per row through the driver's executemany (SQLite).

    SQLAlchemy's own executemany runs every value of every row through Python; here the values
    are handed over as tuples and only the columns whose type converts are touched, as for COPY.
    """
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(rows[0]))
    assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
    names = compiled.positiontup
    processors = [_bind_processor(conn, table.c[name]) for name in names]
    conn.exec_driver_sql(compiled.string, list(_row_values(rows, names, processors)))


def _row_values(rows: list[Row], names: Sequence[str], processors: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Each row's values in `names` order, read in C; only the columns with a processor are touched in Python."""
    pick = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    convert = [(i, p) for i, p in enumerate(processors) if p]
    for row in rows:
        values = list(pick(row))
        for i, process in convert:
            values[i] = process(values[i])
        yield tuple(values)


def _copy_processor(conn: Connection, column: sa.Column[Any]) -> Any:
    """How a value is written by COPY: JSON as its text (psycopg's adapter does not apply there)."""
    if isinstance(column.type, sa.JSON):
        dumps = getattr(conn.dialect, "_json_serializer", None) or json.dumps
        return lambda value: None if value is None else dumps(value)
    return _bind_processor(conn, column)


def _bind_processor(conn: Connection, column: sa.Column[Any]) -> Any:
    """The conversion SQLAlchemy applies to `column`'s values in its own statements, so rows written
    in bulk are stored as every other statement stores them (a SQLite time as `... 10:00:00.000000`).

    It is the backend's own type's (`dialect_impl`): the generic type's leaves a SQLite time to the
    driver, which writes a whole second without its fraction, and such a text compares as earlier
    than the same time written with one."""
    return column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)


def upsert(
    conn: Connection,
    table: sa.Table,
    rows: list[Row],
    key: Sequence[str],
    update: Sequence[str] = (),
    newer_only: bool = False,
    returning: bool = False,
) -> set[tuple[Any, ...]]:
    """INSERT ... ON CONFLICT for many rows (keys unique within `rows`).

    `update` names the columns a conflict overwrites (none: do nothing); `newer_only` guards
    the update with source_updated_at so an older version never overwrites a newer one.
    Returns the keys written when `returning` is set.

    The rows whose keys the table does not hold are bulk-inserted straight in (COPY on PostgreSQL:
    a first load writes each row once) wherever that saves work: always on PostgreSQL, and on
    SQLite when the written keys are asked for (SQLAlchemy's RETURNING path works every value in
    Python). On PostgreSQL the others are COPYed into a session temp table and upserted with one
    INSERT ... SELECT, instead of a huge multi-row VALUES statement psycopg must parse; on SQLite
    they go through the driver's executemany.
    """
    if not rows:
        return set()
    postgres = conn.dialect.name == "postgresql"
    written: set[tuple[Any, ...]] = set()
    if postgres or returning:
        inserted, rows = _insert_fresh(conn, table, rows, key)
        written = inserted if returning else written
        if not rows:
            return written
    names = list(rows[0])
    if postgres:
        stage = _stage(conn, table)
        bulk_insert(conn, stage, rows)
        ins: Any = postgresql.insert(table).from_select(
            names, sa.select(*(stage.c[n] for n in names)).order_by(*(stage.c[k] for k in key))
        )
    else:
        ins = sqlite.insert(table)
    if update:
        guard = ins.excluded.source_updated_at >= table.c.source_updated_at if newer_only else None
        stmt = ins.on_conflict_do_update(
            index_elements=list(key), set_={c: ins.excluded[c] for c in update}, where=guard
        )
    else:
        stmt = ins.on_conflict_do_nothing(index_elements=list(key))
    if returning:
        result = conn.execute(stmt.returning(*(table.c[k] for k in key)), None if postgres else rows)
        return written | {tuple(r) for r in result}
    if postgres:
        conn.execute(stmt)
    else:
        _executemany(conn, table, stmt, rows)
    return set()


def _insert_fresh(
    conn: Connection, table: sa.Table, rows: list[Row], key: Sequence[str]
) -> tuple[set[tuple[Any, ...]], list[Row]]:
    """Bulk-insert the rows whose keys `table` does not hold; return (their keys, the other rows).

    A row another transaction inserts meanwhile makes the insert fail on the key: it is undone to
    its savepoint and every row goes the upsert's way, so the outcome is the upsert's either way.
    (SQLite's write transactions begin IMMEDIATE, so there no other writer comes in between.)
    """
    held = _held_keys(conn, table, rows, key)
    fresh: list[Row] = []
    fresh_keys: set[tuple[Any, ...]] = set()
    rest: list[Row] = []
    for row in rows:
        row_key = tuple(row[k] for k in key)
        if row_key in held:
            rest.append(row)
        else:
            fresh.append(row)
            fresh_keys.add(row_key)
    if not fresh:
        return set(), rows
    try:
        with conn.begin_nested():
            bulk_insert(conn, table, fresh)
    except sa.exc.IntegrityError:
        return set(), rows
    return fresh_keys, rest


def _held_keys(conn: Connection, table: sa.Table, rows: list[Row], key: Sequence[str]) -> set[tuple[Any, ...]]:
    """Keys `table` holds among those of `rows`, and maybe more, in one statement that probes the key's
    index: the leading key columns one value fits (a batch's source and entity) as equalities, then
    the next column as one array, or, when that column repeats (a device's lots), the last two as pairs."""
    where, rest = [], list(key)
    while len(rest) > 1 and len({row[rest[0]] for row in rows}) == 1:
        name = rest.pop(0)
        where.append(table.c[name] == rows[0][name])
    values = sorted({row[rest[0]] for row in rows})
    if len(rest) == 2 and len(values) * 2 < len(rows):
        pairs = sorted({(row[rest[0]], row[rest[1]]) for row in rows})
        where.append(pairs_in(conn, table.c[rest[0]], table.c[rest[1]], pairs))
    else:
        where.append(in_list(conn, table.c[rest[0]], values))
    return {tuple(r) for r in conn.execute(sa.select(*(table.c[k] for k in key)).where(*where))}


def _stage(conn: Connection, table: sa.Table) -> sa.Table:
    """An empty session temp table shaped like `table` (no constraints), emptied at commit."""
    stage = _stage_table(table)
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {quote(stage.name)} ON COMMIT DELETE ROWS "
        f"AS SELECT * FROM {quote(table.name)} WITH NO DATA"
    )
    conn.exec_driver_sql(f"TRUNCATE {quote(stage.name)}")
    return stage


@cache
def _stage_table(table: sa.Table) -> sa.Table:
    """The stage of `table` as SQLAlchemy sees it, made once: a new Table per batch would make
    every staged upsert a new statement to compile, and fill the engine's compiled cache."""
    return sa.Table(f"stage_{table.name}", sa.MetaData(), *(sa.Column(c.name, c.type) for c in table.columns))
