"""The data dictionary and the pydantic models describe the same fields, both ways."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal

import pytest
from pydantic import BaseModel

from data_dictionary import models
from data_dictionary.dictionary import entities, field, iso4217_codes, render_markdown

_SCALAR_FAMILIES = {str: "string", int: "integer", Decimal: "decimal", date: "date", datetime: "datetime"}
_COMMON = set(models.Record.model_fields)


def _family(annotation: typing.Any) -> tuple[str, typing.Any]:
    """(type family, detail): enum values or the nested model of a list."""
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return _family(args[0])
    if origin is typing.Literal:
        return "enum", list(typing.get_args(annotation))
    if origin is tuple:
        return "list", args[0]
    return _SCALAR_FAMILIES[annotation], None


def _model_by_name() -> dict[str, type[BaseModel]]:
    return {
        name: value
        for name, value in vars(models).items()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == models.__name__
    }


def _own_fields(model: type[BaseModel]) -> dict[str, typing.Any]:
    """Fields an entity describes itself; the common Record fields are described once."""
    if issubclass(model, models.Record) and model is not models.Record:
        return {name: info for name, info in model.model_fields.items() if name not in _COMMON}
    return dict(model.model_fields)


def test_every_model_has_one_dictionary_entity_and_back() -> None:
    described = {entity["model"] for entity in entities().values()}
    assert described == set(_model_by_name())


def test_canonical_entity_names_are_dictionary_keys() -> None:
    for key, model in models.ENTITY_MODELS.items():
        assert entities()[key]["model"] == model.__name__


@pytest.mark.parametrize("key", list(entities()))
def test_fields_agree_by_name_requiredness_and_type(key: str) -> None:
    entity = entities()[key]
    model = _model_by_name()[entity["model"]]
    model_fields = _own_fields(model)
    assert set(entity["fields"]) == set(model_fields), key
    for name, info in model_fields.items():
        spec = entity["fields"][name]
        assert spec["required"] is info.is_required(), f"{key}.{name} required"
        family, detail = _family(info.annotation)
        assert spec["type"] == family, f"{key}.{name} type"
        if family == "enum":
            assert spec["values"] == detail, f"{key}.{name} values"
        if family == "list":
            assert entities()[spec["items"]]["model"] == detail.__name__, f"{key}.{name} items"


@pytest.mark.parametrize("key", list(entities()))
def test_every_field_is_labelled_in_english_and_chinese(key: str) -> None:
    for name, spec in entities()[key]["fields"].items():
        assert spec["label_en"].strip(), name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec["label_zh"]), name
        assert spec["description"].strip(), name


def test_gs1_fields_name_their_application_identifier() -> None:
    assert "(01)" in field("device", "gtin")["standard"]
    assert "(10)" in field("lot", "lot")["standard"]
    assert "(17)" in field("lot", "expiry_date")["standard"]
    assert "(11)" in field("lot", "production_date")["standard"]
    assert "(21)" in field("shipment_line", "serial")["standard"]
    assert "ISO 4217" in field("order", "currency")["standard"]
    assert field("order", "source")["type"] == "string"


def test_iso4217_codes() -> None:
    codes = iso4217_codes()
    assert {"CNY", "USD", "EUR", "HKD", "JPY"} <= codes
    assert not {"RMB", "XXX", "XTS", "ABC"} & codes
    assert all(len(code) == 3 and code.isupper() for code in codes)


def test_markdown_has_a_table_per_entity_with_both_labels() -> None:
    text = render_markdown()
    for entity in entities().values():
        assert f"## {entity['label_en']} / {entity['label_zh']}" in text
    assert "| `ship_to_name` | Ship-to name | 收货方名称 | string | yes |" in text
    assert "enum: lot, serial, none" in text
