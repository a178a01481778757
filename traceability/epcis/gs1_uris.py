"""GS1 identifiers as URIs: the GS1 Digital Link form we export, and the canonical form the hash needs.

Exports name devices with GS1 Digital Link URIs (`https://id.gs1.org/01/{gtin}/21/{serial}`,
`.../10/{lot}`), which EPCIS 2.0 accepts everywhere an EPC URI is allowed. Unlike EPC URNs
(`urn:epc:id:sgtin:CompanyPrefix.ItemRef.Serial`) they need no GS1 company prefix length, which
the trace store does not know (the GTIN alone does not tell where the prefix ends).

The CBV 2.0 event hash compares identifiers in one canonical form: EPC URNs converted to Digital
Link on `id.gs1.org`, query strings dropped, only the finest key qualifier kept.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

from biip.checksums import gs1_standard_check_digit

DL_ROOT = "https://id.gs1.org"

_EPC_URN = re.compile(r"urn:epc:(id|class|idpat):([a-z0-9]+):(.+)")
_PRIMARY_KEYS = {"00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018"}
_FINEST_QUALIFIERS = {"01": ("21", "10", "235"), "414": ("254",), "8006": ("21", "10"), "8010": ("8011",)}
"""For each primary key, its qualifiers from finest to coarsest: the canonical form keeps only the first present."""


def dl_value(value: str) -> str:
    """A GS1 key or qualifier value as a Digital Link path segment (everything but unreserved is %-encoded)."""
    return quote(value, safe="")


def gtin_uri(gtin: str, lot: str | None = None, serial: str | None = None) -> str:
    """Digital Link URI of one serial unit, one lot (a class), or the whole GTIN (a class without lot)."""
    uri = f"{DL_ROOT}/01/{gtin}"
    if serial is not None:
        return f"{uri}/21/{dl_value(serial)}"
    if lot is not None:
        return f"{uri}/10/{dl_value(lot)}"
    return uri


def _with_check_digit(body: str) -> str:
    return body + str(gs1_standard_check_digit(body))


def epc_urn_to_dl(urn: str) -> str | None:
    """Digital Link form of an EPC URN (sgtin, lgtin, sgtin pattern, sscc, sgln, pgln); None for other schemes."""
    match = _EPC_URN.fullmatch(urn)
    if match is None:
        return None
    kind, scheme, body = match.groups()
    parts = body.split(".")
    if scheme in ("sgtin", "lgtin") and len(parts) == 3:
        prefix, item_ref, rest = parts
        gtin = _with_check_digit(item_ref[:1] + prefix + item_ref[1:])
        if kind == "idpat" and rest == "*":
            return gtin_uri(gtin)
        value = unquote(rest)
        return gtin_uri(gtin, serial=value) if kind == "id" else gtin_uri(gtin, lot=value)
    if kind != "id" or len(parts) < 2:
        return None
    if scheme == "sscc":
        prefix, serial_ref = parts[0], parts[1]
        return f"{DL_ROOT}/00/{_with_check_digit(serial_ref[:1] + prefix + serial_ref[1:])}"
    if scheme == "sgln" and len(parts) == 3:
        gln = _with_check_digit(parts[0] + parts[1])
        extension = unquote(parts[2])
        return f"{DL_ROOT}/414/{gln}" + ("" if extension == "0" else f"/254/{dl_value(extension)}")
    if scheme == "pgln":
        return f"{DL_ROOT}/417/{_with_check_digit(parts[0] + parts[1])}"
    return None


def canonical_dl(uri: str) -> str | None:
    """Constrained canonical Digital Link of a Digital Link URI; None if `uri` is not one.

    Any domain becomes `id.gs1.org`, the query string goes, GTIN-8/12/13 are padded to 14 digits,
    and only the finest qualifier is kept (`/01/G/10/L/21/S` -> `/01/G/21/S`).
    """
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return None
    segments = [unquote(s) for s in parts.path.strip("/").split("/")] if parts.path.strip("/") else []
    if len(segments) < 2 or len(segments) % 2 or segments[0] not in _PRIMARY_KEYS:
        return None
    pairs = dict(zip(segments[0::2], segments[1::2], strict=True))
    key = segments[0]
    value = pairs[key].zfill(14) if key == "01" else pairs[key]
    out = f"{DL_ROOT}/{key}/{dl_value(value)}"
    for qualifier in _FINEST_QUALIFIERS.get(key, ()):
        if qualifier in pairs:
            return f"{out}/{qualifier}/{dl_value(pairs[qualifier])}"
    return out


def canonical_id(uri: str) -> str:
    """An identifier as the event hash compares it: EPC URNs and Digital Links canonical, other URIs as given."""
    uri = uri.strip()
    return epc_urn_to_dl(uri) or canonical_dl(uri) or uri
