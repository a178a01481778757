"""ShipBob: orders with their shipments (lots, expiry, serials), returns and inventory levels by lot,
paged by page number."""

from __future__ import annotations

from typing import Any, ClassVar

from connectors.http import BEARER
from connectors.pagination import PageNumber
from connectors.rest import RestConnector, RestStream

API_VERSION = "2026-01"


def _updated_since(resource: str, **extra: Any) -> RestStream:
    """Every ShipBob list we read pages the same way, oldest first, filtered on its last update."""
    return RestStream(
        path=f"/{API_VERSION}/{resource}",
        paginator=PageNumber(),
        since_param="LastUpdateStartDate",
        until_param="LastUpdateEndDate",
        static_params={"SortOrder": "Oldest"},
        cursor_field="last_update_at",
        **extra,
    )


class ShipBobConnector(RestConnector):
    """Shipments of one ShipBob account, with a personal access token as bearer.

    The raw record of entity `shipment` is the whole ShipBob order: its shipments are only
    meaningful with the order's reference (our order number) and recipient. A `return` is one
    ShipBob return; an `inventory` record is one inventory item with its lots per location.
    """

    kind = "shipbob"
    auth = BEARER
    streams: ClassVar[dict[str, RestStream]] = {
        "shipment": _updated_since("order"),
        "return": _updated_since("return"),
        "inventory": _updated_since("inventory-level/lots", id_field="inventory_id"),
    }

    def check(self) -> str:
        """Fetch one order: proves the token in one cheap call."""
        path = self.streams["shipment"].path
        reply = self.http.request("GET", path, params={"Page": 1, "Limit": 1})
        total = reply.headers.get("total-count", "unknown")
        return f"shipbob {self.source}: {reply.status} OK, API {API_VERSION}, {total} orders"
