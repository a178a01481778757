"""From a source's configuration to a ready connector."""

from __future__ import annotations

from connectors.base import Connector
from connectors.config import Secret, SourceConfig
from connectors.http import RetryPolicy
from connectors.odoo import OdooConnector
from connectors.rest import RestConnector


def build_connector(
    config: SourceConfig, secret: Secret | None = None, *, policy: RetryPolicy | None = None
) -> Connector:
    """The connector for `config.kind`: Odoo's JSON-RPC client, else the REST platform it declares.

    Args:
        config: the source entry.
        secret: the credential; resolved from the config (env or Airflow) when not given.
        policy: retry persistence; the production default when not given.
    """
    secret = secret if secret is not None else config.secret()
    declaration = config.declaration()
    if declaration is None:
        return OdooConnector(config, secret, policy=policy)
    return RestConnector(config, secret, declaration, policy=policy)
