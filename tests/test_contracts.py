"""The contract validators: the vendors' own examples pass, invented fields and endpoints fail.

Every test names the contract file and the JSON pointer (or key) its expectation comes from; the files are the
verbatim copies under simulators/contracts/ (provenance in each SOURCE.txt).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from simulators.contracts import (
    ODOO_FIELDS,
    SHIPBOB_SPEC,
    SHOPIFY_ATTRIBUTES,
    WOOCOMMERCE_SCHEMA,
    odoo_fields,
    odoo_models,
    odoo_unknown_fields,
    shipbob_operation,
    shipbob_response_errors,
    shopify_attributes,
    shopify_unknown_attributes,
)

CONTRACTS = SHIPBOB_SPEC.parents[1]
SPEC: dict[str, Any] = json.loads(SHIPBOB_SPEC.read_text(encoding="utf-8"))

SERIAL_NULL = (
    "$.0.shipments.0.parent_cartons.0.cartons.0.carton_details.0.products.0.inventory_items.0.serial_numbers.0: "
    "None is not of type 'string'"
)
"""The one flaw in the spec's own GET /2026-01/order example: its carton inventory item lists `serial_numbers: [null]`,
while #/components/schemas/Orders.InventoryViewModel/properties/serial_numbers/items is a non-nullable string.
The validator is right to report it; the tests expect exactly this error and check the rest of the example."""


def example(method: str, template: str, status: int = 200) -> Any:
    """A deep copy of `#/paths/<template>/<method>/responses/<status>/content/application~1json/example`."""
    media = SPEC["paths"][template][method]["responses"][str(status)]["content"]["application/json"]
    return copy.deepcopy(media["example"])


# -- provenance ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SHIPBOB_SPEC, ODOO_FIELDS], ids=lambda p: p.name)
def test_the_copies_are_the_files_source_txt_describes(path: Path):
    """shipbob/SOURCE.txt and odoo/SOURCE.txt record each file's sha256; the copy in the repository must match it."""
    source = (path.parent / "SOURCE.txt").read_text(encoding="utf-8")
    recorded = re.search(r"sha256 ([0-9a-f]{64})", source)
    assert recorded, source
    assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded.group(1)


def test_every_contract_folder_carries_its_provenance():
    """simulators/contracts/README.md: each folder holds verbatim copies with a SOURCE.txt and a README.md."""
    for folder in ("shipbob", "odoo", "shopify", "woocommerce"):
        assert (CONTRACTS / folder / "SOURCE.txt").is_file()
        assert (CONTRACTS / folder / "README.md").is_file()
    assert SHOPIFY_ATTRIBUTES.is_file() and (CONTRACTS / "shopify" / "rest_2025-10_endpoints.json").is_file()
    woo = json.loads(WOOCOMMERCE_SCHEMA.read_text(encoding="utf-8"))["_source"]
    assert woo["commit"] in (CONTRACTS / "woocommerce" / "SOURCE.txt").read_text(encoding="utf-8")


# -- ShipBob: routing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/2026-01/order", "/2026-01/order"),
        ("GET", "/2026-01/order?Page=2&Limit=250", "/2026-01/order"),
        ("GET", "/2026-01/order/123/shipment", "/2026-01/order/{orderId}/shipment"),
        ("GET", "/2026-01/order/123/shipment/9", "/2026-01/order/{orderId}/shipment/{shipmentId}"),
        ("GET", "https://sandbox-api.shipbob.com/2026-01/shipment/9", "/2026-01/shipment/{shipmentId}"),
        ("GET", "/2026-01/shipment/9:getLineItems", "/2026-01/shipment/{shipmentId}:getLineItems"),
        ("GET", "/2026-01/inventory-level/lots", "/2026-01/inventory-level/lots"),
        ("GET", "/2026-01/inventory-level/77/lots", "/2026-01/inventory-level/{inventoryId}/lots"),
        ("post", "/2026-01/order/5:cancel", "/2026-01/order/{orderId}:cancel"),
        ("GET", "/2026-01/orders", None),
        ("DELETE", "/2026-01/order", None),
        ("POST", "/2026-01/shipment/9:reship", None),
    ],
)
def test_a_request_path_maps_to_its_operation(method: str, path: str, template: str | None):
    """shipbob/openapi-2026-01.json#/paths: literal templates win over parameters, and a method the path does not
    declare has no operation."""
    assert shipbob_operation(method, path) == template


def test_an_undocumented_endpoint_or_status_is_refused():
    """shipbob/openapi-2026-01.json#/paths: no `/2026-01/orders`; `/2026-01/order` GET declares 200, 400, 401, 403."""
    with pytest.raises(ValueError, match="no operation"):
        shipbob_response_errors("GET", "/2026-01/orders", 200, [])
    with pytest.raises(ValueError, match=r"no 429 response \(declared: 200, 400, 401, 403\)"):
        shipbob_response_errors("GET", "/2026-01/order", 429, [])


def test_a_status_without_a_json_body_accepts_only_no_body():
    """#/paths/~12026-01~1order/get/responses/401 declares no content."""
    assert shipbob_response_errors("GET", "/2026-01/order", 401, None) == []
    assert shipbob_response_errors("GET", "/2026-01/order", 401, {"message": "nope"}) == [
        "$: GET /2026-01/order 401 declares no application/json body"
    ]


# -- ShipBob: the spec's own examples --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "concrete"),
    [
        ("/2026-01/return", "/2026-01/return"),
        ("/2026-01/inventory-level/lots", "/2026-01/inventory-level/lots"),
        ("/2026-01/order/{orderId}/shipment", "/2026-01/order/123/shipment"),
        ("/2026-01/shipment/{shipmentId}", "/2026-01/shipment/9"),
        ("/2026-01/channel", "/2026-01/channel"),
    ],
)
def test_the_spec_examples_validate(template: str, concrete: str):
    """#/paths/<template>/get/responses/200/content/application~1json/example against the schema beside it."""
    assert shipbob_response_errors("GET", concrete, 200, example("get", template)) == []


def test_the_order_example_validates_but_for_its_null_serial_number():
    """#/paths/~12026-01~1order/get/responses/200/content/application~1json/example: see SERIAL_NULL.

    Once that one value is a string, the whole example (orders, shipments, cartons, retailer program data) is valid.
    """
    body = example("get", "/2026-01/order")
    assert shipbob_response_errors("GET", "/2026-01/order", 200, body) == [SERIAL_NULL]
    carton = body[0]["shipments"][0]["parent_cartons"][0]["cartons"][0]
    carton["carton_details"][0]["products"][0]["inventory_items"][0]["serial_numbers"] = ["SN-1"]
    assert shipbob_response_errors("GET", "/2026-01/order", 200, body) == []


def _order() -> list[dict[str, Any]]:
    """The GET /2026-01/order example with its one flaw (SERIAL_NULL) mended."""
    body = example("get", "/2026-01/order")
    carton = body[0]["shipments"][0]["parent_cartons"][0]["cartons"][0]
    carton["carton_details"][0]["products"][0]["inventory_items"][0]["serial_numbers"] = ["SN-1"]
    return body


# -- ShipBob: invented fields and wrong values fail ------------------------------------------------------------------


def test_an_invented_order_field_fails():
    """#/components/schemas/Orders.OrderViewModel is closed; `last_update_at` is on Orders.ShipmentViewModel only."""
    body = _order()
    body[0]["last_update_at"] = "2026-03-04T08:00:00Z"
    assert shipbob_response_errors("GET", "/2026-01/order", 200, body) == [
        "$.0.last_update_at: additional property not allowed"
    ]


def test_a_gtin_on_a_shipment_product_fails():
    """#/components/schemas/Orders.ShipmentProductViewModel has only id, inventory_items, name, reference_id, sku
    (`gtin` is on Orders.ProductInfoViewModel, the order's products), in an order and in GET /order/{orderId}/shipment,
    whose items are oneOf Orders.ShipmentViewModel / Orders.InternalShipmentViewModel."""
    body = _order()
    body[0]["shipments"][0]["products"][0]["gtin"] = "06951234500016"
    assert shipbob_response_errors("GET", "/2026-01/order", 200, body) == [
        "$.0.shipments.0.products.0.gtin: additional property not allowed"
    ]
    shipments = example("get", "/2026-01/order/{orderId}/shipment")
    shipments[0]["products"][0]["gtin"] = "06951234500016"
    assert shipbob_response_errors("GET", "/2026-01/order/1/shipment", 200, shipments) == [
        "$.0.products.0.gtin: additional property not allowed"
    ]


def test_an_invented_return_item_field_fails():
    """#/components/schemas/Returns.PublicReturnDto (the items of GET /2026-01/return) declares no `lot`;
    lot data sits in inventory[].lot_information (Returns.LotInformationDto: number, expiration, minimumShelfLife)."""
    body = example("get", "/2026-01/return")
    body["items"][0]["lot"] = "L1"
    body["items"][0]["inventory"][0]["lot_information"]["lot_number"] = "L1"
    assert shipbob_response_errors("GET", "/2026-01/return", 200, body) == [
        "$.items.0.inventory.0.lot_information.lot_number: additional property not allowed",
        "$.items.0.lot: additional property not allowed",
    ]


def test_an_invented_inventory_lot_field_fails():
    """#/components/schemas/Inventory.Lots names the expiry `lot_date`; an `expiration_date` is invented."""
    body = example("get", "/2026-01/inventory-level/lots")
    body["items"][0]["lots"][0]["expiration_date"] = "2027-01-01T00:00:00Z"
    assert shipbob_response_errors("GET", "/2026-01/inventory-level/lots", 200, body) == [
        "$.items.0.lots.0.expiration_date: additional property not allowed"
    ]


def test_types_enums_and_date_times_are_checked():
    """#/components/schemas/Orders.OrderViewModel: id is an int32 integer, status is Orders.OrderStatus (an enum),
    created_date is a date-time; Orders.ShipmentViewModel.status is Orders.OrderStatusEnum."""
    body = _order()
    body[0].update(id="7", status="Shipped", created_date="2026-03-04")
    body[0]["shipments"][0]["created_date"] = "yesterday"
    problems = shipbob_response_errors("GET", "/2026-01/order", 200, body)
    assert problems == [
        "$.0.created_date: '2026-03-04' is not a 'date-time'",
        "$.0.id: '7' is not of type 'integer'",
        "$.0.shipments.0.created_date: 'yesterday' is not a 'date-time'",
        "$.0.status: 'Shipped' is not one of ['Processing', 'Exception', 'PartiallyFulfilled', 'Fulfilled', "
        "'Cancelled', 'ImportReview']",
    ]


def test_nullable_fields_accept_null_and_others_do_not():
    """#/components/schemas/Orders.InventoryViewModel: expiration_date and lot are `nullable: true`, quantity is not."""
    body = example("get", "/2026-01/shipment/{shipmentId}")
    item = body["products"][0]["inventory_items"][0]
    item.update(expiration_date=None, lot=None, serial_numbers=None)
    assert shipbob_response_errors("GET", "/2026-01/shipment/9", 200, body) == []
    item["quantity"] = None
    assert shipbob_response_errors("GET", "/2026-01/shipment/9", 200, body) == [
        "$.products.0.inventory_items.0.quantity: None is not of type 'integer'"
    ]


def test_date_times_with_offsets_and_fractions_are_accepted():
    """#/components/schemas/Orders.InventoryViewModel/properties/expiration_date has format date-time."""
    body = example("get", "/2026-01/shipment/{shipmentId}")
    item = body["products"][0]["inventory_items"][0]
    for value in ("2027-02-28T00:00:00+08:00", "2027-02-28T00:00:00.1234567Z", "2027-02-28T00:00:00"):
        item["expiration_date"] = value
        assert shipbob_response_errors("GET", "/2026-01/shipment/9", 200, body) == [], value


def test_the_internal_shipment_subtype_is_the_base_plus_store_order_id():
    """#/components/schemas/Orders.InternalShipmentViewModel is allOf [Orders.ShipmentViewModel] plus store_order_id:
    a subtype's own field passes, and the merged object stays closed."""
    shipments = example("get", "/2026-01/order/{orderId}/shipment")
    shipments[0]["store_order_id"] = "SO-1"
    assert shipbob_response_errors("GET", "/2026-01/order/1/shipment", 200, shipments) == []
    shipments[0]["store_order_ref"] = "SO-1"
    assert shipbob_response_errors("GET", "/2026-01/order/1/shipment", 200, shipments) == [
        "$.0.store_order_ref: additional property not allowed"
    ]


def test_a_required_field_spelt_in_camel_case_is_required_as_declared():
    """#/components/schemas/Orders.RetailerProgramDataViewModel requires `purchaseOrderNumber` and
    `retailerProgramType` but declares purchase_order_number and retailer_program_type: the declared names are
    required."""
    body = _order()
    del body[0]["retailer_program_data"]["purchase_order_number"]
    assert shipbob_response_errors("GET", "/2026-01/order", 200, body) == [
        "$.0.retailer_program_data: 'purchase_order_number' is a required property"
    ]


# -- Odoo 17.0 -------------------------------------------------------------------------------------------------------


def test_the_odoo_contract_covers_the_models_tracehub_reads():
    """odoo/odoo17_fields.json#/models: 14 models."""
    assert len(odoo_models()) == 14
    assert {"product.product", "product.template", "res.partner", "stock.lot", "stock.move.line"} <= odoo_models()
    with pytest.raises(ValueError, match=r"not in the 17\.0 contract"):
        odoo_fields("hr.employee")


def test_a_studio_field_is_unknown_unless_the_customer_declared_it():
    """odoo/odoo17_fields.json#/models/res.partner/fields has no x_studio_role; odoo/README.md: custom fields are
    per-customer and must start with x_ (ir_model.py's "Custom fields must have a name that starts with 'x_'!")."""
    assert odoo_unknown_fields("res.partner", ["name", "email", "x_studio_role"]) == ["x_studio_role"]
    assert odoo_unknown_fields("res.partner", ["name", "x_studio_role"], custom=["x_studio_role"]) == []
    with pytest.raises(ValueError, match="must start with 'x_'"):
        odoo_unknown_fields("res.partner", ["role"], custom=["role"])


def test_product_product_reads_template_fields_through_inherits():
    """odoo/odoo17_fields.json#/models/product.product/_inherits = {product.template: product_tmpl_id}; odoo/README.md:
    name, tracking, uom_id, list_price and detailed_type are template fields readable on product.product."""
    fields = odoo_fields("product.product")
    assert odoo_unknown_fields("product.product", ["name", "tracking", "uom_id", "list_price", "detailed_type"]) == []
    assert fields["tracking"]["delegated_from"] == "product.template"
    assert fields["tracking"]["delegated_via"] == "product_tmpl_id"
    assert fields["uom_id"]["type"] == "many2one" and fields["uom_id"]["relation"] == "uom.uom"
    # barcode and default_code are product.product's own (odoo/README.md, "Products").
    assert "delegated_from" not in fields["barcode"] and "delegated_from" not in fields["default_code"]
    delegated = {name for name, field in fields.items() if "delegated_from" in field}
    listed = json.loads(ODOO_FIELDS.read_text(encoding="utf-8"))["models"]["product.product"]
    assert delegated == set(listed["delegated_from_product.template"]["fields"])


def test_every_model_has_the_orm_magic_columns():
    """odoo/README.md: id, create_date, create_uid, write_date, write_uid and display_name exist on every model but
    are left out of odoo/odoo17_fields.json."""
    magic = {"id": "integer", "display_name": "char", "create_date": "datetime", "write_date": "datetime"}
    for model in odoo_models():
        fields = odoo_fields(model)
        assert {name: fields[name]["type"] for name in magic} == magic, model
        assert fields["create_uid"]["type"] == fields["write_uid"]["type"] == "many2one"
        assert fields["create_uid"]["relation"] == fields["write_uid"]["relation"] == "res.users"


def test_quantities_and_expiry_follow_17_0():
    """odoo/odoo17_fields.json#/models/stock.move.line/fields has `quantity`, not 16.0's `qty_done`;
    #/models/stock.lot/fields/expiration_date is a Datetime from product_expiry."""
    assert odoo_unknown_fields("stock.move.line", ["qty_done", "quantity", "picked", "lot_id"]) == ["qty_done"]
    expiry = odoo_fields("stock.lot")["expiration_date"]
    assert expiry["type"] == "datetime" and expiry["module"] == "product_expiry"


def test_field_types_are_odoo_type_names():
    """odoo/odoo17_fields.json records field classes (Many2one, Image, ...); Odoo's type names are lower case, and an
    Image field's type is binary."""
    types = {field["type"] for model in odoo_models() for field in odoo_fields(model).values()}
    assert all(t == t.lower() for t in types) and {"many2one", "datetime", "char", "selection"} <= types
    assert "image" not in types
    image = odoo_fields("product.product")["image_variant_1920"]
    assert (image["type"], image["field_class"]) == ("binary", "Image")


def test_odoo_fields_returns_a_copy():
    """Callers may annotate what they get without changing the contract for the next caller."""
    odoo_fields("stock.lot")["name"]["type"] = "changed"
    assert odoo_fields("stock.lot")["name"]["type"] == "char"


# -- Shopify Admin REST 2025-10 ---------------------------------------------------------------------------------------


def test_shopify_order_attributes():
    """shopify/rest_2025-10_attributes.json#/Order has order_number; no resource has a gtin (shopify/README.md)."""
    assert "order_number" in shopify_attributes("Order")
    assert "gtin" not in shopify_attributes("Order")
    body = {"id": 1, "order_number": 1001, "line_items": [{"gtin": "not checked: untyped hash"}], "gtin": "x"}
    assert shopify_unknown_attributes("Order", body) == ["gtin"]


def test_the_variant_barcode_is_the_only_gtin_carrier():
    """shopify/rest_2025-10_attributes.json#/Variant/barcode; #/InventoryItem and #/Product have no barcode."""
    assert "barcode" in shopify_attributes("Variant")
    assert "barcode" not in shopify_attributes("InventoryItem") and "barcode" not in shopify_attributes("Product")
    assert shopify_unknown_attributes("Variant", {"id": 1, "sku": "S", "barcode": "06951234500016"}) == []


def test_an_unknown_shopify_resource_is_an_error():
    """shopify/rest_2025-10_attributes.json covers Order, Fulfillment, FulfillmentOrder, Refund, Variant,
    InventoryItem and Product."""
    with pytest.raises(ValueError, match="not in the 2025-10 contract"):
        shopify_attributes("Customer")
