"""The custom GTIN expectation: GS1 mod-10 check digits, alone and run through GX."""

from __future__ import annotations

import pytest

from quality_checks.expectations.gtin import gtin_check_digit_ok

GOOD = ["06951234500016", "4006381333931", "036000291452", "96385074", "09506000134352"]
BAD = [
    "06951234500017",  # check digit off by one
    "4006381333932",
    "036000291453",
    "96385075",
    "0695123450002",  # GTIN-13 with a wrong check digit (…0001 is valid)
    "12345678901",  # 11 digits: not a GTIN length
    "069512345000160",  # 15 digits
    "0695123450001A",
    "０６９５１２３４５０００１６",  # full-width digits pass str.isdigit but are not GS1
    " 06951234500016",
    "",
    6951234500016,  # a number, not a string: leading zeros are already lost
]


@pytest.mark.parametrize("gtin", GOOD)
def test_valid_gtins_pass(gtin):
    assert gtin_check_digit_ok(gtin)


@pytest.mark.parametrize("gtin", BAD)
def test_invalid_gtins_fail(gtin):
    assert not gtin_check_digit_ok(gtin)


def test_expectation_reports_bad_rows_and_skips_nulls():
    import great_expectations as gx
    import pandas as pd

    from quality_checks.expectations import ExpectColumnValuesToBeValidGtin
    from quality_checks.gx_run import ephemeral_context

    df = pd.DataFrame({"_rid": [0, 1, 2, 3], "gtin": ["06951234500016", "06951234500017", None, "96385074"]})
    context = ephemeral_context()
    asset = context.data_sources.add_pandas("t").add_dataframe_asset("a")
    batch = asset.add_batch_definition_whole_dataframe("b")
    expectation = ExpectColumnValuesToBeValidGtin(column="gtin")
    suite = context.suites.add(gx.ExpectationSuite(name="s", expectations=[expectation]))
    definition = gx.ValidationDefinition(name="v", data=batch, suite=suite)
    definition = context.validation_definitions.add(definition)
    result = definition.run(
        batch_parameters={"dataframe": df},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["_rid"]},
    ).results[0]

    assert not result.success
    assert result.result["element_count"] == 4
    assert result.result["unexpected_list"] == ["06951234500017"]
    assert [row["_rid"] for row in result.result["unexpected_index_list"]] == [1]
