"""Validation of EPCIS documents against GS1's official EPCIS 2.0 JSON Schema.

The schema ships with Tracehub as a verbatim copy (`traceability/epcis/standard/EPCIS-JSON-Schema.json`,
provenance in `standard/SOURCE.txt`), so a clone validates exports on its own; `TRACEHUB_EPCIS_SCHEMA` overrides it.
The schema relies on the `uri` and `date-time` formats; jsonschema checks those only with optional
packages Tracehub does not install, so both are checked here (RFC 3986 absolute URI, RFC 3339 time).
Without them a misspelt `bizStep` would pass as a "private URI".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_ENV = "TRACEHUB_EPCIS_SCHEMA"
DEFAULT_SCHEMA = Path(__file__).parent / "standard" / "EPCIS-JSON-Schema.json"

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S*")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


class SchemaMissingError(FileNotFoundError):
    """The official EPCIS JSON Schema file is not where it was looked for."""


def schema_path() -> Path:
    """Where the schema is read from: `TRACEHUB_EPCIS_SCHEMA`, else the copy shipped in `standard/`."""
    return Path(os.environ.get(SCHEMA_ENV) or DEFAULT_SCHEMA)


def load_schema(path: Path | None = None) -> dict[str, Any]:
    """The EPCIS 2.0 JSON Schema; a clear error naming the path and the variable if it is missing."""
    path = path or schema_path()
    if not path.is_file():
        raise SchemaMissingError(
            f"EPCIS JSON Schema not found at {path}: copy GS1's EPCIS-JSON-Schema.json there "
            f"or set {SCHEMA_ENV} to its path"
        )
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if _DATE_TIME.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("uri")(_is_uri)
    checker.checks("date-time")(_is_date_time)
    return checker


@lru_cache(maxsize=4)
def _validator(path: Path) -> jsonschema.Draft7Validator:
    schema = load_schema(path)
    return jsonschema.Draft7Validator(schema, format_checker=_format_checker())


class SchemaValidator:
    """Validates whole documents, or a document envelope and then its events one by one (bounded memory)."""

    def __init__(self, path: Path | None = None) -> None:
        self._validator = _validator(path or schema_path())

    def document(self, document: Mapping[str, Any]) -> list[str]:
        """Every schema violation of `document`, each as `at <json path>: <message>`."""
        return _messages(self._validator.iter_errors(document))

    def event(self, envelope: Mapping[str, Any], event: Mapping[str, Any], index: int) -> list[str]:
        """Violations of one event, validated inside `envelope` (a document with an empty eventList)."""
        body = {**envelope, "epcisBody": {"eventList": [event]}}
        found = self._validator.iter_errors(body)
        prefix = "$.epcisBody.eventList[0]"
        return [m.replace(prefix, f"$.epcisBody.eventList[{index}]", 1) for m in _messages(found)]


def _messages(errors: Iterable[jsonschema.ValidationError]) -> list[str]:
    """One line per violation; an anyOf/oneOf failure is told by its most relevant concrete reason."""
    out = []
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        reason = jsonschema.exceptions.best_match(error.context) if error.context else error
        reason = reason or error
        text = reason.message if len(reason.message) <= 300 else reason.message[:300] + "..."
        out.append(f"at {reason.json_path}: {text}")
    return out
