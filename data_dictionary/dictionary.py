"""The data dictionary as data: field meanings, labels and standards, and ISO 4217 codes.

`fields.yaml` is the one place a field's meaning is written down; the `tracehub dictionary`
command renders it, quality checks read the currency list from `iso4217.yaml`, and a test
keeps the dictionary and `models.py` in agreement.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

_HERE = Path(__file__).parent
FIELDS_FILE = _HERE / "fields.yaml"
CURRENCIES_FILE = _HERE / "iso4217.yaml"


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def entities() -> dict[str, dict[str, Any]]:
    """Dictionary entity key (`order`, `order_line`, `record`, ...) -> its definition."""
    return _load(FIELDS_FILE)["entities"]


@cache
def currencies() -> dict[str, dict[str, str]]:
    """Active ISO 4217 code -> {name_en, name_zh}."""
    return _load(CURRENCIES_FILE)["currencies"]


@cache
def iso4217_codes() -> frozenset[str]:
    """Active ISO 4217 currency codes, for the `currency_iso4217` quality check."""
    return frozenset(currencies())


def field(entity: str, name: str) -> dict[str, Any]:
    """One field's definition; common Record fields are found under every entity."""
    fields = entities()[entity]["fields"]
    if name in fields:
        return fields[name]
    return entities()["record"]["fields"][name]


def render_markdown() -> str:
    """The dictionary as Markdown: one table per entity, English and Chinese labels."""
    out = ["# Tracehub data dictionary / 数据字典", ""]
    for key, entity in entities().items():
        out.append(f"## {entity['label_en']} / {entity['label_zh']} (`{key}`)")
        out.append("")
        out.append(_cell(entity.get("description", "")))
        out.append("")
        out.append("| field | label | 标签 | type | required | description | standard |")
        out.append("| --- | --- | --- | --- | --- | --- | --- |")
        for name, spec in entity["fields"].items():
            out.append(
                "| "
                + " | ".join(
                    [
                        f"`{name}`",
                        _cell(spec["label_en"]),
                        _cell(spec["label_zh"]),
                        _type_text(spec),
                        "yes" if spec["required"] else "no",
                        _cell(spec.get("description", "")),
                        _cell(spec.get("standard", "")),
                    ]
                )
                + " |"
            )
        out.append("")
    return "\n".join(out)


def _type_text(spec: dict[str, Any]) -> str:
    if spec["type"] == "enum":
        return "enum: " + ", ".join(spec["values"])
    if spec["type"] == "list":
        return f"list of `{spec['items']}`"
    return spec["type"]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
