"""Shopify Admin REST: orders, paged by the `Link` header's page_info cursor."""

from __future__ import annotations

from typing import ClassVar

from connectors.http import TokenHeader
from connectors.pagination import LinkHeaderCursor
from connectors.rest import RestConnector, RestStream

API_VERSION = "2025-10"


class ShopifyConnector(RestConnector):
    """Orders of one shop, with the Admin API access token in `X-Shopify-Access-Token`."""

    kind = "shopify"
    auth = TokenHeader("X-Shopify-Access-Token")
    streams: ClassVar[dict[str, RestStream]] = {
        "order": RestStream(
            path=f"/admin/api/{API_VERSION}/orders.json",
            paginator=LinkHeaderCursor(),
            since_param="updated_at_min",
            until_param="updated_at_max",
            records_key="orders",
            static_params={"status": "any", "order": "updated_at asc"},
        ),
    }

    def check(self) -> str:
        """Read the shop resource: proves the token and the API version in one cheap call."""
        reply = self.http.request("GET", f"/admin/api/{API_VERSION}/shop.json")
        body = reply.body if isinstance(reply.body, dict) else {}
        shop = body.get("shop") or {}
        calls = reply.headers.get("X-Shopify-Shop-Api-Call-Limit", "unknown")
        return (
            f"shopify {self.source}: {reply.status} OK, API {API_VERSION}, shop {shop.get('name')!r}, "
            f"call limit {calls}"
        )
