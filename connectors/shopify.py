"""Shopify Admin REST: products (for their variants' SKUs and barcodes) and orders, paged by the
`Link` header's page_info cursor, filtered on `updated_at`."""

from __future__ import annotations

from typing import ClassVar

from connectors.http import TokenHeader
from connectors.pagination import LinkHeaderCursor
from connectors.rest import RestConnector, RestStream

API_VERSION = "2025-10"


class ShopifyConnector(RestConnector):
    """Products and orders of one shop, with the Admin API access token in `X-Shopify-Access-Token`.

    Products have no sort parameter (Shopify lists them by id), so their pages are not in update
    order: the sync moves that cursor only when the whole window has landed.
    """

    kind = "shopify"
    auth = TokenHeader("X-Shopify-Access-Token")
    streams: ClassVar[dict[str, RestStream]] = {
        "variant": RestStream(
            path=f"/admin/api/{API_VERSION}/products.json",
            paginator=LinkHeaderCursor(),
            since_param="updated_at_min",
            until_param="updated_at_max",
            records_key="products",
            ordered=False,
        ),
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
