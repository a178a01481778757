"""`tracehub airflow init` gives Airflow the pools and connections the sources file needs, idempotently."""

from __future__ import annotations

import yaml
from commands import tracehub
from test_dags import airflow_db  # noqa: F401 - the migrated Airflow DB fixture

SOURCES = {
    "sources": [
        {
            "name": "erp_init",
            "kind": "odoo",
            "base_url": "https://erp.example.com",
            "database": "production",
            "login": "integration@example.com",
            "entities": ["device"],
            "credentials": {"airflow_conn": "odoo_erp_init"},
        },
        {
            "name": "shop_init",
            "kind": "shopify",
            "base_url": "https://shop.example.com",
            "entities": ["order"],
            "credentials": {"env": "SHOP_INIT_TOKEN"},
        },
    ]
}


def airflow_state() -> tuple[dict[str, int], dict[str, tuple[str | None, ...]]]:
    from airflow.models.connection import Connection
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session

    with create_session() as session:
        pools = {p.pool: p.slots for p in session.query(Pool).filter(Pool.pool.like("api_%_init"))}
        conns = {
            c.conn_id: (c.host, c.login, c.schema, c.password)
            for c in session.query(Connection).filter(Connection.conn_id == "odoo_erp_init")
        }
    return pools, conns


def test_init_creates_pools_and_connections_then_changes_nothing(airflow_db, tmp_path):  # noqa: F811
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(SOURCES))

    refused = tracehub("airflow", "init", "--config", str(sources), env={"TRACEHUB_SECRET_ODOO_ERP_INIT": ""})
    assert refused.returncode == 1
    assert "connection odoo_erp_init (source erp_init) is missing: set TRACEHUB_SECRET_ODOO_ERP_INIT" in " ".join(
        refused.stderr.split()
    )
    assert "Traceback" not in refused.stderr
    pools, conns = airflow_state()
    assert pools == {"api_erp_init": 1, "api_shop_init": 1}, "pools come first, whatever else is missing"
    assert conns == {}

    env = {"TRACEHUB_SECRET_ODOO_ERP_INIT": "odoo-api-key"}
    first = tracehub("airflow", "init", "--config", str(sources), env=env)
    assert first.returncode == 0, first.stderr
    assert airflow_state()[1] == {
        "odoo_erp_init": ("https://erp.example.com", "integration@example.com", "production", "odoo-api-key")
    }
    again = tracehub("airflow", "init", "--config", str(sources), env=env)
    assert again.returncode == 0, again.stderr
    assert "created" not in again.stdout and "updated" not in again.stdout
    assert again.stdout.count("unchanged") == 3
    assert "odoo-api-key" not in first.stdout + again.stdout, "a token is never printed"

    moved = {"sources": [{**SOURCES["sources"][0], "base_url": "https://erp2.example.com"}]}
    sources.write_text(yaml.safe_dump(moved))
    updated = tracehub("airflow", "init", "--config", str(sources))
    assert updated.returncode == 0, updated.stderr
    assert airflow_state()[1]["odoo_erp_init"][0] == "https://erp2.example.com"
    assert airflow_state()[1]["odoo_erp_init"][3] == "odoo-api-key", "no token given: the stored one stays"
