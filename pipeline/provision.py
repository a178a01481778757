"""What Airflow needs before the first sync: one pool per source and each source's connection.

`tracehub airflow init` runs this at deploy (the compose file's airflow-init) and again after
the sources file changes: it only ever creates what is missing and updates what differs, so a
second run changes nothing. Without the pools, tasks wait in `scheduled` forever.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.config import SourceConfig, SourcesFile
from pipeline.dags import pool_name

POOL_SLOTS = 1
"""One request stream per platform credential: the platform's rate limit is per credential."""
SECRET_ENV_PREFIX = "TRACEHUB_SECRET_"
"""`TRACEHUB_SECRET_<CONN_ID>` holds the token of connection <conn_id> when airflow-init creates it."""


@dataclass(frozen=True, slots=True)
class Step:
    """One thing provisioning looked at: what, and what it did (created, updated, unchanged, missing)."""

    what: str
    outcome: str
    detail: str = ""


def secret_env(conn_id: str) -> str:
    return f"{SECRET_ENV_PREFIX}{conn_id.upper()}"


def provision(sources: SourcesFile, environ: Mapping[str, str] = os.environ) -> list[Step]:
    """Create or update the pool of every source and the Airflow connection of every source that names one."""
    steps = [_pool(source) for source in sources.sources]
    steps += [
        _connection(source, environ)
        for source in sources.sources
        if source.credentials and source.credentials.airflow_conn
    ]
    return steps


def _pool(source: SourceConfig) -> Step:
    from airflow.models.pool import Pool

    name = pool_name(source)
    existing = Pool.get_pool(name)
    description = f"one request stream per API credential of source {source.name!r}"
    if existing is not None and existing.slots == POOL_SLOTS:
        return Step(f"pool {name}", "unchanged", f"{POOL_SLOTS} slot")
    Pool.create_or_update_pool(name=name, slots=POOL_SLOTS, description=description, include_deferred=False)
    return Step(f"pool {name}", "created" if existing is None else "updated", f"{POOL_SLOTS} slot")


def _connection(source: SourceConfig, environ: Mapping[str, str]) -> Step:
    """The source's connection: host, login and schema from the sources file, the token from the environment."""
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    conn_id = (source.credentials.airflow_conn if source.credentials else None) or ""
    what = f"connection {conn_id} (source {source.name})"
    if environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"):
        return Step(what, "unchanged", f"given by AIRFLOW_CONN_{conn_id.upper()} in the environment")
    token = environ.get(secret_env(conn_id))
    wanted = {"conn_type": "http", "host": source.base_url, "login": source.login, "schema": source.database}
    with create_session() as session:
        existing = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
        if existing is None and not token:
            return Step(
                what,
                "missing",
                f"set {secret_env(conn_id)} to its token and run again, or add it with `airflow connections add`",
            )
        if existing is None:
            session.add(
                Connection(
                    conn_id=conn_id,
                    conn_type="http",
                    host=source.base_url,
                    login=source.login,
                    schema=source.database,
                    password=token,
                )
            )
            return Step(what, "created", f"token from {secret_env(conn_id)}")
        changed = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
        if token and existing.password != token:
            changed["password"] = token
        for key, value in changed.items():
            setattr(existing, key, value)
        detail = ", ".join(sorted("token" if k == "password" else k for k in changed))
        return Step(what, "updated" if changed else "unchanged", detail)
