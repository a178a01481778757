"""The CBV 2.0 EPCIS event hash ID: `ni:///sha-256;<hex>?ver=CBV2.0` computed from what an event says.

The same event gives the same ID however it is serialised (key order, list order, URN or Digital
Link, bare CBV names or Web URIs, any time zone), so exporting the same store twice gives the same
IDs, and a partner can recompute them. The pre-hash string follows the CBV 2.0 rules as written
for the GS1 reference implementation (github.com/RalphTro/epcis-event-hash-generator):

- properties in the canonical order below, concatenated without separators, `key=value` for values;
- list children sorted (case-sensitive, code point order), the list name written once;
- a child with a `type` (business transaction, source, destination) is `value` then `type=...`;
- times in UTC with milliseconds and `Z`; numbers without trailing zeros;
- CBV terms as GS1 Web URIs; EPC URNs and Digital Links in constrained canonical Digital Link form;
- ILMD and user extension keys as `{namespace}localName`, sorted.

`eventID`, `recordTime`, `certificationInfo` and `errorDeclaration` are not hashed: a later error
declaration must not change the ID of the event it declares wrong. Deviation noted: string values
are never reinterpreted as numbers (the reference implementation would hash lot `007` as `7`).
Sensor data (`sensorElementList`) is not supported; Tracehub exports none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from traceability.epcis.gs1_uris import canonical_id
from traceability.epcis.vocabulary import (
    BIZ_STEP,
    BIZ_TRANSACTION_TYPE,
    DISPOSITION,
    ERROR_REASON,
    SOURCE_DESTINATION_TYPE,
    Vocabulary,
)

HASH_VERSION = "CBV2.0"
DEFAULT_NAMESPACES: dict[str, str] = {"cbvmda": "urn:epcglobal:cbv:mda", "gs1": "https://gs1.org/voc/"}
"""Prefixes the EPCIS 2.0 context defines. `cbvmda` is hashed with its XML namespace (no trailing `:`),
so that the JSON-LD and XML forms of one event hash alike."""

_NOT_HASHED = {"@context", "type", "eventID", "recordTime", "certificationInfo", "errorDeclaration"}
_EPC_LISTS = ("epcList", "parentID", "inputEPCList", "childEPCs")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList")


def event_hash_id(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The CBV 2.0 event hash ID of `event` (a JSON-LD event object); `namespaces`: its context prefixes."""
    digest = hashlib.sha256(prehash(event, namespaces).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver={HASH_VERSION}"


def prehash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """The canonical pre-hash string of `event` (see the module docstring for the rules)."""
    ns = {**DEFAULT_NAMESPACES, **(namespaces or {})}
    if "sensorElementList" in event:
        raise ValueError("sensorElementList is not supported by this event hash implementation")
    out = [f"eventType={event['type']}"]
    if "eventTime" in event:
        out.append(f"eventTime={_utc_millis(event['eventTime'])}")
    _scalar(out, event, "eventTimeZoneOffset", str.strip)
    for name in _EPC_LISTS:
        if name == "parentID":
            _scalar(out, event, name, canonical_id)
        else:
            _id_list(out, event, name)
    for name in _QUANTITY_LISTS:
        _quantity_list(out, event, name)
    _id_list(out, event, "outputEPCList")
    _quantity_list(out, event, "outputQuantityList")
    _scalar(out, event, "action", str.strip)
    _scalar(out, event, "transformationID", canonical_id)
    _scalar(out, event, "bizStep", BIZ_STEP.web_uri)
    _scalar(out, event, "disposition", DISPOSITION.web_uri)
    if event.get("persistentDisposition"):
        pd = event["persistentDisposition"]
        parts = [f"{k}={DISPOSITION.web_uri(v)}" for k in ("set", "unset") for v in sorted(pd.get(k, []))]
        out.append("persistentDisposition" + "".join(parts))
    for name in ("readPoint", "bizLocation"):
        if event.get(name):
            rest = {k: v for k, v in event[name].items() if k != "id"}
            out.append(f"{name}id={canonical_id(event[name]['id'])}" + "".join(_extensions(rest, ns)))
    _typed_list(out, event, "bizTransactionList", "bizTransaction", BIZ_TRANSACTION_TYPE)
    _typed_list(out, event, "sourceList", "source", SOURCE_DESTINATION_TYPE)
    _typed_list(out, event, "destinationList", "destination", SOURCE_DESTINATION_TYPE)
    if event.get("ilmd"):
        out.append("ilmd" + "".join(_extensions(event["ilmd"], ns)))
    known = {*_NOT_HASHED, *_EPC_LISTS, *_QUANTITY_LISTS, "outputEPCList", "outputQuantityList"}
    known |= {"eventTime", "eventTimeZoneOffset", "action", "transformationID", "bizStep", "disposition"}
    known |= {"persistentDisposition", "readPoint", "bizLocation", "ilmd"}
    known |= {"bizTransactionList", "sourceList", "destinationList"}
    out.extend(_extensions({k: v for k, v in event.items() if k not in known}, ns))
    return "".join(out)


def _scalar(out: list[str], event: Mapping[str, Any], name: str, norm: Callable[[str], str]) -> None:
    if event.get(name) not in (None, ""):
        out.append(f"{name}={norm(event[name])}")


def _id_list(out: list[str], event: Mapping[str, Any], name: str) -> None:
    if event.get(name):
        out.append(name + "".join(sorted(f"epc={canonical_id(v)}" for v in event[name])))


def _quantity_list(out: list[str], event: Mapping[str, Any], name: str) -> None:
    if not event.get(name):
        return
    elements = []
    for q in event[name]:
        text = f"quantityElementepcClass={canonical_id(q['epcClass'])}"
        if q.get("quantity") is not None:
            text += f"quantity={number(q['quantity'])}"
        if q.get("uom"):
            text += f"uom={q['uom'].strip()}"
        elements.append(text)
    out.append(name + "".join(sorted(elements)))


def _typed_list(out: list[str], event: Mapping[str, Any], name: str, key: str, vocabulary: Vocabulary) -> None:
    if not event.get(name):
        return
    items = []
    for item in event[name]:
        text = f"{key}={_value(item[key])}"
        if item.get("type"):
            text += f"type={vocabulary.web_uri(item['type'])}"
        items.append(text)
    out.append(name + "".join(sorted(items)))


def _extensions(fields: Mapping[str, Any], ns: Mapping[str, str]) -> list[str]:
    """`{namespace}local=value` strings (nested objects inline), sorted; XML-conversion artefacts skipped."""
    items: list[str] = []
    for key, value in fields.items():
        if key.startswith(("@", "#")):
            continue
        name = _expand(key, ns)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, Mapping):
                items.append(name + "".join(_extensions(v, ns)))
            else:
                items.append(f"{name}={_value(v)}")
    return sorted(items)


def _expand(key: str, ns: Mapping[str, str]) -> str:
    prefix, sep, local = key.partition(":")
    if sep and prefix in ns:
        return f"{{{ns[prefix]}}}{local}"
    cut = max(key.rfind("/"), key.rfind("#"))
    return f"{{{key[: cut + 1]}}}{key[cut + 1 :]}" if cut > 0 else key


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return number(value)
    text = str(value).strip()
    for vocabulary in (BIZ_STEP, DISPOSITION, BIZ_TRANSACTION_TYPE, SOURCE_DESTINATION_TYPE, ERROR_REASON):
        if text.startswith(vocabulary.urn):
            return vocabulary.web_uri(text)
    return canonical_id(text)


def number(value: int | float | Decimal | str) -> str:
    """A number without trailing zeros or exponent: 1.0 -> `1`, 0.3430 -> `0.343`."""
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _utc_millis(value: str) -> str:
    """An ISO 8601 time in UTC with exactly three decimals and `Z` (a fourth decimal of 5-9 rounds up)."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    millis = (moment.microsecond + 500) // 1000
    moment = moment.replace(microsecond=0).astimezone(UTC) + timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"
