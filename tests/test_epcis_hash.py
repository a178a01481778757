"""The CBV 2.0 event hash ID: a published vector, and invariance under every allowed re-spelling."""

from __future__ import annotations

import copy

import pytest

from traceability.epcis.gs1_uris import canonical_dl, epc_urn_to_dl, gtin_uri
from traceability.epcis.hash_id import event_hash_id, number, prehash

# tests/examples/epcisDocWithSingleEvent.{jsonld,prehashes,hashes} of the GS1 reference implementation,
# github.com/RalphTro/epcis-event-hash-generator: its published pre-hash string and SHA-256 ID.
REFERENCE_EVENT = {
    "type": "ObjectEvent",
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
    "eventTime": "2022-02-16T20:33:31.116000-06:00",
    "eventTimeZoneOffset": "-06:00",
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"}],
}
REFERENCE_PREHASH = (
    "eventType=ObjectEventeventTime=2022-02-17T02:33:31.116ZeventTimeZoneOffset=-06:00"
    "epcListepc=https://id.gs1.org/01/10614141073464/21/2017epc=https://id.gs1.org/01/10614141073464/21/2018"
    "action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-shippingdisposition=https://ref.gs1.org/cbv/Disp-in_transit"
    "readPointid=https://id.gs1.org/414/0614141073467/254/1234"
    "bizTransactionListbizTransaction=http://transaction.acme.com/po/12345678type=https://ref.gs1.org/cbv/BTT-po"
)
REFERENCE_ID = "ni:///sha-256;3e0f2437f4cb5e8a1b832b769c0eed1bf3e1421f14061132e9800ded03f10182?ver=CBV2.0"


def test_reproduces_the_reference_implementation_vector():
    assert prehash(REFERENCE_EVENT) == REFERENCE_PREHASH
    assert event_hash_id(REFERENCE_EVENT) == REFERENCE_ID


def _respelt(event):
    """The reference event written differently but meaning the same."""
    other = copy.deepcopy(event)
    other["epcList"] = [
        "https://example.com/01/10614141073464/21/2018?linkType=all",
        "https://id.gs1.org/01/10614141073464/10/LOT9/21/2017",
    ]
    other["eventTime"] = "2022-02-17T10:33:31.116+08:00"
    other["bizStep"] = "https://ref.gs1.org/cbv/BizStep-shipping"
    other["disposition"] = "urn:epcglobal:cbv:disp:in_transit"
    other["readPoint"] = {"id": "https://id.gs1.org/414/0614141073467/254/1234"}
    other["bizTransactionList"] = [
        {"bizTransaction": "http://transaction.acme.com/po/12345678", "type": "urn:epcglobal:cbv:btt:po"}
    ]
    other["eventID"] = "urn:uuid:ignored"
    other["recordTime"] = "2030-01-01T00:00:00Z"
    return dict(reversed(list(other.items())))


def test_same_event_spelt_differently_has_the_same_id():
    assert event_hash_id(_respelt(REFERENCE_EVENT)) == REFERENCE_ID


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("eventTime", "2022-02-16T20:33:31.117-06:00"),
        ("disposition", "in_progress"),
        ("epcList", ["urn:epc:id:sgtin:0614141.107346.2017"]),
        ("readPoint", {"id": "urn:epc:id:sgln:0614141.07346.0"}),
        ("ilmd", {"cbvmda:lotNumber": "L1"}),
        ("example:note", "x"),
    ],
)
def test_any_change_changes_the_id(field, value):
    changed = {**REFERENCE_EVENT, field: value}
    assert event_hash_id(changed) != REFERENCE_ID


def test_quantity_lists_sort_and_drop_trailing_zeros():
    event = {
        "type": "TransformationEvent",
        "eventTime": "2026-03-22T00:00:00.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "inputQuantityList": [
            {"epcClass": "https://id.gs1.org/01/06931208000025/10/SIL2601-001", "quantity": 14.80},
            {"epcClass": "urn:epc:class:lgtin:4012345.011111.4444", "quantity": 10, "uom": "KGM"},
        ],
        "ilmd": {"cbvmda:lotNumber": "007", "cbvmda:itemExpirationDate": "2029-03-21"},
    }
    assert prehash(event) == (
        "eventType=TransformationEventeventTime=2026-03-21T16:00:00.000ZeventTimeZoneOffset=+08:00"
        "inputQuantityList"
        "quantityElementepcClass=https://id.gs1.org/01/04012345111118/10/4444quantity=10uom=KGM"
        "quantityElementepcClass=https://id.gs1.org/01/06931208000025/10/SIL2601-001quantity=14.8"
        "ilmd{urn:epcglobal:cbv:mda}itemExpirationDate=2029-03-21{urn:epcglobal:cbv:mda}lotNumber=007"
    )


@pytest.mark.parametrize(("value", "text"), [(1.0, "1"), ("0.3430", "0.343"), (200, "200"), ("1E+2", "100")])
def test_numbers_without_trailing_zeros(value, text):
    assert number(value) == text


def test_sub_millisecond_times_round_half_up():
    a = {**REFERENCE_EVENT, "eventTime": "2022-02-16T20:33:31.1155-06:00"}
    b = {**REFERENCE_EVENT, "eventTime": "2022-02-16T20:33:31.999700-06:00"}
    assert "eventTime=2022-02-17T02:33:31.116Z" in prehash(a)
    assert "eventTime=2022-02-17T02:33:32.000Z" in prehash(b)


@pytest.mark.parametrize(
    ("urn", "dl"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        ("urn:epc:class:lgtin:4012345.012345.998877", "https://id.gs1.org/01/04012345123456/10/998877"),
        ("urn:epc:idpat:sgtin:4012345.066666.*", "https://id.gs1.org/01/04012345666663"),
        ("urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338"),
        ("urn:epc:id:sgln:4012345.00011.0", "https://id.gs1.org/414/4012345000115"),
        ("urn:epc:id:pgln:4012345.00000", "https://id.gs1.org/417/4012345000009"),
        ("urn:epc:id:giai:4000001.111", None),
    ],
)
def test_epc_urns_become_digital_links(urn, dl):
    assert epc_urn_to_dl(urn) == dl


def test_digital_links_are_canonical_and_lots_encoded():
    assert gtin_uri("06951234500030", lot="L2603-C/01") == "https://id.gs1.org/01/06951234500030/10/L2603-C%2F01"
    assert canonical_dl("https://brand.example/01/614141073467/10/L%2F1?x=1") == (
        "https://id.gs1.org/01/00614141073467/10/L%2F1"
    )
    assert canonical_dl("https://id.tracehub.example/party/self") is None
