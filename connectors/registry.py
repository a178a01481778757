"""From a source's configuration to a ready connector."""

from __future__ import annotations

from connectors.base import Connector
from connectors.config import Secret, SourceConfig
from connectors.drops import DropConnector
from connectors.http import RetryPolicy
from connectors.odoo import OdooConnector
from connectors.shipbob import ShipBobConnector
from connectors.shopify import ShopifyConnector

CONNECTORS: dict[str, type[ShopifyConnector] | type[ShipBobConnector] | type[OdooConnector] | type[DropConnector]] = {
    "shopify": ShopifyConnector,
    "shipbob": ShipBobConnector,
    "odoo": OdooConnector,
    "drop": DropConnector,
}


def build_connector(
    config: SourceConfig, secret: Secret | None = None, *, policy: RetryPolicy | None = None
) -> Connector:
    """The connector for `config.kind`.

    Args:
        config: the source entry.
        secret: the credential; resolved from the config (env or Airflow) when not given.
        policy: retry persistence; the production default when not given.
    """
    return CONNECTORS[config.kind](config, secret if secret is not None else config.secret(), policy=policy)
