"""The spec engine and its transforms, independent of any platform."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from mappings import MappingOptions, available_mappings, get_mapping
from mappings.engine import Mapping
from mappings.paths import CURRENT, PathError, compile_path
from mappings.transforms import TRANSFORMS, MappingError

PARTY = {
    "entity": "party",
    "fields": {
        "external_id": "id",
        "role": "role",
        "name": "name",
        "source_updated_at": {"path": "at", "transforms": ["datetime"]},
    },
}


def party_spec(**fields: Any) -> dict[str, Any]:
    return {"entity": "party", "fields": PARTY["fields"] | fields}


def party_payload(**changes: Any) -> dict[str, Any]:
    return {
        "id": "P1",
        "role": "hospital",
        "name": "Ruijin Hospital",
        "at": "2026-03-02T10:00:00+08:00",
    } | changes


def transform(name: str, *args: Any) -> Any:
    return TRANSFORMS[name](*args)


def test_every_platform_entity_has_a_compiled_cached_mapping() -> None:
    assert set(available_mappings()) == {
        ("shopify", "order"),
        ("shipbob", "shipment"),
        ("odoo", "device"),
        ("odoo", "party"),
        ("odoo", "lot"),
        ("odoo", "batch_record"),
        ("odoo", "invoice"),
        ("odoo", "scrap"),
        ("shipbob", "return"),
        ("shipbob", "inventory"),
        ("shopify", "variant"),
        ("woocommerce", "order"),
        ("woocommerce", "shipment"),
        ("woocommerce", "variant"),
        ("erpnext", "device"),
        ("erpnext", "party"),
        ("erpnext", "batch_record"),
        ("erpnext", "shipment"),
        ("erpnext", "invoice"),
        ("erpnext", "serial_number"),
        ("drop", "shipment"),
        ("drop", "order"),
        ("drop", "lot"),
    }
    assert get_mapping("odoo", "lot") is get_mapping("odoo", "lot")
    shanghai = MappingOptions.of("Asia/Shanghai")
    assert get_mapping("odoo", "lot", shanghai) is get_mapping("odoo", "lot", MappingOptions.of("Asia/Shanghai"))
    assert get_mapping("odoo", "lot", shanghai) is not get_mapping("odoo", "lot")


def test_unknown_mapping_is_a_configuration_error() -> None:
    with pytest.raises(LookupError, match="no mapping for woo/order"):
        get_mapping("woo", "order")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"entity": "parcel", "fields": {}}, "unknown entity"),
        (party_spec(colour="red"), "has no fields"),
        ({"entity": "party", "fields": {"external_id": "id"}}, "required Party fields not mapped"),
        (party_spec(region={"path": "r", "transforms": ["shout"]}), "unknown transform"),
        (party_spec(region={"path": "a..b"}), "bad path"),
        (party_spec(region={"nothing": 1}), "needs one of"),
        (party_spec(region={"path": "r", "transforms": [{"lookup": {}, "default": 1}]}), "a transform is"),
    ],
)
def test_spec_mistakes_fail_at_compile_time(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Mapping(spec)


def test_paths_read_from_root_indexes_and_bound_names() -> None:
    spec = party_spec(
        name="$.names[1]",
        region={"path": "address.state", "transforms": [{"strip_suffix": " (CN)"}]},
        licence_no={"const": "N/A"},
    )
    [party] = Mapping(spec).map(party_payload(names=["a", "b"], address={"state": "Hubei (CN)"}), "s").records
    assert (party.name, party.region, party.licence_no) == ("b", "Hubei", "N/A")


def test_first_of_falls_back_only_when_a_value_is_missing() -> None:
    spec = party_spec(name={"first_of": ["legal_name", "name"]})
    assert Mapping(spec).map(party_payload(legal_name="Ruijin"), "s").records[0].name == "Ruijin"
    assert Mapping(spec).map(party_payload(), "s").records[0].name == "Ruijin Hospital"


def test_false_is_null_reads_odoo_false_as_missing() -> None:
    spec = party_spec(region="region") | {"false_is_null": True}
    assert Mapping(spec).map(party_payload(region=False), "s").records[0].region is None
    result = Mapping(party_spec(region="region")).map(party_payload(region=False), "s")
    assert [f.field for f in result.failures] == ["region"]


def test_a_spec_bug_at_run_time_is_a_failure_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(value: Any) -> Any:
        raise RuntimeError("a bug in a transform")

    monkeypatch.setitem(TRANSFORMS, "broken", lambda: broken)
    mapping = Mapping(party_spec(region={"path": "region", "transforms": ["broken"]}))
    result = mapping.map(party_payload(region="East China"), "s")
    assert result.records == []
    assert [(f.rule, f.field) for f in result.failures] == [("mapping", "")]
    assert "a bug in a transform" in result.failures[0].message


def test_records_carry_the_callers_source() -> None:
    assert Mapping(PARTY).map(party_payload(), "erp-cn").records[0].source == "erp-cn"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1130.00", Decimal("1130.00")), (10, Decimal(10)), (0.1, Decimal("0.1")), (" 2.5 ", Decimal("2.5"))],
)
def test_decimal_is_exact(raw: Any, expected: Decimal) -> None:
    value = transform("decimal")(raw)
    assert value == expected and str(value) == str(expected)


@pytest.mark.parametrize("raw", ["1,130.00", "NaN", "Infinity", True, [1], ""])
def test_decimal_rejects_non_numbers(raw: Any) -> None:
    with pytest.raises(MappingError):
        transform("decimal")(raw)


def test_datetimes_become_utc() -> None:
    assert transform("datetime")("2026-03-02T10:15:00+08:00") == datetime(2026, 3, 2, 2, 15, tzinfo=UTC)
    assert transform("datetime")("2026-03-04T07:30:00Z") == datetime(2026, 3, 4, 7, 30, tzinfo=UTC)
    assert transform("odoo_datetime")("2026-03-02 10:15:00") == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    with pytest.raises(MappingError, match="UTC offset"):
        transform("datetime")("2026-03-02 10:15:00")


def test_dates_take_the_date_part() -> None:
    assert transform("date")("2028-02-29T00:00:00Z") == date(2028, 2, 29)
    assert transform("date")("2028-02-29 00:00:00") == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06951234500016", "06951234500016"),
        ("6951234500016", "06951234500016"),
        (" 0695-1234-5000-16 ", "06951234500016"),
        ("", None),
    ],
)
def test_gtin_is_normalised_without_checking_the_check_digit(raw: str, expected: str | None) -> None:
    assert transform("gtin")(raw) == expected
    assert transform("gtin")("06951234500017") == "06951234500017"


def test_order_numbers_lose_the_hash() -> None:
    assert transform("strip_hash")("#1001") == "1001"
    assert transform("strip_hash")("1001") == "1001"
    assert transform("strip_hash")(1001) == "1001"


def test_many2one_and_lookup_and_flags() -> None:
    assert transform("m2o_id")([7, "CNY"]) == 7
    assert transform("m2o_name")([7, "CNY"]) == "CNY"
    assert transform("m2o_name")({"id": 7, "name": "L1"}) == "L1"
    with pytest.raises(MappingError, match="expected one of: a, b"):
        transform("lookup", {"a": 1, "b": 2})("c")
    assert transform("first_flag", ["serial", "lot", "none"])([False, True]) == "lot"
    assert transform("first_flag", ["serial", "lot", "none"])([False, False]) == "none"
    assert transform("decimal_sum")(["1.10", 2, None]) == Decimal("3.10")
    assert transform("udi", "serial")("(01)06951234500016(21)SN1") == "SN1"


@pytest.mark.parametrize("raw", ["2027-02-29", "2026-03-02garbage", "02/03/2026", ""])
def test_dates_must_be_iso(raw: str) -> None:
    with pytest.raises(MappingError):
        transform("date")(raw)


def test_a_field_map_reads_custom_fields_and_refuses_unknown_ones() -> None:
    spec = party_spec(licence_no={"custom": {}}, region={"custom": {"transforms": ["lower"]}})
    plain = Mapping(spec).map(party_payload(x_licence="L-1", x_region="ZJ"), "erp").records[0]
    assert (plain.licence_no, plain.region) == (None, None)  # custom fields stay empty unless mapped
    mapped = Mapping(spec, options=MappingOptions.of(fields={"licence_no": "x_licence", "region": "x_region"}))
    record = mapped.map(party_payload(x_licence="L-1", x_region="ZJ"), "erp").records[0]
    assert (record.licence_no, record.region) == ("L-1", "zj")
    with pytest.raises(ValueError, match=r"the field map names \['licence'\], which Party does not have"):
        Mapping(spec, options=MappingOptions.of(fields={"licence": "x_licence"}))
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        Mapping(spec, options=MappingOptions.of("Mars/Base"))


def test_a_sources_bad_field_map_fails_the_sync_at_once_naming_it() -> None:
    from connectors.config import ConfigError, SourceConfig
    from pipeline.checks import mapping_for

    source = SourceConfig.model_validate(
        {
            "name": "erp",
            "kind": "odoo",
            "base_url": "https://erp.example.com",
            "entities": ["device"],
            "credentials": {"env": "X"},
            "field_map": {"device": {"registration": "x_studio_registration_no"}},
        }
    )
    with pytest.raises(ConfigError, match=r"source 'erp', entity 'device': .*\['registration'\]"):
        mapping_for(source, "device")
    with pytest.raises(ValueError, match="field_map names entities \\['order'\\]"):
        SourceConfig.model_validate({**source.model_dump(), "field_map": {"order": {"x": "y"}}})
    with pytest.raises(ValueError, match="timezone 'Shanghai' is not an IANA time zone"):
        SourceConfig.model_validate({**source.model_dump(), "timezone": "Shanghai"})


def test_local_date_reads_a_moment_in_the_sources_zone() -> None:
    from zoneinfo import ZoneInfo

    shanghai = TRANSFORMS["local_date"](zone=ZoneInfo("Asia/Shanghai"))
    assert shanghai("2028-02-28 16:00:00") == date(2028, 2, 29)  # Odoo's naive UTC
    assert shanghai("2028-02-28T15:59:59Z") == date(2028, 2, 28)
    assert shanghai("2028-02-29") == date(2028, 2, 29)
    with pytest.raises(MappingError):
        shanghai("29/02/2028")


def test_a_required_list_that_is_missing_is_a_failure_naming_it() -> None:
    order = get_mapping("shopify", "order")
    payload = {
        "id": 1,
        "name": "#1",
        "created_at": "2026-03-02T10:00:00+08:00",
        "updated_at": "2026-03-02T10:00:00+08:00",
        "currency": "CNY",
    }
    assert [(f.rule, f.field) for f in order.map(payload, "shop").failures] == [("mapping", "line_items")]
    assert order.map({**payload, "line_items": []}, "shop").records[0].lines == ()


def test_join_keeps_the_set_values() -> None:
    join = transform("join", "/")
    assert join(["1001", None, "SF123"]) == "1001/SF123"
    assert join([None, ""]) is None


@pytest.mark.parametrize(
    ("payload", "false_is_null", "expected"),
    [
        ({"rows": [{"price": "1.5"}, None, {"price": False}, {}, False]}, False, ["1.5", None, False, None, None]),
        ({"rows": [{"price": "1.5"}, None, {"price": False}, {}, False]}, True, ["1.5", None, None, None, None]),
        ({"rows": []}, False, []),
        ({"rows": None}, False, None),
        ({"rows": False}, False, None),
        ({}, False, None),
    ],
)
def test_a_path_through_a_list_reads_each_element(payload: Any, false_is_null: bool, expected: Any) -> None:
    path = compile_path("rows[*].price", frozenset(), false_is_null)
    assert path.get({CURRENT: (payload, "")}) == expected


@pytest.mark.parametrize(
    ("payload", "where", "message"),
    [
        ({"a": {"rows": "text"}}, "a.rows", "expected a list"),
        ({"a": {"rows": [{"b": {"c": 1}}, "text"]}}, "a.rows[*]", "expected an object"),
        ({"a": {"rows": [{"b": "text"}]}}, "a.rows[*].b", "expected an object"),
    ],
)
def test_a_path_through_a_list_names_where_the_shape_is_wrong(payload: Any, where: str, message: str) -> None:
    with pytest.raises(PathError) as caught:
        compile_path("a.rows[*].b.c", frozenset(), False).get({CURRENT: (payload, "")})
    assert (caught.value.path, caught.value.message) == (where, message)
