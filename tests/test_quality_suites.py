"""The suites kept in git: one per entity, reading only fields the canonical models have."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from data_dictionary.models import ENTITY_MODELS, Device
from quality_checks.frames import header_frame
from quality_checks.gx_run import run_frames
from quality_checks.rule_failures import QualityCheckError, collect_failures
from quality_checks.suite_specs import HEADER, RuleSpec, SuiteSpec, load_suite


@pytest.mark.parametrize("entity", ENTITY_MODELS)
def test_every_entity_has_a_suite_over_real_fields(entity):
    spec = load_suite(entity)
    model = ENTITY_MODELS[entity]
    for frame in spec.frames():
        if frame == HEADER:
            fields = set(model.model_fields)
        else:
            line_model = model.model_fields[frame].annotation.__args__[0]  # tuple[Line, ...]
            fields = set(line_model.model_fields) | set(spec.line_context)
        assert set(spec.columns_for(frame)) <= fields, (entity, frame)
        assert {rule.field for rule in spec.rules_for(frame)} <= fields, (entity, frame)
    assert set(spec.line_context.values()) <= set(model.model_fields)


def test_unknown_entity_names_the_known_ones():
    with pytest.raises(ValueError, match="known: batch_record, device"):
        load_suite("parcel")


def test_importing_the_package_does_not_import_gx_or_pandas():
    code = "import sys, quality_checks; print(sorted({'great_expectations', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_a_udi_mismatch_is_told_without_importing_gx_or_pandas_in_the_caller():
    """GX runs in its worker; the sync process that words the failures must not load it for a UDI rule."""
    code = """
import sys
from datetime import UTC, datetime
from decimal import Decimal
from data_dictionary.models import Shipment, ShipmentLine
from quality_checks.rule_failures import collect_failures
from quality_checks.suite_specs import load_suite
spec = load_suite("shipment")
position = next(i for i, rule in enumerate(spec.rules) if rule.rule == "udi_consistent")
line = ShipmentLine(line_no=1, gtin="06951234500017", lot="L2", qty=Decimal(1), udi_raw="(01)06951234500017(10)L1")
when = datetime(2026, 3, 1, tzinfo=UTC)
header = {"source": "s", "source_updated_at": when, "shipment_id": "S1", "ship_date": when, "ship_to_name": "H"}
shipment = Shipment(**header, lines=(line,))
found = collect_failures(spec, [shipment], {"lines": [(position, None, [{"_rid": 0, "_line": 0}])]})
print(found[0][0].message)
print(sorted({"great_expectations", "pandas"} & set(sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.splitlines()
    assert "scan has lot L1 but the line has L2" in out[0]
    assert out[1] == "[]"


def test_a_rule_gx_cannot_evaluate_fails_loudly_instead_of_passing():
    rule = RuleSpec(
        rule="gtin_check_digit",
        frame=HEADER,
        field="gtin",
        expectation="expect_column_values_to_be_valid_gtin",
        kwargs={"column": "gtin_typo"},
        message="{value}",
    )
    spec = SuiteSpec(entity="device", rules=(rule,))
    when = datetime(2026, 3, 1, tzinfo=UTC)
    records = [Device(source="erp", source_updated_at=when, gtin="96385074", name_en="x", tracking="none")]
    results = run_frames(spec, {HEADER: header_frame(records, ["gtin"])}, {})
    with pytest.raises(QualityCheckError, match="'gtin_check_digit' on device header could not be evaluated"):
        collect_failures(spec, records, results)


def _devices(*gtins: str) -> list[Device]:
    when = datetime(2026, 3, 1, tzinfo=UTC)
    return [Device(source="erp", source_updated_at=when, gtin=gtin, name_en="x", tracking="none") for gtin in gtins]


def test_threads_validating_at_once_each_get_their_own_failures():
    from concurrent.futures import ThreadPoolExecutor

    from quality_checks import validate

    batches = [_devices("96385074", "96385075"), _devices("96385075", "96385074", "96385074")] * 8
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda records: sorted(validate("device", records)), batches))
    assert found == [[1], [0]] * 8
