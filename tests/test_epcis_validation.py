"""Schema validation and the CBV checks: GS1's own examples, and each rule shown catching its case."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from traceability.epcis import SchemaMissingError, SchemaValidator, epcis_check
from traceability.epcis.schema_check import load_schema, schema_path
from traceability.epcis.vocabulary import BIZ_STEP, BIZ_TRANSACTION_TYPE, DISPOSITION, SOURCE_DESTINATION_TYPE

STANDARD = Path(__file__).resolve().parents[1] / "traceability" / "epcis" / "standard"
"""GS1's schema and example documents, copied verbatim into the repository (see SOURCE.txt there)."""
EXAMPLES = sorted((STANDARD / "examples").glob("*.jsonld"))
VOCABULARY_REJECTS = {
    "Example-TransactionEvents-2020_07_03y.jsonld": [
        "event 0: bizStep 'http://epcis.example.org/hc/bizstep/summarising_discharge' is not a CBV 2.0 bizStep",
        "event 1: bizTransactionList[0].type 'urn:gs1:epcisapp:rail:btt:passage' is not a CBV 2.0 bizTransaction type",
    ]
}
"""GS1's examples that use private vocabularies, which the schema allows and our export check does not."""

GOOD = {
    "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-01-01T00:00:00.000Z",
    "epcisBody": {
        "eventList": [
            {
                "type": "ObjectEvent",
                "eventID": "ni:///sha-256;aa?ver=CBV2.0",
                "eventTime": "2026-01-02T08:00:00.000+08:00",
                "eventTimeZoneOffset": "+08:00",
                "epcList": ["https://id.gs1.org/01/06951234500108/21/SN1"],
                "action": "OBSERVE",
                "bizStep": "shipping",
                "disposition": "in_transit",
                "bizTransactionList": [{"type": "po", "bizTransaction": "https://id.tracehub.example/po/1"}],
                "sourceList": [{"type": "owning_party", "source": "https://id.tracehub.example/party/self"}],
            },
            {
                "type": "TransformationEvent",
                "eventID": "ni:///sha-256;bb?ver=CBV2.0",
                "eventTime": "2026-01-01T00:00:00.000+08:00",
                "eventTimeZoneOffset": "+08:00",
                "inputQuantityList": [{"epcClass": "https://id.gs1.org/01/06920455000018", "quantity": 1.5}],
                "outputQuantityList": [{"epcClass": "https://id.gs1.org/01/06951234500030/10/L1", "quantity": 5}],
                "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
                "disposition": "https://ref.gs1.org/cbv/Disp-active",
                "ilmd": {"cbvmda:lotNumber": "L1"},
            },
        ]
    },
}


def _events(document):
    return document["epcisBody"]["eventList"]


def test_the_repository_carries_the_schema_and_the_examples():
    assert len(EXAMPLES) == 7, STANDARD
    assert (STANDARD / "SOURCE.txt").is_file()


def test_the_default_schema_is_the_copy_in_the_repository(monkeypatch):
    monkeypatch.delenv("TRACEHUB_EPCIS_SCHEMA", raising=False)
    assert schema_path().resolve() == (STANDARD / "EPCIS-JSON-Schema.json").resolve()
    assert schema_path().is_file()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_official_examples_pass_the_schema_and_our_checks(path: Path):
    document = json.loads(path.read_text(encoding="utf-8"))
    assert SchemaValidator().document(document) == []
    assert epcis_check(document) == VOCABULARY_REJECTS.get(path.name, [])


def test_a_good_document_passes_both():
    assert SchemaValidator().document(GOOD) == []
    assert epcis_check(GOOD) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda e: e[0].update(bizStep="shiping"), "event 0 (ni:///sha-256;aa?ver=CBV2.0): bizStep 'shiping'"),
        (lambda e: e[0].update(bizStep="https://ref.gs1.org/cbv/BizStep-transforming"), "bizStep"),
        (lambda e: e[0].update(disposition="in_transport"), "disposition 'in_transport' is not a CBV 2.0"),
        (lambda e: e[1].update(disposition="https://ref.gs1.org/cbv/Disp-broken"), "disposition"),
        (lambda e: e[0]["bizTransactionList"][0].update(type="order"), "bizTransactionList[0].type 'order'"),
        (lambda e: e[0]["sourceList"][0].update(type="owner"), "sourceList[0].type 'owner'"),
        (lambda e: e[0].update(ilmd={"cbvmda:lotNumber": "L1"}), "ilmd on a ObjectEvent with action 'OBSERVE'"),
        (lambda e: e[1].update(type="AggregationEvent", action="ADD"), "ilmd on a AggregationEvent"),
        (lambda e: e[1].update(eventID=e[0]["eventID"]), "event 1 (ni:///sha-256;aa?ver=CBV2.0): eventID"),
    ],
)
def test_the_check_catches(change, expected):
    document = copy.deepcopy(GOOD)
    change(_events(document))
    problems = epcis_check(document)
    assert len(problems) == 1 and expected in problems[0], problems


def test_ilmd_is_fine_on_an_object_event_that_adds():
    document = copy.deepcopy(GOOD)
    _events(document)[0].update(action="ADD", bizStep="commissioning", disposition="active", ilmd={"a:b": "c"})
    assert epcis_check(document) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda e: e[0].update(eventTime="2026-01-02 08:00"), "$.epcisBody.eventList[0]"),
        (lambda e: e[0].update(action="LOOK"), "$.epcisBody.eventList[0]"),
        (lambda e: e[0].update(bizStep="not a uri"), "$.epcisBody.eventList[0]"),
        (lambda e: e[0].update(epcList="https://id.gs1.org/01/06951234500108/21/SN1"), "$.epcisBody.eventList[0]"),
        (lambda e: e[1].pop("outputQuantityList"), "$.epcisBody.eventList[1]"),
        (lambda e: e[0].update(bizStep="urn:epcglobal:cbv:bizstep:shipping"), "$.epcisBody.eventList[0].bizStep"),
    ],
)
def test_the_schema_catches(change, where):
    document = copy.deepcopy(GOOD)
    change(_events(document))
    problems = SchemaValidator().document(document)
    assert problems and all(p.startswith(f"at {where}") for p in problems), problems


def test_an_event_checked_alone_names_its_place_in_the_document():
    document = copy.deepcopy(GOOD)
    head = {**document, "epcisBody": {"eventList": []}}
    event = {**_events(document)[0], "action": "LOOK"}
    problems = SchemaValidator().event(head, event, 41)
    assert problems and problems[0].startswith("at $.epcisBody.eventList[41]")


def test_our_vocabularies_are_the_ones_the_schema_lists():
    definitions = load_schema()["definitions"]

    def enum(name):
        return set(definitions[name]["anyOf"][1]["enum"])

    assert enum("bizStep") == BIZ_STEP.terms
    assert enum("disposition") == DISPOSITION.terms
    assert enum("bizTransaction-type") == BIZ_TRANSACTION_TYPE.terms
    assert enum("source-dest-type") == SOURCE_DESTINATION_TYPE.terms


def test_missing_schema_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACEHUB_EPCIS_SCHEMA", str(tmp_path / "nowhere.json"))
    with pytest.raises(SchemaMissingError, match=r"nowhere\.json.*TRACEHUB_EPCIS_SCHEMA"):
        SchemaValidator()
